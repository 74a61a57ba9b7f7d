/**
 * One framework app of test/frameworks/apps, installed as a user would: copied
 * to a temporary folder, `npm ci` from its lock with the packed package, a
 * store made beside it. Builds, servers and dev servers run as child processes.
 */
import { spawn } from 'node:child_process'
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, inject } from 'vitest'
import { CLI, dist, ROOT, runProcess } from '../helpers'
import type { RunResult } from '../helpers'

/** The secret every app's config references; quotes, so pages write it escaped (JSON) and as entities (HTML). */
export const API_TOKEN = 'tok-"fw"-9d3e1c-value'
/** A part of it no output may hold (in any spelling the apps use, the quotes differ but this does not). */
export const VALUE_MARK = '9d3e1c'

export interface App {
  dir: string
  /** The store key: builds get it as UNPLUGIN_SECRETS_KEY, a server in runtime mode too. */
  key: string
  /** The store's admin key (the dashboard's sign-in link, changing secrets). */
  adminKey: string
  /** A clean environment for children, with `extra`: no key unless given. */
  env: (extra?: Record<string, string>) => Record<string, string>
  /** Runs a tool of the app's node_modules/.bin with the store key. */
  run: (tool: string, args: string[], extra?: Record<string, string>) => Promise<RunResult>
  write: (file: string, text: string) => Promise<void>
  /** Changes a secret through the CLI, as an admin in another terminal would. */
  setSecret: (name: string, value: string) => Promise<void>
}

/** A copy of the app with its dependencies installed from the lock, and a store holding API_TOKEN. */
export async function installApp(name: string): Promise<App> {
  const dir = join(tmpdir(), `usec-${name}-${process.pid}`)
  await rm(dir, { recursive: true, force: true })
  await cp(join(import.meta.dirname, 'apps', name), dir, { recursive: true })
  afterAll(() => rm(dir, { recursive: true, force: true }))
  await cp(inject('tarball'), join(dir, 'unplugin-secrets.tgz'))
  await dropTarballIntegrity(join(dir, 'package-lock.json'))
  const keyFolder = join(dir, '.keys')
  await mkdir(keyFolder)
  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH!,
    HOME: dir,
    UNPLUGIN_SECRETS_KEY_DIR: keyFolder,
    NO_COLOR: '1',
    ASTRO_TELEMETRY_DISABLED: '1',
    NUXT_TELEMETRY_DISABLED: '1',
    ...extra,
  })
  const install = await runProcess('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir, env: env({ npm_config_cache: join(process.env.HOME ?? dir, '.npm') }) })
  expect(install.code, install.stderr).toBe(0)
  const { createStore } = await dist('store')
  const created = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
  await created.store.set('API_TOKEN', API_TOKEN)
  const adminKey: string = created.adminKey
  return {
    dir,
    key: created.storeKey,
    adminKey,
    env,
    run: (tool, args, extra = {}) => runProcess(join(dir, 'node_modules/.bin', tool), args, { cwd: dir, env: env({ UNPLUGIN_SECRETS_KEY: created.storeKey, ...extra }) }),
    write: (file, text) => writeFile(join(dir, file), text),
    async setSecret(secret, value) {
      const result = await runProcess(process.execPath, [CLI, 'set', secret], { cwd: dir, env: env({ UNPLUGIN_SECRETS_KEY: created.storeKey, UNPLUGIN_SECRETS_ADMIN_KEY: adminKey }), input: value })
      expect(result.code, result.stderr).toBe(0)
    },
  }
}

/**
 * The lock pins the tarball's hash, which changes with every pack: let npm ci
 * take the fresh one. It also records the package's own dependencies: when
 * they changed since, `npm ci` would install without the new ones, so say how
 * to re-lock instead.
 */
async function dropTarballIntegrity(lockFile: string): Promise<void> {
  const lock = JSON.parse(await readFile(lockFile, 'utf8')) as { packages: Record<string, { integrity?: string, dependencies?: Record<string, string> }> }
  const entry = lock.packages['node_modules/unplugin-secrets']!
  const ours = (JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies
  if (JSON.stringify(entry.dependencies ?? {}) !== JSON.stringify(ours))
    throw new Error(`${lockFile} was locked with other dependencies of unplugin-secrets than package.json has now: run npm run frameworks:locks`)
  delete entry.integrity
  await writeFile(lockFile, JSON.stringify(lock, null, 2))
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    }).on('error', reject)
  })
}

export type Started
  = | { listening: true, output: () => string, get: (path: string) => Promise<Response>, stop: () => Promise<void> }
    | { listening: false, code: number | null, output: string }

/**
 * Starts a server (or dev server) and waits until `port` answers HTTP, or
 * until the process exits by itself (a server that fails at start-up).
 */
export async function startServer(command: string, args: string[], options: { cwd: string, env: Record<string, string>, port: number, timeoutMs?: number }): Promise<Started> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk })
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  let done: number | null | undefined
  void exited.then((code) => { done = code })
  const url = `http://127.0.0.1:${options.port}`
  const deadline = Date.now() + (options.timeoutMs ?? 120_000)
  while (Date.now() < deadline) {
    if (done !== undefined) return { listening: false, code: done, output }
    const answered = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(() => true, () => false)
    if (answered) {
      const stop = async () => {
        if (done === undefined) child.kill('SIGTERM')
        await exited
      }
      afterAll(stop)
      return { listening: true, output: () => output, get: path => fetch(url + path), stop }
    }
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  child.kill('SIGKILL')
  throw new Error(`no answer on ${url} and no exit within the time allowed:\n${output}`)
}

/** Every file under `folders` (relative to the app) that holds the value's mark, as relative paths. */
export async function filesWithValue(app: App, folders: string[]): Promise<string[]> {
  const found: string[] = []
  for (const folder of folders) {
    const names = await readdir(join(app.dir, folder), { recursive: true }).catch(() => [] as string[])
    for (const name of names) {
      const text = await readFile(join(app.dir, folder, name), 'utf8').catch(() => '')
      if (text.includes(VALUE_MARK)) found.push(join(folder, name))
    }
  }
  return found
}

/** The value as the app's JSON route returns it. */
export async function servedToken(started: Started, path: string): Promise<string> {
  if (!started.listening) throw new Error(`the server did not start:\n${started.output}`)
  const response = await started.get(path)
  expect(response.status).toBe(200)
  return ((await response.json()) as { token: string }).token
}

/** tsc on one file of the app (strict), or on a tsconfig of the app (`-p`), against the app's installed types. */
export function typeCheck(app: App, target: { file: string } | { project: string }): Promise<RunResult> {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
  const args = 'project' in target
    ? ['-p', target.project]
    : ['--noEmit', '--strict', '--skipLibCheck', '--module', 'preserve', '--moduleResolution', 'bundler', '--target', 'es2022', target.file]
  return runProcess(process.execPath, [tsc, ...args, '--pretty', 'false'], { cwd: app.dir, env: app.env() })
}
