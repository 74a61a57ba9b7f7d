/** Config loading without a bundler: a YAML or JSON file's data with its references expanded, or an object's. */
import { readFile } from 'node:fs/promises'
import { SecretsError } from './errors'
import { toModuleCode } from './formats/module'
import { namedFileFormat } from './formats/registry'
import type { SecretLookup, SourceMapData } from './formats/types'
import { mentionsSecret, parseReferences, ReferenceSyntaxError } from './reference'
import { missingSecret, storeFailure, storeLookup } from './resolver'
import type { SecretStore } from './store/store'
import { findStore, openStore } from './store/store'

export interface ConfigOptions {
  /**
   * The store: a path or an opened store. Default: found as the CLI finds it
   * (UNPLUGIN_SECRETS_STORE or UNPLUGIN_SECRETS_ENV, else the nearest secrets.enc.json).
   */
  store?: string | SecretStore
  /** Store key, when `store` is a path. Default: UNPLUGIN_SECRETS_KEY, then the key file. */
  key?: string
}

export interface ExpandedConfig {
  /** The data, references expanded (an array of documents for a multi-document YAML file). */
  data: unknown
  /** JSON: the file with values in place. YAML: an ES module exporting the data (as the bundler plugin emits). */
  code: string
  /** JSON: maps `code` back to the file. YAML: null. */
  map: SourceMapData | null
}

/** Opens the store once, and only when a reference needs it; a failure names the environment the store is for. */
function lazyStore(options: ConfigOptions): () => Promise<SecretStore> {
  let opening: Promise<SecretStore> | undefined
  const open = async (path: string) => openStore({ path, key: options.key }).catch((error: unknown) => {
    throw error instanceof SecretsError ? storeFailure(error, path) : error
  })
  return () =>
    (opening
      ??= typeof options.store === 'object' ? Promise.resolve(options.store) : open(options.store ?? findStore()))
}

/**
 * Expands the references in a YAML or JSON config's text, with the bundler
 * plugin's rules and errors (file:line:col, never a value).
 */
export async function expandConfig(
  text: string,
  options: ConfigOptions & { filename: string },
): Promise<ExpandedConfig> {
  const format = namedFileFormat(options.filename)
  const store = mentionsSecret(text) ? await lazyStore(options)() : undefined
  const lookup: SecretLookup = store
    ? storeLookup(store)
    : () => {
        throw new SecretsError('STORE_NOT_FOUND', 'no store was opened')
      }
  const { data, namedExports } = format.data(text, options.filename, lookup)
  // The code a bundler would be given: a module of the data, or the file itself with values in place (and a map).
  if (format.bundledAs === 'module') return { data, code: toModuleCode(data, namedExports), map: null }
  const { code, map } = format.render(text, options.filename, lookup, { sourcemap: true })
  return { data, code, map }
}

/**
 * Reads and expands a YAML (.yaml, .yml) or JSON config file.
 *
 * @example
 * ```ts
 * import { loadConfig } from 'unplugin-secrets/config'
 * const config = await loadConfig('config/integrations.yaml')
 * ```
 */
export async function loadConfig<T = unknown>(path: string, options: ConfigOptions = {}): Promise<T> {
  namedFileFormat(path) // before reading: a .env or .toml file is refused, not read as JSON
  let text: string
  try {
    text = await readFile(path, 'utf8')
  }
  catch (error) {
    throw new SecretsError(
      'STORE_NOT_FOUND',
      `Cannot read the config ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
      { cause: error },
    )
  }
  return (await expandConfig(text, { ...options, filename: path })).data as T
}

/**
 * A deep copy of an already-loaded config (from c12, unconfig, cosmiconfig…)
 * with references expanded in its strings, by the same rules: escapes,
 * no references in keys, one error per problem naming the key path.
 */
export async function resolveSecrets<T>(value: T, options: ConfigOptions = {}): Promise<T> {
  const getStore = lazyStore(options)
  const store = hasReference(value) ? await getStore() : undefined
  const walk = (item: unknown, path: string): unknown => {
    if (typeof item === 'string') return expandString(item, path, store)
    if (Array.isArray(item)) return item.map((entry, index) => walk(entry, `${path}[${index}]`))
    if (item !== null && typeof item === 'object' && Object.getPrototypeOf(item) === Object.prototype) {
      return Object.fromEntries(Object.entries(item).map(([key, entry]) => {
        if (mentionsSecret(key) && parseReferences(key).some(part => part.type === 'ref')) {
          throw new SecretsError('REFERENCE_IN_KEY', [
            `${path || '(root)'}: a \${secret.…} reference stands in the key ${JSON.stringify(key)};`,
            'references are expanded in values only.',
          ].join(' '))
        }
        return [key, walk(entry, path ? `${path}.${key}` : key)]
      }))
    }
    return item
  }
  return walk(value, '') as T
}

function hasReference(value: unknown): boolean {
  if (typeof value === 'string') return mentionsSecret(value)
  if (Array.isArray(value)) return value.some(hasReference)
  if (value !== null && typeof value === 'object')
    return Object.entries(value).some(([key, item]) => mentionsSecret(key) || hasReference(item))
  return false
}

function expandString(text: string, path: string, store: SecretStore | undefined): string {
  if (!mentionsSecret(text)) return text
  let parts
  try {
    parts = parseReferences(text)
  }
  catch (error) {
    if (error instanceof ReferenceSyntaxError)
      throw new SecretsError('REFERENCE_INVALID', `${path || '(value)'}: ${error.message}`)
    throw error
  }
  return parts.map((part) => {
    if (part.type === 'text') return part.text
    const value = store?.getSync(part.name)
    if (value !== undefined) return value
    throw new SecretsError('SECRET_MISSING', `${path || '(value)'}: ${missingSecret(store!, part.name).message}`)
  }).join('')
}
