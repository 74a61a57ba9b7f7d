import { resolve } from 'node:path'
import { SecretsError } from './errors'
import { parseReferences } from './reference'
import type { SecretStore } from './store/store'
import { openStoreSync } from './store/store'

export interface RuntimeConfigOptions {
  /** The store path the build used, relative to the bundler's root; at start-up relative to the working directory. */
  store: string
  /** The config file, for messages. */
  file: string
}

const opened = new Map<string, SecretStore>()

/** Deep copy of `data` with every string passed through `change` (plain objects and arrays; own keys, __proto__ included). */
function mapStrings(data: unknown, change: (text: string) => string): unknown {
  if (typeof data === 'string') return change(data)
  if (Array.isArray(data)) return data.map(item => mapStrings(item, change))
  if (data !== null && typeof data === 'object' && Object.getPrototypeOf(data) === Object.prototype)
    return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, mapStrings(value, change)]))
  return data
}

function referencedNames(data: unknown): Set<string> {
  const names = new Set<string>()
  mapStrings(data, (text) => {
    for (const part of parseReferences(text)) if (part.type === 'ref') names.add(part.name)
    return text
  })
  return names
}

/**
 * Resolves the `${secret.NAME}` references of a config built with
 * `mode: 'runtime'`, when its module is first evaluated: opens the store
 * (UNPLUGIN_SECRETS_STORE, else the build's path from the working directory;
 * key from UNPLUGIN_SECRETS_KEY or the key file), verifies it, and fails with
 * one error listing every missing name.
 */
export function resolveConfig<T>(data: T, options: RuntimeConfigOptions): T {
  const names = referencedNames(data)
  const path = resolve(process.env.UNPLUGIN_SECRETS_STORE || options.store)
  let store = opened.get(path)
  if (names.size > 0 && !store) {
    try {
      store = openStoreSync({ path })
    }
    catch (error) {
      if (!(error instanceof SecretsError)) throw error
      throw new SecretsError(error.code, `${options.file}: cannot resolve its secrets at start-up: ${error.message}`)
    }
    opened.set(path, store)
  }
  const missing = [...names].filter(name => !store!.has(name)).sort()
  if (missing.length > 0)
    throw new SecretsError('SECRET_MISSING', `${options.file}: ${missing.length === 1 ? 'secret' : `${missing.length} secrets`} missing from ${path} at start-up: ${missing.join(', ')}. Add ${missing.length === 1 ? 'it' : 'each'} with: unplugin-secrets set ${missing[0]} --store ${path}`)
  return mapStrings(data, text => parseReferences(text).map(part => (part.type === 'text' ? part.text : store!.getSync(part.name)!)).join('')) as T
}
