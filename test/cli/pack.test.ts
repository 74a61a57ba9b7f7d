/**
 * The published package: `npm pack` the repository (with its built dist/),
 * install the tarball into a fresh project from the registry, and use the
 * installed `unplugin-secrets` bin, the `unplugin-secrets/store` export and
 * the `unplugin-secrets/client` types (with the repository's TypeScript).
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, realpath, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { CLI, DIST_STORE, ROOT, tempDir } from '../helpers'

interface Result {
  code: number
  stdout: string
  stderr: string
}

function exec(file: string, args: string[], options: { cwd: string, env?: Record<string, string>, input?: string, timeout?: number }): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeout ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr })
    })
    // A program that exits without reading stdin closes the pipe: EPIPE is not a test failure (as in helpers.ts).
    child.stdin?.on('error', (error: NodeJS.ErrnoException) => { if (error.code !== 'EPIPE') throw error })
    child.stdin?.end(options.input ?? '')
  })
}

const TMP = await tempDir('usec-pack-')
const PACKAGE = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { name: string, version: string }
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

let tarball: string
let project: string
let bin: string
/** A home and config folder of its own, so nothing touches the real home. */
let userEnv: Record<string, string>

beforeAll(async () => {
  if (!existsSync(CLI) || !existsSync(DIST_STORE)) throw new Error(`${CLI} is missing: build first with npx tsdown (npm test does).`)
  const packDir = join(TMP, 'pack')
  await mkdir(packDir)
  const pack = await exec(npm, ['pack', '--pack-destination', packDir, '--silent'], { cwd: ROOT, timeout: 60_000 })
  expect(pack.code, pack.stderr).toBe(0)
  const files = (await readdir(packDir)).filter(name => name.endsWith('.tgz'))
  expect(files).toEqual([`${PACKAGE.name}-${PACKAGE.version}.tgz`])
  tarball = join(packDir, files[0]!)

  project = join(TMP, 'project')
  await mkdir(project)
  await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'pack-test-project', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`)
  const install = await exec(npm, ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: project, timeout: 170_000 })
  expect(install.code, install.stderr).toBe(0)
  bin = join(project, 'node_modules', '.bin', 'unplugin-secrets')

  const home = join(TMP, 'home')
  await mkdir(home)
  userEnv = { PATH: process.env.PATH!, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), NO_COLOR: '1' }
}, 180_000)

describe('the packed package', () => {
  it('holds the build, not the sources or tests', async () => {
    const list = await exec('tar', ['-tzf', tarball], { cwd: TMP })
    expect(list.code, list.stderr).toBe(0)
    const files = list.stdout.trim().split('\n').sort()
    expect(files).toContain('package/dist/cli.mjs')
    expect(files).toContain('package/dist/store.mjs')
    expect(files).toContain('package/dist/store.d.mts')
    expect(files).toContain('package/package.json')
    expect(files).toContain('package/LICENSE')
    expect(files).toContain('package/README.md')
    expect(files).toContain('package/client.d.ts')
    expect(files.filter(file => /^package\/(?:src|test|bench|playground|docs|node_modules)\//.test(file))).toEqual([])
  })

  it('installs a bin that runs by itself and prints the version', async () => {
    // the bin is the installed copy, not the repository's dist/
    expect(await realpath(bin)).toBe(join(await realpath(project), 'node_modules', PACKAGE.name, 'dist', 'cli.mjs'))
    const result = await exec(bin, ['--version'], { cwd: project, env: userEnv })
    expect(result).toMatchObject({ code: 0, stdout: `${PACKAGE.version}\n`, stderr: '' })
  })

  it('init, set from a pipe and get work from the installed bin', async () => {
    const init = await exec(bin, ['init', '--admin', 'packer'], { cwd: project, env: userEnv })
    expect(init.code, init.stderr).toBe(0)
    expect(init.stderr).toContain('Created secrets.enc.json')
    const set = await exec(bin, ['set', 'PACKED_TOKEN', '--description', 'from the tarball'], { cwd: project, env: userEnv, input: 'packed value ✓\n' })
    expect(set.code, set.stderr).toBe(0)
    expect(await exec(bin, ['get', 'PACKED_TOKEN'], { cwd: project, env: userEnv })).toMatchObject({ code: 0, stdout: 'packed value ✓\n' })
    const verify = await exec(bin, ['verify'], { cwd: project, env: userEnv })
    expect(verify.code, verify.stderr).toBe(0)
    expect(verify.stdout).toContain('revision 2, 1 secret, admins: packer')

    // the `unplugin-secrets/store` export opens the same store with the exported key
    const key = (await exec(bin, ['key', 'export'], { cwd: project, env: userEnv })).stdout.trim()
    const source = `
      import('unplugin-secrets/store').then(async (m) => {
        const store = await m.openStore({ path: 'secrets.enc.json', key: process.env.KEY })
        const { version } = await import('unplugin-secrets/package.json', { with: { type: 'json' } }).then(j => j.default)
        console.log(JSON.stringify({ value: await store.get('PACKED_TOKEN'), list: store.list().map(s => s.name), version, error: typeof m.SecretsError }))
      })`
    const result = await exec(process.execPath, ['-e', source], { cwd: project, env: { ...userEnv, HOME: project, XDG_CONFIG_HOME: join(project, 'no-keys'), KEY: key } })
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ value: 'packed value ✓', list: ['PACKED_TOKEN'], version: PACKAGE.version, error: 'function' })
  })

  it('a CommonJS config can require() every bundler entry (the README\'s webpack.config.cjs)', async () => {
    const source = `for (const name of ['vite', 'rollup', 'rolldown', 'webpack', 'rspack', 'esbuild', 'farm'])
      console.log(name, typeof require('unplugin-secrets/' + name))`
    const result = await exec(process.execPath, ['-e', source], { cwd: project, env: userEnv })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe('vite function\nrollup function\nrolldown function\nwebpack function\nrspack function\nesbuild function\nfarm function\n')
  })

  it('the store export resolves to the installed dist/store.mjs', async () => {
    const result = await exec(process.execPath, ['--input-type=module', '-e', 'console.log(import.meta.resolve("unplugin-secrets/store"))'], { cwd: project, env: userEnv })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout.trim()).toBe(`file://${join(await realpath(project), 'node_modules', PACKAGE.name, 'dist', 'store.mjs')}`)
  })
})

