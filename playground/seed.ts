/**
 * The admin's setup script: creates playground/secrets.enc.json with demo
 * values if it is absent. Keys go to playground/.keys (git-ignored), the way
 * `unplugin-secrets init` puts them in your config folder.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createStore } from 'unplugin-secrets/store'

const path = fileURLToPath(new URL('./secrets.enc.json', import.meta.url))
process.env.UNPLUGIN_SECRETS_KEY_DIR ??= fileURLToPath(new URL('./.keys', import.meta.url))

if (existsSync(path)) {
  console.log(`playground: using ${path}`)
}
else {
  const { writeKeyFile } = await import('./key-file')
  const { store } = await createStore({
    path,
    admin: 'playground-admin',
    saveKeys: ({ id, storeKey, adminKey }) => writeKeyFile(id, storeKey, adminKey),
  })
  await store.setMany({
    DB_PASSWORD: { value: 'demo-db-password-not-real', description: 'Postgres password for the app user' },
    GRAFANA_API_TOKEN: { value: 'glsa_demo_token_not_real', description: 'Grafana service account token (read-only)' },
  })
  console.log(`playground: created ${path} with ${store.list().map(s => s.name).join(', ')}`)
}
