/**
 * The store's and the key file's disk work: atomic writes with fsync, lock files that outlive
 * a crashed owner, private-file checks and the crash points the crash tests use.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { SecretsError } from '../errors'

/**
 * Test-only fault injection: when UNPLUGIN_SECRETS_TEST_CRASH_AT names this
 * step, the process kills itself as a power cut would. Crash tests use it to
 * prove every write step leaves a store that opens.
 */
export function crashPoint(step: string): void {
  if (process.env.UNPLUGIN_SECRETS_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL')
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code
  switch (code) {
    case 'ENOSPC': return 'the disk is full'
    case 'EDQUOT': return 'the disk quota is used up'
    case 'EACCES':
    case 'EPERM': return 'permission denied'
    case 'EROFS': return 'the file system is read-only'
    case 'ENOENT': return 'the folder does not exist'
    case 'EISDIR': return 'a folder has that name'
    default: return code ?? String(error)
  }
}

export function writeFailed(path: string, error: unknown, what = 'the previous file is unchanged'): SecretsError {
  return new SecretsError('WRITE_FAILED', [
    `Could not write ${path}: ${describeFsError(error)}; ${what}.`,
    'Free space or fix permissions and run the command again.',
  ].join(' '), { cause: error })
}

const tempPathFor = (path: string): string => `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`

/** Writes a new file (never an existing one) and fsyncs it; `afterWrite` runs between the two. */
async function writeSyncedFile(path: string, text: string, mode: number, afterWrite = () => {}): Promise<void> {
  const handle = await open(path, 'wx', mode)
  try {
    await handle.writeFile(text)
    afterWrite()
    await handle.sync()
  }
  finally {
    await handle.close()
  }
}

/**
 * Replaces `path` as a whole: write a temporary file beside it, fsync, rename
 * over the target, fsync the folder. Readers see the old file or the new one,
 * never a mix, whatever moment the process dies at.
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  mode: number,
  role: 'store' | 'key-file' = 'store',
): Promise<void> {
  const temp = tempPathFor(path)
  try {
    await writeSyncedFile(temp, text, mode, () => crashPoint(`${role}-temp-written`))
    crashPoint(`${role}-before-rename`)
    await rename(temp, path)
    crashPoint(`${role}-after-rename`)
  }
  catch (error) {
    await unlink(temp).catch(() => {})
    throw writeFailed(path, error)
  }
  await syncFolder(dirname(path))
}

/**
 * Creates `path` whole or not at all, and never over an existing file: the text is written
 * and synced to a temporary file, then hard-linked into place. False when `path` was taken.
 */
export async function createFileExclusive(path: string, text: string, mode: number): Promise<boolean> {
  const temp = tempPathFor(path)
  try {
    await writeSyncedFile(temp, text, mode)
    if (!await linkUnlessTaken(temp, path)) return false
  }
  catch (error) {
    throw writeFailed(path, error, 'nothing was written')
  }
  finally {
    await unlink(temp).catch(() => {})
  }
  await syncFolder(dirname(path))
  return true
}

async function linkUnlessTaken(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to)
    return true
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r')
    try {
      await handle.sync()
    }
    finally {
      await handle.close()
    }
  }
  catch {
    // Some platforms (Windows) cannot fsync a folder; the rename is still atomic there.
  }
}

const unreadable = (path: string, error: unknown): SecretsError =>
  new SecretsError('STORE_NOT_FOUND', `Could not read ${path}: ${describeFsError(error)}.`, { cause: error })

/** The file's text, or undefined when there is no such file. */
export async function readTextFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw unreadable(path, error)
  }
}

/** readTextFile for synchronous callers (start-up code). */
export function readTextFileSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw unreadable(path, error)
  }
}

/** As ssh does with private keys: a key file others can read (or write) is refused, not used. */
export function assertPrivateFile(
  path: string,
  mode: number,
  what: string,
  code: 'KEY_INVALID' | 'IDENTITY_INVALID',
): void {
  if (process.platform === 'win32' || (mode & 0o077) === 0) return
  const shown = (mode & 0o777).toString(8).padStart(3, '0')
  throw new SecretsError(code, [
    `The ${what} ${path} can be read by other users (mode ${shown}).`,
    `Make it private: chmod 600 ${path}`,
  ].join(' '))
}

export async function fileMode(path: string, fallback: number): Promise<number> {
  try {
    return (await stat(path)).mode & 0o777
  }
  catch {
    return fallback
  }
}

export const ensureFolder = (folder: string, mode?: number) =>
  mkdir(folder, { recursive: true, mode }).catch((error) => {
    throw writeFailed(folder, error, 'nothing was written')
  })

interface LockOwner {
  pid: number
  host: string
  token: string
}

