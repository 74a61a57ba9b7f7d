/**
 * The parse cache's key: random, one per user, kept beside the store keys
 * (mode 0600), so whoever can write node_modules cannot forge a cache entry.
 */
import { randomBytes } from 'node:crypto'
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureFolder } from './store/files'
import { keyFolder } from './store/keyfile'

const KEY_BYTES = 32
const KEY_TEXT = /^[0-9a-f]{64}\n?$/

/** Where the key lives: in the key folder ($XDG_CONFIG_HOME/unplugin-secrets/keys, or UNPLUGIN_SECRETS_KEY_DIR). */
export const cacheKeyPath = (): string => join(keyFolder(), 'parse-cache.key')

/** The key in the file, if it is one and no one else can read it (as ssh treats private keys). */
async function readKey(path: string): Promise<Buffer | undefined> {
  const text = await readFile(path, 'utf8')
  if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) return undefined
  return KEY_TEXT.test(text) ? Buffer.from(text.trim(), 'hex') : undefined
}

/** A new key, written whole into a temporary file beside `path`. */
async function writeNewKey(path: string): Promise<string> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const handle = await open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(`${randomBytes(KEY_BYTES).toString('hex')}\n`)
  }
  finally {
    await handle.close()
  }
  return temp
}

/** Creates the key unless another process just did: link() fails when the name exists, so the first one wins. */
async function createKey(path: string): Promise<void> {
  const temp = await writeNewKey(path)
  try {
    await link(temp, path)
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  finally {
    await unlink(temp).catch(() => {})
  }
}

async function replaceKey(path: string): Promise<void> {
  const temp = await writeNewKey(path)
  await rename(temp, path).catch(async (error: unknown) => {
    await unlink(temp).catch(() => {})
    throw error
  })
}

async function loadOrCreate(path: string): Promise<Buffer | undefined> {
  try {
    await ensureFolder(keyFolder(), 0o700)
    const found = await readKey(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
      return createKey(path).then(() => readKey(path))
    })
    if (found) return found
    // Damaged, or readable by others: a key someone else may know is replaced (entries sealed with it then miss).
    await replaceKey(path)
    return await readKey(path)
  }
  catch {
    return undefined // no writable key folder (a read-only home): the cache stays in memory
  }
}

const loaded = new Map<string, Promise<Buffer | undefined>>()

/** The key, created on first use; undefined when the key folder cannot be used, and then nothing is cached on disk. */
export function parseCacheKey(): Promise<Buffer | undefined> {
  const path = cacheKeyPath()
  let key = loaded.get(path)
  if (!key) loaded.set(path, key = loadOrCreate(path))
  return key
}
