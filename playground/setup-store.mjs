// A setup script of the kind admins write: create the store once, then fill it
// from the environment. Run after `npm run build`:
//   GRAFANA_API_KEY=... node playground/setup-store.mjs
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createStore, openStore } from '../dist/store.mjs'

const path = fileURLToPath(new URL('./secrets.enc.json', import.meta.url))

if (!existsSync(path)) {
  const { storeKey, adminKey } = await createStore({ path, admin: 'playground' })
  // A real script would hand these to a vault or a CI secret; here they go to stderr once.
  console.error(`Created ${path}.\nexport UNPLUGIN_SECRETS_KEY=${storeKey}\nexport UNPLUGIN_SECRETS_ADMIN_KEY=${adminKey}`)
  process.env.UNPLUGIN_SECRETS_KEY = storeKey
  process.env.UNPLUGIN_SECRETS_ADMIN_KEY = adminKey
}

const store = await openStore({ path })
await store.setMany({
  GRAFANA_API_KEY: { value: process.env.GRAFANA_API_KEY ?? 'gl_playground_only', description: 'Grafana read-only token' },
})
console.table(store.list())
console.log(store.verify())
