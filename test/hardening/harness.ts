/**
 * Shared by the hardening suite: real child processes against real stores
 * whose keys sit in a key file, as on an admin's machine.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { CLI, DIST_STORE } from '../helpers'

/** Fixed seed for every fast-check property here (reproducible CI failures). */
export const SEED = 20261126

export interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface Child {
  process: ChildProcess
  /** Resolves when the child printed `line` on stdout (or rejects if it exits first). */
  printed: (line: string) => Promise<void>
  done: Promise<ChildResult>
}

function track(proc: ChildProcess, input?: string): Child {
  let stdout = ''
  let stderr = ''
  const waiters: { line: string, resolve: () => void, reject: (error: Error) => void }[] = []
  const settle = () => {
    for (const waiter of [...waiters]) {
      if (stdout.split('\n').includes(waiter.line)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
  }
  proc.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk
    settle()
  })
  proc.stderr!.on('data', (chunk: Buffer) => { stderr += chunk })
  const done = new Promise<ChildResult>((resolve) => {
    proc.on('close', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`child exited before printing ${waiter.line}: ${stderr}`))
      resolve({ code, signal, stdout, stderr })
    })
  })
  proc.stdin!.end(input ?? '')
  return {
    process: proc,
    done,
    printed: line => new Promise((resolve, reject) => {
      waiters.push({ line, resolve, reject })
      settle()
    }),
  }
}

/** A node script (ESM source) importing `openStore` etc. from dist/store.mjs. */
export function storeScript(body: string, env: Record<string, string>): Child {
  const source = `import { openStore, createStore } from ${JSON.stringify(DIST_STORE)}\n${body}`
  return track(spawn(process.execPath, ['--input-type=module', '-e', source], { env: { PATH: process.env.PATH!, ...env }, stdio: ['pipe', 'pipe', 'pipe'] }))
}

/** The real CLI, dist/cli.mjs. */
export function cli(args: string[], env: Record<string, string>, input?: string, cwd?: string): Child {
  return track(spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH!, NO_COLOR: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] }), input)
}

/** Files in `folder` whose names start with `prefix`, sorted. */
export async function filesIn(folder: string, prefix = ''): Promise<string[]> {
  return (await readdir(folder)).filter(name => name.startsWith(prefix)).sort()
}

export const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** A deterministic pseudo-random generator (mulberry32), so fault schedules are reproducible. */
export function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
