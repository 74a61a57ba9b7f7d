/**
 * `dts: true`: each YAML config a build imports gets `config.d.yaml.ts` beside
 * it. A small app (test/fixtures/typed) is type-checked with the real `tsc`
 * against what Vite and Rollup builds wrote; a Vite dev server follows edits.
 */
import { cp, mkdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { yamlFormat } from '../../src/core/formats/yaml-format'
import { webpackLikeBuild } from '../build'
import { dist, ROOT, runFile, tempDir } from '../helpers'
import { waitFor } from './live-store'

/** Canaries: neither may appear in any declaration. */
const DB_PASSWORD = 'canary-db-password-7f3a9c'
const GRAFANA_API_KEY = 'canary-grafana-key-41d2e8'
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')

let base: string
let key: string
const storePath = () => join(base, 'secrets.enc.json')

beforeAll(async () => {
  base = await tempDir('usec-dts-')
  const { createStore } = await dist('store')
  const { store, storeKey } = await createStore({ path: storePath(), admin: 'test' })
  await store.setMany({ DB_PASSWORD, GRAFANA_API_KEY })
  key = storeKey
})

/** A copy of the fixture app, with the package's ambient `*.yaml` types beside it (the generated file must win over them). */
async function project(name: string): Promise<string> {
  const dir = join(base, name)
  await cp(join(ROOT, 'test/fixtures/typed'), dir, { recursive: true })
  await cp(join(ROOT, 'client.d.ts'), join(dir, 'client.d.ts'))
  return dir
}

type Build = (dir: string, options?: Record<string, unknown>) => Promise<string>

/** Each builds `dir`/entry.js for Node and returns the output file. */
const builders: Record<'vite' | 'rollup' | 'rolldown' | 'esbuild' | 'webpack' | 'rspack' | 'farm', Build> = {
  async vite(dir, options = {}) {
    const { build } = await import('vite')
    const { default: secrets } = await dist('vite')
    await build({ root: dir, configFile: false, logLevel: 'silent', plugins: [secrets({ key, store: storePath(), ...options })], build: { ssr: join(dir, 'entry.js'), outDir: join(dir, 'out'), minify: false } })
    return join(dir, 'out/entry.mjs')
  },
  async rollup(dir, options = {}) {
    const { rollup } = await import('rollup')
    const { default: json } = await import('@rollup/plugin-json')
    const { default: secrets } = await dist('rollup')
    const bundle = await rollup({ input: join(dir, 'entry.js'), onwarn: () => {}, plugins: [secrets({ key, store: storePath(), ...options }), json()] })
    const file = join(dir, 'out/entry.mjs')
    await bundle.write({ file, format: 'es' })
    return file
  },
  async rolldown(dir, options = {}) {
    const { rolldown } = await import('rolldown')
    const { default: secrets } = await dist('rolldown')
    const bundle = await rolldown({ input: join(dir, 'entry.js'), cwd: dir, logLevel: 'silent', plugins: [secrets({ key, store: storePath(), ...options })] })
    const file = join(dir, 'out/entry.mjs')
    await bundle.write({ file, format: 'es' })
    return file
  },
  async esbuild(dir, options = {}) {
    const { build } = await import('esbuild')
    const { default: secrets } = await dist('esbuild')
    const outfile = join(dir, 'out/entry.mjs')
    await build({ entryPoints: [join(dir, 'entry.js')], absWorkingDir: dir, bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'silent', plugins: [secrets({ key, store: storePath(), ...options })] })
    return outfile
  },
  webpack: (dir, options) => webpackLike('webpack', dir, options),
  rspack: (dir, options) => webpackLike('rspack', dir, options),
  async farm(dir, options = {}) {
    const { build } = await import('@farmfe/core')
    const { default: secrets } = await dist('farm')
    const output = { path: join(dir, 'out'), targetEnv: 'node', format: 'esm', entryFilename: '[entryName].mjs' } as const
    await build({ root: dir, compilation: { input: { entry: './entry.js' }, output, minify: false, persistentCache: false, presetEnv: false }, plugins: [secrets({ key, store: storePath(), ...options })] })
    return join(dir, 'out/entry.mjs')
  },
}

async function webpackLike(name: 'webpack' | 'rspack', dir: string, options = {}): Promise<string> {
  const { default: secrets } = await dist(name)
  await webpackLikeBuild(name, {
    mode: 'none',
    target: 'node',
    context: dir,
    entry: join(dir, 'entry.js'),
    output: { path: join(dir, 'out'), filename: 'entry.mjs', library: { type: 'module' }, module: true, chunkFormat: 'module' },
    experiments: { outputModule: true },
    plugins: [secrets({ key, store: storePath(), ...options })],
  })
  return join(dir, 'out/entry.mjs')
}

/** `tsc -p dir`'s errors as `file:line TScode`. */
async function typeErrors(dir: string): Promise<string[]> {
  const { stdout, stderr } = await runFile(TSC, ['-p', dir, '--pretty', 'false'], { cwd: dir })
  return [...`${stdout}${stderr}`.matchAll(/^(\S+)\((\d+),\d+\): error (TS\d+)/gm)].map(([, file, line, code]) => `${file}:${line} ${code}`)
}

/** misspelled.ts, line by line: each misspelling, a wrong type, a named export that does not exist; the JSON one is TypeScript's own. */
const EXPECTED_ERRORS = [
  'misspelled.ts:5 TS2551', // config.database.pasword: "Did you mean 'password'?"
  'misspelled.ts:6 TS2322', // database.port is a number
  'misspelled.ts:7 TS2339', // replicas[0].hostname
  'misspelled.ts:8 TS2551', // grafana.apiKey
  'misspelled.ts:9 TS2724', // export { grafna }
  'misspelled.ts:10 TS2551', // settings.service.tokne (settings.json, typed by resolveJsonModule)
]

const declarationOf = (dir: string) => readFile(join(dir, 'config.d.yaml.ts'), 'utf8')

function expectNoData(declaration: string): void {
  for (const value of [DB_PASSWORD, GRAFANA_API_KEY, 'db.internal', 'grafana.example.com', '5432', 'exponential', 'eu-west-1'])
    expect(declaration).not.toContain(value)
}

describe.each(['vite', 'rollup'] as const)('dts: true with %s', (bundler) => {
  let dir: string

  beforeAll(async () => {
    dir = await project(bundler)
  })

  it('writes config.d.yaml.ts, with a header and no value, and tsc passes app.ts and fails each misspelled line', async () => {
    const output = await builders[bundler](dir, { dts: true })
    const declaration = await declarationOf(dir)
    expect(declaration).toMatch(/^\/\/ Generated by unplugin-secrets from config\.yaml \(option dts: true\)\. Do not edit/)
    expectNoData(declaration)
    await expect(stat(join(dir, 'settings.d.json.ts')), 'JSON is typed by TypeScript itself').rejects.toThrow(/ENOENT/)
    expect(await typeErrors(dir)).toEqual(EXPECTED_ERRORS)
    // The module has what the declaration says: the value arrives where it is typed string.
    const built = await import(output)
    expect(built.database.password).toBe(DB_PASSWORD)
    expect(built.database.port).toBe(5432)
    expect(built.config.replicas[1].port).toBeUndefined()
    // eslint-disable-next-line no-proto, no-restricted-properties -- a config key named __proto__ is data, and that is what is checked
    expect(built.config.__proto__).toEqual({ polluted: false })
  })
})

describe.each(['rolldown', 'esbuild', 'webpack', 'rspack', 'farm'] as const)('dts: true with %s', (bundler) => {
  it('writes the same declaration', async () => {
    const dir = await project(bundler)
    const output = await builders[bundler](dir, { dts: true })
    expect(await declarationOf(dir)).toBe(await yamlFormat.declaration!(await readFile(join(dir, 'config.yaml'), 'utf8'), 'config.yaml'))
    expect((await import(output)).database.password).toBe(DB_PASSWORD)
  })
})

describe('dts: true, rewriting', () => {
  let dir: string

  beforeAll(async () => {
    dir = await project('rewrite')
  })

  it('rewrites the declaration only when its text changes', async () => {
    await builders.rollup(dir, { dts: true })
    const path = join(dir, 'config.d.yaml.ts')
    const past = new Date('2001-01-01T00:00:00Z')
    await utimes(path, past, past)
    const config = await readFile(join(dir, 'config.yaml'), 'utf8')
    await writeFile(join(dir, 'config.yaml'), config.replace('port: 5432', 'port: 6543')) // same types
    await builders.rollup(dir, { dts: true })
    expect((await stat(path)).mtime).toEqual(past)
    await writeFile(join(dir, 'config.yaml'), `${config}added: 3\n`)
    await builders.rollup(dir, { dts: true })
    expect((await stat(path)).mtime).not.toEqual(past)
    expect(await declarationOf(dir)).toContain('  added: number\n')
  })

  it('writes the same declaration in mode: \'runtime\'', async () => {
    const inline = await declarationOf(dir)
    await rm(join(dir, 'config.d.yaml.ts'))
    await builders.rollup(dir, { dts: true, mode: 'runtime' })
    expect(await declarationOf(dir)).toBe(inline)
  })

  it('writes nothing without the option', async () => {
    const plain = await project('no-dts')
    await builders.rollup(plain)
    await expect(stat(join(plain, 'config.d.yaml.ts'))).rejects.toThrow(/ENOENT/)
  })

  it('never overwrites a declaration it did not write (DECLARATION_EXISTS), and leaves it as it was', async () => {
    const own = await project('hand-written')
    const handWritten = 'declare const config: { mine: true }\nexport default config\n'
    await writeFile(join(own, 'config.d.yaml.ts'), handWritten)
    await expect(builders.rollup(own, { dts: true })).rejects.toThrow(/hand-written\/config\.d\.yaml\.ts exists and was not written by unplugin-secrets .*dts: true does not overwrite it\. Delete it to have it generated, or set dts: false\./)
    expect(await declarationOf(own)).toBe(handWritten)
  })

  it('fails with WRITE_FAILED, naming the file, when it cannot write it', async () => {
    const blocked = await project('blocked')
    await mkdir(join(blocked, 'config.d.yaml.ts'))
    await expect(builders.rollup(blocked, { dts: true })).rejects.toThrow(/could not write the declaration \S*blocked\/config\.d\.yaml\.ts \(dts: true\): a folder has that name\. Fix the folder's permissions, or set dts: false\./)
  })
})

describe('dts: true in a Vite dev server', () => {
  let dir: string
  let server: ViteDevServer

  beforeAll(async () => {
    dir = await project('dev')
    const { createServer } = await import('vite')
    const { default: secrets } = await dist('vite')
    server = await createServer({ root: dir, configFile: false, logLevel: 'silent', plugins: [secrets({ key, store: storePath(), dts: true })], server: { port: 0, host: '127.0.0.1' } })
    await server.listen()
  }, 60_000)

  afterAll(async () => {
    await server?.close()
  })

  it('declares the named exports the module has', async () => {
    const module = await server.ssrLoadModule('/config.yaml')
    const declared = [...(await declarationOf(dir)).matchAll(/^export declare const (\S+):/gm)].map(([, name]) => name)
    expect(declared).toEqual(['database', 'grafana', 'features', 'replicas', '_config', '__proto__'])
    expect(Object.keys(module).filter(name => name !== 'default').toSorted()).toEqual(declared.toSorted())
  })

  it('rewrites the declaration when the config changes, with no request for it, and removes it with the config', async () => {
    const config = await readFile(join(dir, 'config.yaml'), 'utf8')
    await writeFile(join(dir, 'config.yaml'), config.replace('  beta: true\n', '  beta: true\n  rollout: 0.25\n'))
    await waitFor(async () => (await declarationOf(dir)).includes('    rollout: number\n'))
    expectNoData(await declarationOf(dir))
    // Half-way through an edit the file does not parse: the declaration stays, and Vite still hears of the change
    // (the module is re-transformed and reports the error), as it would not if the plugin's watchChange threw.
    await waitFor(async () => (await server.ssrLoadModule('/config.yaml')).features.rollout === 0.25) // loaded as it is now
    await writeFile(join(dir, 'config.yaml'), `${config}database: twice\n`)
    await waitFor(() => server.ssrLoadModule('/config.yaml').then(() => false, (error: Error) => /Map keys must be unique/.test(error.message)))
    expect(await declarationOf(dir)).toContain('    rollout: number\n')
    // A save caught between the truncation and the write (an empty file): the declaration stays.
    await writeFile(join(dir, 'config.yaml'), '')
    await waitFor(async () => (await server.ssrLoadModule('/config.yaml')).default === null)
    await new Promise(resolve => setTimeout(resolve, 400)) // past the watcher's second look, when saves settle
    expect(await declarationOf(dir)).toContain('    rollout: number\n')
    // Two quick saves, the first one that does not parse: the declaration follows the last (a watcher may drop it).
    await writeFile(join(dir, 'config.yaml'), `${config}database: twice\n`)
    await writeFile(join(dir, 'config.yaml'), `${config}later: [1]\n`)
    await waitFor(async () => (await declarationOf(dir)).includes('  later: number[]\n'))
    // An editor's atomic save: a new file renamed over the config.
    await writeFile(join(dir, 'config.yaml.swp'), `${config}renamed: true\n`)
    await rename(join(dir, 'config.yaml.swp'), join(dir, 'config.yaml'))
    await waitFor(async () => (await declarationOf(dir)).includes('  renamed: boolean\n'))
    await unlink(join(dir, 'config.yaml'))
    await waitFor(async () => !await stat(join(dir, 'config.d.yaml.ts')).then(() => true, () => false))
  })
})
