/**
 * Start-up resolution (`mode: 'runtime'`): the built config modules resolve
 * their references here, and each server entry checks every config first.
 */
import { resolve } from 'node:path'
import { SecretsError } from './errors'
import { setAt } from './formats/module'
import type { ReferenceParts } from './formats/yaml'
import type { SecretStore } from './store/store'
import { storeFailure } from './resolver'
import { openStoreSync } from './store/store'

export interface RuntimeConfigOptions {
  /** The store path the build wrote: absolute, or relative to the working directory at start-up. */
  store: string
  /** The config file, for messages. */
  file: string
  /** Where the strings with references are in the data, and their parts (recorded at build time). */
  refs: [(string | number)[], ReferenceParts][]
}

const opened = new Map<string, SecretStore>()

/** Deep copy of plain objects and arrays; own keys only, `__proto__` included. */
function copy(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(copy)
  if (data !== null && typeof data === 'object' && Object.getPrototypeOf(data) === Object.prototype)
    return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, copy(value)]))
  return data
}

function open(path: string, file: string): SecretStore {
  const cached = opened.get(path)
  if (cached) return cached
  try {
    const store = openStoreSync({ path, readOnly: true })
    opened.set(path, store)
    return store
  }
  catch (error) {
    if (!(error instanceof SecretsError)) throw error
    throw storeFailure(error, path, `${file}: cannot resolve its secrets at start-up`)
  }
}

/** The store a runtime build opens at start-up: UNPLUGIN_SECRETS_STORE, else the path the build wrote. */
const startUpStorePath = (store: string): string => resolve(process.env.UNPLUGIN_SECRETS_STORE || store)

/** Opens the store and checks that it holds every name `file` references: one error lists all missing names. */
function openWith(store: string, file: string, names: Iterable<string>): SecretStore {
  const path = startUpStorePath(store)
  const opened = open(path, file)
  const missing = [...new Set(names)].filter(name => !opened.has(name)).sort()
  if (missing.length > 0) {
    throw new SecretsError('SECRET_MISSING', [
      `${file}: ${missing.length === 1 ? 'secret' : `${missing.length} secrets`}`,
      `missing from ${path} at start-up: ${missing.join(', ')}.`,
      `Add ${missing.length === 1 ? 'it' : 'each'} with: unplugin-secrets set ${missing[0]} --store ${path}`,
    ].join(' '))
  }
  return opened
}

/**
 * Resolves the references of a config built with `mode: 'runtime'` when its
 * module is first evaluated: opens the store (UNPLUGIN_SECRETS_STORE, else the
 * build's path; key from UNPLUGIN_SECRETS_KEY or the key file), verifies it,
 * and fails with one error listing every missing name. Only the strings the
 * build recorded are touched: other text is never read as a reference.
 */
export function resolveConfig<T>(data: T, options: RuntimeConfigOptions): T {
  if (options.refs.length === 0) return data
  const store = openWith(
    options.store,
    options.file,
    options.refs.flatMap(([, parts]) => parts.filter(part => typeof part !== 'string').map(part => part.secret)),
  )
  let result = copy(data)
  for (const [at, parts] of options.refs) {
    const value = parts.map(part => (typeof part === 'string' ? part : store.getSync(part.secret)!)).join('')
    if (at.length) setAt(result, at, value)
    else result = value // the document is the string
  }
  return result as T
}

export interface StartUpCheck {
  /** The store path the build wrote (as in RuntimeConfigOptions). */
  store: string
  /** Every config of the build that resolves at start-up, and the names it references. */
  configs: Record<string, string[]>
}

/**
 * Run first by every server entry a runtime build writes: opens the store and
 * checks every config's names, so a server without its key or a secret stops
 * before it listens, even when the configs are in chunks loaded on a request.
 */
export function checkAtStartUp({ store, configs }: StartUpCheck): void {
  for (const [file, names] of Object.entries(configs)) openWith(store, file, names)
}
