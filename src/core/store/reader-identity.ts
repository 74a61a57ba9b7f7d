/**
 * Where a reader's age identity comes from: UNPLUGIN_SECRETS_AGE_KEY_FILE (a path, as SOPS_AGE_KEY_FILE),
 * else UNPLUGIN_SECRETS_AGE_KEY (the identity itself, for CI), else identity.txt in the config folder.
 */
import { readFile, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { SecretsError } from '../errors'
import type { AgeIdentity } from './age'
import { newIdentityFile, parseIdentities } from './age'
import { assertPrivateFile, createFileExclusive, describeFsError, ensureFolder } from './files'
import { configFolder } from './keyfile'

export const AGE_KEY_FILE_ENV = 'UNPLUGIN_SECRETS_AGE_KEY_FILE'
export const AGE_KEY_ENV = 'UNPLUGIN_SECRETS_AGE_KEY'

/** Beside the key files when UNPLUGIN_SECRETS_KEY_DIR moves them, else in the package's config folder. */
export const defaultIdentityPath = (): string =>
  join(process.env.UNPLUGIN_SECRETS_KEY_DIR || configFolder(), 'identity.txt')

/** The identity file in use: the one UNPLUGIN_SECRETS_AGE_KEY_FILE names, else the default one. */
export const identityFilePath = (): string => {
  const named = process.env[AGE_KEY_FILE_ENV]
  return named ? resolve(named) : defaultIdentityPath()
}

export interface ReaderIdentity {
  identities: AgeIdentity[]
  /**
   * Where it came from, for people: `UNPLUGIN_SECRETS_AGE_KEY_FILE=/path`,
   * `UNPLUGIN_SECRETS_AGE_KEY` or the default file's path.
   */
  from: string
}

/** The text of an identity file, refused when others can read it; undefined when there is none. */
async function readIdentityFile(path: string): Promise<string | undefined> {
  try {
    assertPrivateFile(path, (await stat(path)).mode, 'identity file', 'IDENTITY_INVALID')
    return await readFile(path, 'utf8')
  }
  catch (error) {
    if (error instanceof SecretsError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SecretsError('IDENTITY_INVALID', `Could not read the identity file ${path}: ${describeFsError(error)}.`, {
      cause: error,
    })
  }
}

/** The reader's identity, or undefined when none is configured (no variable set, no default file). */
export async function loadReaderIdentity(): Promise<ReaderIdentity | undefined> {
  const named = process.env[AGE_KEY_FILE_ENV]
  if (named) {
    const path = resolve(named)
    const text = await readIdentityFile(path)
    if (text === undefined) {
      throw new SecretsError('IDENTITY_MISSING', [
        `${AGE_KEY_FILE_ENV} names ${path}, which does not exist.`,
        'Correct the variable, or create the file: unplugin-secrets identity new',
      ].join(' '))
    }
    return { identities: await parseIdentities(text, path), from: `${AGE_KEY_FILE_ENV}=${path}` }
  }
  const inline = process.env[AGE_KEY_ENV]
  if (inline) return { identities: await parseIdentities(inline, AGE_KEY_ENV), from: AGE_KEY_ENV }
  const path = defaultIdentityPath()
  const text = await readIdentityFile(path)
  return text === undefined ? undefined : { identities: await parseIdentities(text, path), from: path }
}

export const identityMissing = (): SecretsError => new SecretsError('IDENTITY_MISSING', [
  `No age identity: neither ${AGE_KEY_FILE_ENV} nor ${AGE_KEY_ENV} is set,`,
  `and ${defaultIdentityPath()} does not exist.`,
  'Make one with unplugin-secrets identity new, or point the variable at an age-keygen file or an SSH ed25519 key.',
].join(' '))

/** Creates the identity file in use (mode 0600, never over an existing one); returns its path and recipient. */
export async function createIdentityFile(): Promise<{ path: string, recipient: string }> {
  const path = identityFilePath()
  const { text, recipient } = await newIdentityFile()
  await ensureFolder(dirname(path), 0o700)
  if (!await createFileExclusive(path, text, 0o600)) {
    throw new SecretsError('IDENTITY_EXISTS', [
      `There is already an identity file at ${path}; identity new never replaces one.`,
      'unplugin-secrets identity show prints its recipient. To start over, move it away first:',
      'stores wrapped for it open only with it.',
    ].join(' '))
  }
  return { path, recipient }
}