const LOCK_TIMEOUT_MS = 30_000
/** A lock whose owner cannot be checked (another host, unreadable) is broken after this long. */
const FOREIGN_LOCK_STALE_MS = 60_000
const UNREADABLE_LOCK_STALE_MS = 2_000
/** Breaking a lock takes microseconds; a `.break` file this old belongs to a dead breaker. */
const BREAK_LOCK_STALE_MS = 5_000

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** Whether process `pid` on this machine still runs (EPERM: it runs as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  }
  catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The lock file's text when its owner is gone (so the lock may be broken), else undefined. */
async function staleLockText(lockPath: string): Promise<string | undefined> {
  let text: string
  let age: number
  try {
    text = await readFile(lockPath, 'utf8')
    age = Date.now() - (await stat(lockPath)).mtimeMs
  }
  catch {
    return undefined // gone already: try again
  }
  let owner: LockOwner | undefined
  try {
    owner = JSON.parse(text) as LockOwner
  }
  catch {}
  const stale = !owner || typeof owner.pid !== 'number'
    ? age > UNREADABLE_LOCK_STALE_MS
    : owner.host !== hostname() ? age > FOREIGN_LOCK_STALE_MS : !isAlive(owner.pid)
  return stale ? text : undefined
}

/**
 * Removes a stale lock, but only the very lock that was judged stale: another
 * waiter may have broken it and taken a fresh one in the meantime. Breakers
 * take turns through `<lock>.break`, so the re-read and the unlink cannot
 * interleave with another breaker's.
 */
async function breakStaleLock(lockPath: string, staleText: string): Promise<boolean> {
  const breakPath = `${lockPath}.break`
  try {
    await (await open(breakPath, 'wx', 0o600)).close()
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw writeFailed(lockPath, error, 'the store is unchanged')
    const age = await stat(breakPath).then(info => Date.now() - info.mtimeMs, () => 0)
    if (age > BREAK_LOCK_STALE_MS) await unlink(breakPath).catch(() => {})
    return false // another waiter is breaking it: wait like any waiter
  }
  try {
    if (await readFile(lockPath, 'utf8').catch(() => undefined) === staleText) await unlink(lockPath).catch(() => {})
  }
  finally {
    await unlink(breakPath).catch(() => {})
  }
  return true
}

/**
 * Serializes writers across processes with `<store>.lock`, created with
 * O_EXCL. A lock whose owner process is gone (killed mid-write) is broken at
 * once: proper-lockfile would make the next writer wait out a stale timeout.
 */
export async function withFileLock<T>(
  path: string,
  run: () => Promise<T>,
  role: 'store' | 'key-file' = 'store',
): Promise<T> {
  const lockPath = `${path}.lock`
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') }
  // The timeout is for one holder that does not let go: each new holder restarts it, so a
  // long queue of writers that all make progress (50 processes at once) never times out.
  let deadline = Date.now() + LOCK_TIMEOUT_MS
  let holder: string | undefined
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600)
      try {
        await handle.writeFile(JSON.stringify(owner))
      }
      catch (error) {
        // A full disk can take the file but not its content: an empty lock would stall the next writer.
        await handle.close().catch(() => {})
        await unlink(lockPath).catch(() => {})
        throw error
      }
      await handle.close()
      break
    }
    catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw writeFailed(lockPath, error, 'the store is unchanged')
    }
    const current = await readFile(lockPath, 'utf8').catch(() => undefined)
    if (current !== holder) {
      holder = current
      deadline = Date.now() + LOCK_TIMEOUT_MS
    }
    const staleText = await staleLockText(lockPath)
    if (staleText !== undefined) {
      if (await breakStaleLock(lockPath, staleText)) continue
    }
    if (Date.now() > deadline) {
      throw new SecretsError('LOCK_TIMEOUT', [
        `Another process has been changing ${path} for over ${LOCK_TIMEOUT_MS / 1000} s (lock file ${lockPath}).`,
        `Wait for it and retry; if no unplugin-secrets process is running, delete ${lockPath}.`,
      ].join(' '))
    }
    await sleep(Math.min(200, 5 * 1.5 ** Math.min(attempt, 12)) * (0.5 + Math.random()))
  }
  crashPoint(`${role}-locked`)
  await removeDeadTempFiles(path)
  try {
    return await run()
  }
  finally {
    await releaseLock(lockPath, owner.token)
  }
}

/** Temp files of writers that died before their rename; only the lock holder may remove them. */
async function removeDeadTempFiles(path: string): Promise<void> {
  const prefix = `${basename(path)}.`
  const names = await readdir(dirname(path)).catch(() => [] as string[])
  for (const name of names) {
    const pid = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length))?.[1]
    if (name.startsWith(prefix) && pid && !isAlive(Number(pid))) await unlink(join(dirname(path), name)).catch(() => {})
  }
}

async function releaseLock(lockPath: string, token: string): Promise<void> {
  try {
    const current = JSON.parse(await readFile(lockPath, 'utf8')) as LockOwner
    if (current.token === token) await unlink(lockPath)
  }
  catch {}
}
