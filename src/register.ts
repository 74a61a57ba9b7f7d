/**
 * Plain Node: `node --import unplugin-secrets/register app.js` makes
 * `import config from './config.yaml'` (and JSON imported `with { type: 'json' }`)
 * return data with `${secret.NAME}` expanded, and `require('./config.yaml')`
 * or `require('./config.json')` from CommonJS too (the data, as require()
 * of JSON gives it). A config error stops the process before the app runs (exit code 1).
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
import { formatByExtension } from './core/formats/registry'
import type { SecretLookup } from './core/formats/types'
import { mentionsSecret } from './core/reference'
import { storeFailure, storeLookup } from './core/resolver'
import { findStore, openStoreSync } from './core/store/store'
import type { SecretStore } from './core/store/store'

register('./loader.mjs', import.meta.url)

// require() does not go through the hooks above on Node 20: CommonJS gets its configs here, synchronously.
type CompileHook = (module: { exports: unknown, filename: string }, filename: string) => void
const extensions = (Module as unknown as { _extensions: Record<string, CompileHook> })._extensions
let store: SecretStore | undefined

/**
 * The process's store (UNPLUGIN_SECRETS_STORE, UNPLUGIN_SECRETS_ENV, else the nearest secrets.enc.json),
 * opened on the first config that mentions a secret; errors name the config and the environment, as
 * the ESM loader's do.
 */
function lookupFor(file: string): SecretLookup {
  const path = findStore()
  try {
    store ??= openStoreSync({ path, readOnly: true })
  }
  catch (error) {
    if (!(error instanceof SecretsError)) throw error
    throw new SecretsError(error.code, `${file}: cannot expand its secrets: ${storeFailure(error, path).message}`)
  }
  return storeLookup(store)
}

/**
 * A compile hook that gives a config file (by the format rule: any case)
 * its data, references expanded, and passes every other file to `fallback`.
 * Node hands a file whose extension has no hook of its own (`.yaml`, `.YML`)
 * to the `.js` hook, so wrapping `.js` and `.json` covers every config.
 */
function withConfigs(fallback: CompileHook, { plainJsonToo }: { plainJsonToo: boolean }): CompileHook {
  return (module, filename) => {
    const format = formatByExtension(filename)
    if (!format) return fallback(module, filename)
    const text = readFileSync(filename, 'utf8')
    const references = mentionsSecret(text)
    // Plain JSON stays with Node's own loader where there is one: the same data and errors as without us.
    if (format.bundledAs === 'itself' && !references && !plainJsonToo) return fallback(module, filename)
    module.exports = format.data(text, filename, references ? lookupFor(filename) : () => '').data
  }
}

extensions['.json'] = withConfigs(extensions['.json']!, { plainJsonToo: false })
extensions['.js'] = withConfigs(extensions['.js']!, { plainJsonToo: true })
