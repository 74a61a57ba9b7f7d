/**
 * The rollback memory: for each store id and line of work (a git branch of
 * one checkout, or a store path outside git), the newest revision this
 * machine opened or wrote, kept beside the key files, never in the repository.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join, resolve } from 'node:path'
import { SecretsError } from '../errors'
import type { AuditEntry, StoreFile } from './format'
import { isAlive } from './files'
import { keyFolder } from './keyfile'
import type { Trail } from './replay'

/** What is remembered of a revision: enough to say which one it was. */
export interface SeenRevision {
  revision: number
  /** Hash of its last audit entry. */
  head: string
  /** Its last change, for messages. */
  change: string
  seenAt: string
}

export interface Memory {
  lines: Record<string, SeenRevision>
}

/** Lines of work kept per store; the least recently seen go first. */
const MAX_LINES = 64

export const historyFolder = (): string => join(keyFolder(), 'history')
const memoryPath = (storeId: string): string => join(historyFolder(), `${storeId}.json`)

/** Reads what this machine remembers of a store; a missing or damaged memory is empty (it is rewritten). */
export function readMemory(storeId: string): Memory {
  try {
    const json = JSON.parse(readFileSync(memoryPath(storeId), 'utf8')) as Memory
    if (json && typeof json.lines === 'object' && json.lines !== null) return { lines: json.lines }
  }
  catch {}
  return { lines: {} }
}

/** The heads of every line remembered: their entries were verified here before. */
export const verifiedHeads = (memory: Memory): string[] =>
  Object.values(memory.lines)
    .map(seen => seen.head)
    .filter(head => typeof head === 'string')

function gitHead(from: string): { branch: string | undefined } | undefined {
  for (let folder = from; ; folder = dirname(folder)) {
    const dotGit = join(folder, '.git')
    if (existsSync(dotGit)) {
      try {
        const gitDir = statSync(dotGit).isDirectory()
          ? dotGit
          : resolve(folder, /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))![1]!.trim())
        const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim()
        return { branch: head.startsWith('ref: ') ? head.slice(5) : undefined }
      }
      catch {
        return { branch: undefined }
      }
    }
    if (dirname(folder) === folder) return undefined
  }
}

export interface Line {
  key: string
  /** How messages name it: "branch main" or the path. */
  label: string
}

/**
 * The line of work a store file is on: its real path and, in a git work
 * tree, the checked-out branch (so switching branches is not a rollback).
 * Undefined on a detached HEAD (a tag, a bisect, a rebase, a CI checkout):
 * nothing is remembered or checked there.
 */
