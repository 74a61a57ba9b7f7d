/**
 * Plain Node: `node --import unplugin-secrets/register app.js` makes
 * `import config from './config.yaml'` (and JSON imported `with { type: 'json' }`,
 * and `require('./config.json')`) return data with `${secret.NAME}` expanded.
 * A config error stops the process before the app runs (exit code 1).
 *
 * @module unplugin-secrets/register
 * @example
 * ```sh
 * UNPLUGIN_SECRETS_KEY=usec_store_… node --import unplugin-secrets/register server.js
 * ```
 */
import { readFileSync } from 'node:fs'
import Module, { register } from 'node:module'
import { SecretsError } from './core/errors'
import { configFormat } from './core/formats/registry'
import { mentionsSecret } from './core/reference'
import { storeFailure, storeLookup } from './core/resolver'
import { findStore, openStoreSync } from './core/store/store'
import type { SecretStore } from './core/store/store'

register('./loader.mjs', import.meta.url)

function openStoreNamingEnvironment(path: string): SecretStore {
  try {
    return openStoreSync({ path, readOnly: true })
  }
  catch (error) {
    throw error instanceof SecretsError ? storeFailure(error, path) : error
  }
}

// CommonJS require() of JSON does not go through the hooks on Node 20: expand it here, synchronously.
let store: SecretStore | undefined
const extensions = (Module as unknown as { _extensions: Record<string, (module: { exports: unknown, filename: string }, filename: string) => void> })._extensions
const requireJson = extensions['.json']!
extensions['.json'] = (module, filename) => {
  const text = readFileSync(filename, 'utf8')
  if (!mentionsSecret(text)) return requireJson(module, filename)
  store ??= openStoreNamingEnvironment(findStore())
  module.exports = configFormat(filename).data(text, filename, storeLookup(store)).data
}
