/**
 * Where a store key comes from, behind one interface: the key option,
 * UNPLUGIN_SECRETS_KEY, the key file, or a reader's own age identity opening
 * their entry in the store. docs/key-providers.md says how a KMS plugs in.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads'
import type { SecretsErrorCode } from '../errors'
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
  find: (_file, { key }) =>
    key === undefined ? undefined : { source: 'option', label: 'The store key in the key option', candidates: [key] },
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
  find: (file, { keyFile }) => keyFile?.storeKeys.length
    ? { source: 'file', label: `The store key in the key file ${keyFilePath(file.id)}`, candidates: keyFile.storeKeys }
    : undefined,
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
export async function findStoreKeys(
  file: StoreFile,
  context: KeyContext,
  identity?: KeySourceProvider,
): Promise<FoundKeys> {
  const explicit = optionKey.find(file, context) ?? environmentKey.find(file, context)
  if (explicit) return explicit as FoundKeys
  const fromFile = keyFileKeys.find(file, context) as FoundKeys | undefined
  if (opensFile(fromFile, file)) return fromFile!
  const fromIdentity = identity && file.readers.size > 0 ? await identity.find(file, context) : undefined
  return fromIdentity ?? fromFile ?? missingKey(file, context.path)
}

/**
 * findStoreKeys for synchronous callers (start-up code). A reader identity is
 * opened in a worker thread (age's library is asynchronous) that this thread
 * waits for; where the worker's file is not beside this module (the package
 * bundled into a server), start-up code says to use UNPLUGIN_SECRETS_KEY.
 */
export function findStoreKeysSync(file: StoreFile, context: KeyContext): FoundKeys {
  const explicit = optionKey.find(file, context) ?? environmentKey.find(file, context)
  if (explicit) return explicit as FoundKeys
  const fromFile = keyFileKeys.find(file, context) as FoundKeys | undefined
  if (opensFile(fromFile, file) || file.readers.size === 0) return fromFile ?? missingKey(file, context.path)
  return readerKeysInWorker(file, context) ?? fromFile ?? missingKey(file, context.path)
}

const READER_WORKER = new URL('./reader-worker.mjs', import.meta.url)
const WORKER_TIMEOUT_MS = 60_000

function readerKeysInWorker(file: StoreFile, context: KeyContext): FoundKeys | undefined {
  if (!existsSync(fileURLToPath(READER_WORKER))) {
    throw new SecretsError('KEY_MISSING', [
      `No store key for ${context.path} (store id ${file.id}) where start-up code can read it, and the age identity`,
      `cannot be used from here (the package was bundled into the server). Set ${STORE_KEY_ENV} for the server`,
      '(an admin prints it with unplugin-secrets key export), or keep unplugin-secrets external to the server bundle.',
    ].join(' '))
  }
  const done = new Int32Array(new SharedArrayBuffer(4))
  const { port1, port2 } = new MessageChannel()
  // execArgv: [] — the worker must not inherit `-e`/`--input-type` and run the parent's script instead of its own.
  const worker = new Worker(READER_WORKER, {
    workerData: { file, context, port: port2, done },
    transferList: [port2],
    execArgv: [],
  })
  try {
    if (Atomics.wait(done, 0, 0, WORKER_TIMEOUT_MS) === 'timed-out') {
      throw new SecretsError('KEY_MISSING', [
        `Opening your age identity's entry in ${context.path} took over ${WORKER_TIMEOUT_MS / 1000} s;`,
        `set ${STORE_KEY_ENV} for start-up code instead.`,
      ].join(' '))
    }
    const reply = receiveMessageOnPort(port1)?.message as
      | { found?: FoundKeys, error?: { code?: SecretsErrorCode, message: string } }
      | undefined
    if (reply?.error) throw new SecretsError(reply.error.code ?? 'KEY_MISSING', reply.error.message)
    return reply?.found
  }
  finally {
    port1.close()
    void worker.terminate()
  }
}

/** Where a store key was looked for, in the order it is looked for. */
function placesLooked(file: StoreFile): string {
  const places = [
    'the key option',
    `the ${STORE_KEY_ENV} variable (Vite also reads it from its env files:`
    + ' .env, .env.local, .env.[mode], .env.[mode].local)',
    `the key file ${keyFilePath(file.id)}`,
    ...(file.readers.size > 0 ? ['your age identity'] : []),
  ]
  return `${places.slice(0, -1).join(', ')} and ${places.at(-1)}`
}

function missingKey(file: StoreFile, path: string): never {
  const environment = environmentOfStore(path)
  const flag = environment === undefined || environment === DEFAULT_ENVIRONMENT ? '' : ` --env ${environment}`
  const reader = file.readers.size > 0
    ? [
        ' If an admin added you as a reader,',
        'point UNPLUGIN_SECRETS_AGE_KEY_FILE at your age identity (or create one: unplugin-secrets identity new).',
      ].join(' ')
    : ''
  throw new SecretsError('KEY_MISSING', [
    `No store key for ${path} (store id ${file.id}). Looked in ${placesLooked(file)}.`,
    `Its admins can give you access: ${storeAdmins(file)}.`,
    `In CI set ${STORE_KEY_ENV}; on your machine import it: unplugin-secrets`,
    `key import${flag} (paste the key an admin gets from unplugin-secrets key export${flag}).${reader}`,
  ].join(' '))
}
