/**
 * Where a store key comes from, behind one interface: the key option,
 * UNPLUGIN_SECRETS_KEY, the key file, or a reader's own age identity opening
 * their entry in the store. docs/key-providers.md says how a KMS plugs in.
 */
import { SecretsError } from '../errors'
import { dataKeyId } from './crypto'
import type { StoreFile } from './format'
import { storeAdmins } from './format'
import type { KeyFile } from './keyfile'
import { keyFilePath } from './keyfile'
import { parseStoreKey } from './keys'
import { DEFAULT_ENVIRONMENT, environmentOfStore } from './locate'

export const STORE_KEY_ENV = 'UNPLUGIN_SECRETS_KEY'

export type KeySource = 'option' | 'env' | 'file' | 'identity'

/** Store keys one source has for a store, newest first, and how messages name where they came from. */
export interface FoundKeys {
  source: KeySource
  label: string
  candidates: string[]
}

/** What a source may look at. */
export interface KeyContext {
  path: string
  /** The `key` option of the call. */
  key: string | undefined
  /** The key file of this store id, when it was read. */
  keyFile: KeyFile | undefined
}

/**
 * One place a store key can come from. `find` answers undefined when the
 * source has nothing for this store; a source that has something broken
 * (a damaged entry, an unreadable identity) throws.
 */
export interface KeySourceProvider {
  source: KeySource
  find: (file: StoreFile, context: KeyContext) => FoundKeys | undefined | Promise<FoundKeys | undefined>
}

export const optionKey: KeySourceProvider = {
  source: 'option',
  find: (_file, { key }) => (key === undefined ? undefined : { source: 'option', label: 'The store key in the key option', candidates: [key] }),
}

export const environmentKey: KeySourceProvider = {
  source: 'env',
  find: () => {
    const key = process.env[STORE_KEY_ENV]
    return key ? { source: 'env', label: `The store key in ${STORE_KEY_ENV}`, candidates: [key] } : undefined
  },
}

export const keyFileKeys: KeySourceProvider = {
  source: 'file',
  find: (file, { keyFile }) =>
    keyFile?.storeKeys.length ? { source: 'file', label: `The store key in the key file ${keyFilePath(file.id)}`, candidates: keyFile.storeKeys } : undefined,
}

/** Whether one of the candidates is the key the file is sealed with (others are retired or another store's). */
export const opensFile = (found: FoundKeys | undefined, file: StoreFile): boolean =>
  found !== undefined && found.candidates.some(key => dataKeyId(parseStoreKey(key, found.label).dataKey) === file.keyId)

/**
 * The keys to open `file` with: an explicit key (option, then environment)
 * is used alone, never passed over; else the key file when it holds the
 * file's current key, else a reader identity, else the key file's retired
 * keys (so the message says the key was retired), else KEY_MISSING.
 */
export async function findStoreKeys(file: StoreFile, context: KeyContext, identity?: KeySourceProvider): Promise<FoundKeys> {
  const explicit = optionKey.find(file, context) ?? environmentKey.find(file, context)
  if (explicit) return explicit as FoundKeys
  const fromFile = keyFileKeys.find(file, context) as FoundKeys | undefined
  if (opensFile(fromFile, file)) return fromFile!
  const fromIdentity = identity && file.readers.size > 0 ? await identity.find(file, context) : undefined
  return fromIdentity ?? fromFile ?? missingKey(file, context.path)
}

/** findStoreKeys for synchronous callers (start-up code): no age identity (its library is asynchronous). */
export function findStoreKeysSync(file: StoreFile, context: KeyContext): FoundKeys {
  const found = (optionKey.find(file, context) ?? environmentKey.find(file, context) ?? keyFileKeys.find(file, context)) as FoundKeys | undefined
  if (found) return found
  if (file.readers.size > 0)
    throw new SecretsError('KEY_MISSING', `No store key for ${context.path} (store id ${file.id}) where start-up code can read it: it opens the store synchronously and cannot use an age identity. Set ${STORE_KEY_ENV} for the server (an admin prints it with unplugin-secrets key export), or run the app through the Node loader or a build, which can.`)
  return missingKey(file, context.path)
}

function missingKey(file: StoreFile, path: string): never {
  const environment = environmentOfStore(path)
  const flag = environment === undefined || environment === DEFAULT_ENVIRONMENT ? '' : ` --env ${environment}`
  const reader = file.readers.size > 0 ? ' If an admin added you as a reader, point UNPLUGIN_SECRETS_AGE_KEY_FILE at your age identity (or create one: unplugin-secrets identity new).' : ''
  throw new SecretsError('KEY_MISSING', [
    `No store key for ${path} (store id ${file.id}).`,
    `Its admins can give you access: ${storeAdmins(file)}.`,
    `In CI set ${STORE_KEY_ENV}; on your machine import it: unplugin-secrets key import${flag} (paste the key an admin gets from unplugin-secrets key export${flag}).${reader}`,
  ].join(' '))
}