export function lineOf(storePath: string): Line | undefined {
  let path = storePath
  try {
    path = realpathSync(storePath)
  }
  catch {}
  const git = gitHead(dirname(path))
  if (!git) return { key: path, label: path }
  if (!git.branch) return undefined
  const branch = git.branch.replace(/^refs\/heads\//, '')
  return { key: `${path}#${git.branch}`, label: `branch ${branch}` }
}

export const describeChange = (entry: AuditEntry): string =>
  `#${entry.seq} ${entry.action}${entry.name ? ` ${entry.name}` : ''} by ${entry.admin} at ${entry.at}`

/** The revision a file is at, as the memory keeps it. */
export const seenRevision = (file: StoreFile, trail: Trail): SeenRevision => ({
  revision: file.revision,
  head: trail.head,
  change: describeChange(file.audit.at(-1)!),
  seenAt: new Date().toISOString(),
})

/** The refusal: both revisions, their last changes, and the deliberate way to accept. */
export function rollbackError(path: string, line: Line, seen: SeenRevision, file: StoreFile): SecretsError {
  const now = describeChange(file.audit.at(-1)!)
  const what = file.revision < seen.revision
    ? `went back to revision ${file.revision} (last change ${now})`
    : `has another history: revision ${file.revision} (last change ${now}) does not contain it (a fork)`
  return new SecretsError('STORE_ROLLBACK', [
    `${path}: this machine has seen`,
    `revision ${seen.revision} of this store on ${line.label} (last change ${seen.change}), and the file ${what}.`,
    'Values and admins from before a later change may be back (a revert,',
    'git checkout REF -- FILE, or a pull that moved the store back).',
    `Restore the newer file (git log -p -- ${path});`,
    `if going back is meant, accept it deliberately with: unplugin-secrets accept-rollback --store ${path}`,
  ].join(' '))
}

export function belowMinimum(path: string, file: StoreFile, minimum: number, source: string): SecretsError {
  return new SecretsError('STORE_ROLLBACK', [
    `${path} is at revision ${file.revision} (last change ${describeChange(file.audit.at(-1)!)}), below the minimum`,
    `revision ${minimum} set by ${source}. Deploy a newer store, or lower the minimum if this revision is meant.`,
  ].join(' '))
}

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Runs `update` holding `<memory>.lock`, synchronously (start-up code opens
 * stores synchronously too). Gives up after ~1 s of a live holder: then the
 * memory is not advanced this time, which can miss a rollback but never
 * raises a false one.
 */
function withMemoryLock(path: string, update: () => void): boolean {
  const lock = `${path}.lock`
  for (let attempt = 0; attempt < 100; attempt++) {
    let handle: number
    try {
      handle = openSync(lock, 'wx', 0o600)
    }
    catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (lockIsStale(lock)) unlinkSync(lock)
      else sleep(10)
      continue
    }
    try {
      writeSync(handle, String(process.pid))
      closeSync(handle)
      update()
    }
    finally {
      try {
        unlinkSync(lock)
      }
      catch {}
    }
    return true
  }
  return false
}

/** A lock whose process is gone, or that stayed empty for 2 s (its writer died before writing its pid). */
function lockIsStale(lock: string): boolean {
  try {
    const owner = Number.parseInt(readFileSync(lock, 'utf8'), 10)
    return Number.isInteger(owner) ? !isAlive(owner) : Date.now() - statSync(lock).mtimeMs > 2000
  }
  catch {
    return false // gone meanwhile: try again
  }
}

/**
 * Records that this machine opened or wrote `seen` of store `storeId` on
 * `line`, unless another process recorded a revision this file does not
 * contain meanwhile (never move the memory back). Write failures (a
 * read-only home) are ignored: the memory is a second line of defence.
 */
export function remember(storeId: string, line: Line, seen: SeenRevision, trail: Trail): void {
  const path = memoryPath(storeId)
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    withMemoryLock(path, () => {
      const memory = readMemory(storeId)
      const current = memory.lines[line.key]
      if (current?.head === seen.head) return
      if (current && !trail.has(current.head)) return
      memory.lines[line.key] = seen
      writeMemory(path, memory)
    })
  }
  catch {}
}

/** Sets the line to `seen` whatever it held: the accept-rollback command. */
export function acceptRevision(storeId: string, line: Line, seen: SeenRevision): void {
  const path = memoryPath(storeId)
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const done = withMemoryLock(path, () => {
    const memory = readMemory(storeId)
    memory.lines[line.key] = seen
    writeMemory(path, memory)
  })
  if (!done) {
    throw new SecretsError('LOCK_TIMEOUT', [
      `Another process has held ${path}.lock for over a second; nothing was accepted.`,
      'Run the command again; if no unplugin-secrets process is running, delete that file.',
    ].join(' '))
  }
}

function writeMemory(path: string, memory: Memory): void {
  const lines = Object.entries(memory.lines).sort(([, a], [, b]) => (a.seenAt < b.seenAt ? 1 : -1)).slice(0, MAX_LINES)
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  writeFileSync(temp, `${JSON.stringify({ lines: Object.fromEntries(lines) }, null, 2)}\n`, { mode: 0o600 })
  renameSync(temp, path)
}
