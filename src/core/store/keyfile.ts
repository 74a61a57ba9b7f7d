/**
 * Keys live outside the repository, one file per store id, mode 0600, in the
 * user's config folder ($XDG_CONFIG_HOME/unplugin-secrets/keys on Linux,
 * ~/Library/Preferences/unplugin-secrets/keys on macOS, %APPDATA% on Windows).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import envPaths from 'env-paths'
import { SecretsError } from '../errors'
import { assertPrivateFile, ensureFolder, readTextFile, withFileLock, writeFileAtomic } from './files'

/** What a key file holds: the store keys for one store, and this user's admin key for it. */
export interface KeyFile {
  /**
   * Newest first. Retired keys stay (up to 10): a branch that has not seen a
   * rotation still holds a store sealed with an older key, and opens with it.
   */
  storeKeys: string[]
  adminKey?: string
}

/** The package's folder in the user's config folder: the key folder and the age identity live there. */
export const configFolder = (): string => envPaths('unplugin-secrets', { suffix: '' }).config

export const keyFolder = (): string => process.env.UNPLUGIN_SECRETS_KEY_DIR || join(configFolder(), 'keys')

export const keyFilePath = (storeId: string): string => join(keyFolder(), `${storeId}.json`)

function parseKeyFile(path: string, text: string, mode: number): KeyFile {
  assertPrivateFile(path, mode, 'key file', 'KEY_INVALID')
  try {
    const json = JSON.parse(text) as Partial<KeyFile>
    const { storeKeys, adminKey } = json
    const badStoreKeys = !Array.isArray(storeKeys) || !storeKeys.every(key => typeof key === 'string')
    if (badStoreKeys || (adminKey !== undefined && typeof adminKey !== 'string'))
      throw new Error('shape')
    return { storeKeys, ...(adminKey ? { adminKey } : {}) }
  }
  catch {
    throw new SecretsError('KEY_INVALID', [
      `The key file ${path} is damaged. Import the store key again:`,
      'unplugin-secrets key export | unplugin-secrets key import (on a machine that has it).',
    ].join(' '))
  }
}

const KEPT_STORE_KEYS = 10

/** The key file with `storeKey` first and the keys it had after it. */
export const withStoreKey = (keys: KeyFile, storeKey: string): KeyFile =>
  ({ ...keys, storeKeys: [storeKey, ...keys.storeKeys.filter(key => key !== storeKey)].slice(0, KEPT_STORE_KEYS) })

export async function readKeyFile(storeId: string): Promise<KeyFile | undefined> {
  const path = keyFilePath(storeId)
  const text = await readTextFile(path)
  return text === undefined ? undefined : parseKeyFile(path, text, (await stat(path)).mode)
}

/** readKeyFile for synchronous callers (the start-up runtime). */
export function readKeyFileSync(storeId: string): KeyFile | undefined {
  const path = keyFilePath(storeId)
  if (!existsSync(path)) return undefined
  return parseKeyFile(path, readFileSync(path, 'utf8'), statSync(path).mode)
}

export async function writeKeyFile(storeId: string, keys: KeyFile): Promise<string> {
  const path = keyFilePath(storeId)
  await ensureFolder(keyFolder(), 0o700)
  await writeFileAtomic(path, `${JSON.stringify(keys, null, 2)}\n`, 0o600, 'key-file')
  return path
}

/** Read-modify-write of the key file, under its own lock so concurrent updates do not lose a key. */
export async function updateKeyFile(storeId: string, change: (keys: KeyFile) => KeyFile): Promise<string> {
  await ensureFolder(keyFolder(), 0o700)
  return withFileLock(
    keyFilePath(storeId),
    async () => writeKeyFile(storeId, change((await readKeyFile(storeId)) ?? { storeKeys: [] })),
    'key-file',
  )
}
