// Prints what the server bundle resolved, with the secret values masked.
import { fileURLToPath } from 'node:url'
import { openStore } from 'unplugin-secrets/store'

process.env.UNPLUGIN_SECRETS_KEY_DIR ??= fileURLToPath(new URL('./.keys', import.meta.url))
const store = await openStore({ path: fileURLToPath(new URL('./secrets.enc.json', import.meta.url)) })
const values = [...(await store.getAll()).values()]
const bundle = await import(new URL('./dist/server/app.js', import.meta.url).href)
console.log('Resolved config from playground/dist/server/app.js (secret values masked):')
console.log(JSON.stringify(bundle.maskedConfig(values), null, 2))
