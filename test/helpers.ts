import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll } from 'vitest'

export const ROOT = resolve(import.meta.dirname, '..')
export const CLI = join(ROOT, 'dist/cli.mjs')
export const DIST_STORE = join(ROOT, 'dist/store.mjs')
/** The YAML, JSON and real-config corpora the tests run (copies, see test/corpus/SOURCES.md). */
export const CORPUS = join(ROOT, 'test/corpus')

/** A fresh temp folder, removed after the file's tests. */
export async function tempDir(prefix = 'usec-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  afterAll(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a program in a child process with `input` on its stdin. */
export function runProcess(command: string, args: string[], options: { cwd: string, env?: NodeJS.ProcessEnv, input?: string | Buffer }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk })
    child.on('error', reject)
    child.on('close', code => resolvePromise({ code: code ?? -1, stdout, stderr }))
    // A program that exits without reading stdin (--help) closes the pipe: EPIPE is not a test failure.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => { if (error.code !== 'EPIPE') reject(error) })
    child.stdin.end(options.input ?? '')
  })
}

/** Runs the built CLI in a child process. `env` is added to a clean environment. */
export function runCli(args: string[], options: { cwd: string, env?: Record<string, string>, input?: string | Buffer }): Promise<RunResult> {
  const env = { PATH: process.env.PATH!, HOME: options.cwd, NO_COLOR: '1', ...options.env }
  return runProcess(process.execPath, [CLI, ...args], { cwd: options.cwd, env, input: options.input })
}

/** The test run's key folder (test/key-folder.setup.ts), for children given a clean environment. */
const keyFolderEnv = (): Record<string, string> => (process.env.UNPLUGIN_SECRETS_KEY_DIR ? { UNPLUGIN_SECRETS_KEY_DIR: process.env.UNPLUGIN_SECRETS_KEY_DIR } : {})

/** Runs a node script file (a bundler's CLI, say) with `args` in a child process. */
export function runFile(file: string, args: string[], options: { cwd: string, env?: Record<string, string> }): Promise<RunResult> {
  return runProcess(process.execPath, [file, ...args], { cwd: options.cwd, env: { PATH: process.env.PATH!, ...keyFolderEnv(), ...options.env } })
}

/** Runs a node script (ESM source text) in a child process. */
export function runNode(source: string, options: { cwd: string, env?: Record<string, string> }): Promise<RunResult & { signal: NodeJS.Signals | null }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, ['--input-type=module', '-e', source], { cwd: options.cwd, env: { PATH: process.env.PATH!, ...keyFolderEnv(), ...options.env } }, (error, stdout, stderr) => {
      resolvePromise({ code: typeof error?.code === 'number' ? error.code : error ? -1 : 0, signal: (error as { signal?: NodeJS.Signals } | null)?.signal ?? null, stdout, stderr })
    })
  })
}

/** A built entry of the package (dist/<entry>.mjs), as a user's code imports it. */
export const dist = (entry: string) => import(pathToFileURL(join(ROOT, 'dist', `${entry}.mjs`)).href)