/** tsc on `tsconfig` (written as tsconfig.`name`.json) in the types app; stdout holds the diagnostics, one a line. */
async function typeCheck(app: string, name: string, tsconfig: object): Promise<Result> {
  const file = join(app, `tsconfig.${name}.json`)
  await writeFile(file, JSON.stringify(tsconfig))
  return exec(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', file, '--pretty', 'false'], { cwd: app, timeout: 60_000 })
}

describe('unplugin-secrets/client types YAML config imports', () => {
  const usage = [
    'import config, { grafana } from \'./config.yaml\'',
    'import alerts from \'./alerts.yml\'',
    'export const url: string = config.grafana.url',
    'export const key: string = grafana.api_key',
    'export const hook: string = alerts.slack.webhook',
  ].join('\n')
  // skipLibCheck off: client.d.ts itself is checked. No DOM lib: it is most of tsc's time.
  const strict = { strict: true, noEmit: true, skipLibCheck: false, verbatimModuleSyntax: true, target: 'es2022', lib: ['es2022'] }
  let app: string

  beforeAll(async () => {
    app = join(project, 'types-app')
    await mkdir(app)
    await writeFile(join(app, 'config.yaml'), 'grafana:\n  url: https://grafana.example.com\n  api_key: ${secret.GRAFANA_API_KEY}\n')
    await writeFile(join(app, 'alerts.yml'), 'slack:\n  webhook: ${secret.SLACK_WEBHOOK_URL}\n')
    await writeFile(join(app, 'main.ts'), `${usage}\n`)
    await writeFile(join(app, 'env.d.ts'), '/// <reference types="unplugin-secrets/client" />\n')
  })

  it('without it, TypeScript cannot find the module (what a new user saw)', async () => {
    const result = await typeCheck(app, 'none', { compilerOptions: { ...strict, module: 'preserve', moduleResolution: 'bundler', types: [] }, files: ['main.ts'] })
    expect(result.code).toBe(2)
    expect(result.stdout).toContain('main.ts(1,33): error TS2307: Cannot find module \'./config.yaml\'')
  })

  it('"types": ["unplugin-secrets/client"] in tsconfig.json (bundler resolution)', async () => {
    const result = await typeCheck(app, 'types', { compilerOptions: { ...strict, module: 'preserve', moduleResolution: 'bundler', types: ['unplugin-secrets/client'] }, files: ['main.ts'] })
    expect(result, result.stdout).toMatchObject({ code: 0, stdout: '' })
  })

  it('a triple-slash reference (nodenext resolution)', async () => {
    const result = await typeCheck(app, 'reference', { compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', types: [] }, files: ['env.d.ts', 'main.ts'] })
    expect(result, result.stdout).toMatchObject({ code: 0, stdout: '' })
  })

  it('a sibling config.d.yaml.ts (allowArbitraryExtensions) gives one file exact types', async () => {
    await writeFile(join(app, 'typed.yaml'), 'port: 8080\n')
    await writeFile(join(app, 'typed.d.yaml.ts'), 'declare const config: { port: number }\nexport default config\n')
    await writeFile(join(app, 'typed.ts'), 'import typed from \'./typed.yaml\'\nexport const port: string = typed.port\n')
    const result = await typeCheck(app, 'typed', { compilerOptions: { ...strict, module: 'preserve', moduleResolution: 'bundler', allowArbitraryExtensions: true, types: ['unplugin-secrets/client'] }, files: ['main.ts', 'typed.ts'] })
    expect(result.code).toBe(2)
    expect(result.stdout.trim()).toBe('typed.ts(2,14): error TS2322: Type \'number\' is not assignable to type \'string\'.')
  })
})
