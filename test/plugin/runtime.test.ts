import { spawnSync } from 'node:child_process'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { dist, ROOT } from '../helpers'

// Inside the repository, so that built output importing 'unplugin-secrets/runtime' resolves it (package self-reference).
const DIR = join(ROOT, 'test/.tmp/runtime')
const GRAFANA_API_KEY = 'grafana-"runtime"-value-é\n-7d1e'
const DB_PASSWORD = 'db-runtime-password-42'
let key: string
let partialStore: string

const expectedConfig = {
  grafana: { api_key: GRAFANA_API_KEY, header: `Bearer ${GRAFANA_API_KEY}` },
  db: { url: `postgres://app:${DB_PASSWORD}@db/app` },
  literal: '${secret.NOT_A_REFERENCE}',
  escaped: '${secret.NOT_A_NAME}',
  aliasSource: DB_PASSWORD,
  aliasCopy: DB_PASSWORD,
  ['__proto__']: { polluted: DB_PASSWORD },
}

beforeAll(async () => {
  await rm(DIR, { recursive: true, force: true })
  await mkdir(DIR, { recursive: true })
  await writeFile(join(DIR, 'config.yaml'), 'grafana:\n  api_key: ${secret.GRAFANA_API_KEY}\n  header: Bearer ${secret.GRAFANA_API_KEY}\ndb:\n  url: postgres://app:${secret.DB_PASSWORD}@db/app\nliteral: $${secret.NOT_A_REFERENCE}\nescaped: "\\u0024{secret.NOT_A_NAME}"\naliasSource: &a ${secret.DB_PASSWORD}\naliasCopy: *a\n__proto__:\n  polluted: ${secret.DB_PASSWORD}\n')
  await writeFile(join(DIR, 'plain.json'), '{ "port": 8080 }\n')
  await writeFile(join(DIR, 'secret.json'), '{\n  "token": "Bearer ${secret.GRAFANA_API_KEY}",\n  "port": 1,\n  "escaped": "$${secret.X}"\n}\n')
  await writeFile(join(DIR, 'entry.js'), 'import config from \'./config.yaml\'\nimport plain from \'./plain.json\'\nimport secret from \'./secret.json\'\nconsole.log(JSON.stringify({ config, plain, secret }))\n')
  const { createStore } = await dist('store')
  const created = await createStore({ path: join(DIR, 'secrets.enc.json'), admin: 'test' })
  await created.store.setMany({ GRAFANA_API_KEY, DB_PASSWORD })
  key = created.storeKey
  partialStore = join(DIR, 'partial', 'secrets.enc.json')
  const partial = await createStore({ path: partialStore, admin: 'test' })
  await partial.store.set('OTHER', 'x')
  process.env.UNPLUGIN_SECRETS_PARTIAL_KEY = partial.storeKey
})

const options = () => ({ mode: 'runtime' as const })

/**
 * Each builds DIR/entry.js for Node into DIR/out-<bundler>/ and returns the
 * file to run and the folder to run it from: the one the build ran in (the
 * store path is written relative to it, and resolved from it at start-up).
 */
const builders: Record<string, () => Promise<{ file: string, cwd: string }>> = {
  async vite() {
    const { build } = await import('vite')
    const { default: secrets } = await dist('vite')
    await build({ root: DIR, configFile: false, logLevel: 'silent', plugins: [secrets(options())], build: { ssr: join(DIR, 'entry.js'), outDir: join(DIR, 'out-vite'), minify: false } })
    const name = (await readdir(join(DIR, 'out-vite'))).find(file => /^entry\.m?js$/.test(file))!
    return { file: join(DIR, 'out-vite', name), cwd: process.cwd() }
  },
  async rollup() {
    const { rollup } = await import('rollup')
    const { default: json } = await import('@rollup/plugin-json')
    const { default: secrets } = await dist('rollup')
    const bundle = await rollup({ input: join(DIR, 'entry.js'), onwarn: () => {}, plugins: [secrets({ ...options(), store: join(DIR, 'secrets.enc.json') }), json()] })
    await bundle.write({ file: join(DIR, 'out-rollup/entry.mjs'), format: 'es' })
    return { file: join(DIR, 'out-rollup/entry.mjs'), cwd: process.cwd() }
  },
  async rolldown() {
    const { rolldown } = await import('rolldown')
    const { default: secrets } = await dist('rolldown')
    const bundle = await rolldown({ input: join(DIR, 'entry.js'), logLevel: 'silent', plugins: [secrets({ ...options(), store: join(DIR, 'secrets.enc.json') })] })
    await bundle.write({ file: join(DIR, 'out-rolldown/entry.mjs'), format: 'es' })
    return { file: join(DIR, 'out-rolldown/entry.mjs'), cwd: process.cwd() }
  },
  async rspack() {
    const { rspack } = await import('@rspack/core')
    const { default: secrets } = await dist('rspack')
    const compiler = rspack({ mode: 'production', target: 'node', context: DIR, entry: join(DIR, 'entry.js'), output: { path: join(DIR, 'out-rspack'), filename: 'entry.cjs' }, optimization: { minimize: false }, plugins: [secrets(options())] })
    await new Promise<void>((resolve, reject) => compiler.run((error, stats) => (error ? reject(error) : stats?.hasErrors() ? reject(new Error(stats.toString('errors-only'))) : resolve())))
    return { file: join(DIR, 'out-rspack/entry.cjs'), cwd: process.cwd() }
  },
  async farm() {
    const { build } = await import('@farmfe/core')
    const { default: secrets } = await dist('farm')
    // Farm resolves only installed packages; here the package is the repository itself, so leave it to Node.
    await build({ root: DIR, compilation: { input: { entry: './entry.js' }, output: { path: join(DIR, 'out-farm'), targetEnv: 'node', format: 'esm', entryFilename: '[entryName].mjs' }, external: ['^unplugin-secrets/runtime$'], minify: false, persistentCache: false, presetEnv: false }, plugins: [secrets(options())] })
    return { file: join(DIR, 'out-farm/entry.mjs'), cwd: process.cwd() }
  },
  async esbuild() {
    const { build } = await import('esbuild')
    const { default: secrets } = await dist('esbuild')
    await build({ entryPoints: [join(DIR, 'entry.js')], absWorkingDir: DIR, bundle: true, format: 'esm', platform: 'node', outfile: join(DIR, 'out-esbuild/entry.mjs'), logLevel: 'silent', packages: 'external', plugins: [secrets(options())] })
    return { file: join(DIR, 'out-esbuild/entry.mjs'), cwd: process.cwd() }
  },
  async webpack() {
    const webpack = (await import('webpack')).default
    const { default: secrets } = await dist('webpack')
    const compiler = webpack({ mode: 'production', target: 'node', context: DIR, entry: join(DIR, 'entry.js'), output: { path: join(DIR, 'out-webpack'), filename: 'entry.cjs' }, optimization: { minimize: false }, plugins: [secrets(options())] })
    await new Promise<void>((resolve, reject) => compiler.run((error, stats) => (error ? reject(error) : stats?.hasErrors() ? reject(new Error(stats.toString('errors-only'))) : resolve())))
    return { file: join(DIR, 'out-webpack/entry.cjs'), cwd: process.cwd() }
  },
}

/** Runs a built server from `cwd` with `env`. */
function start({ file, cwd }: { file: string, cwd: string }, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [file], { cwd, env: { PATH: process.env.PATH!, UNPLUGIN_SECRETS_KEY_DIR: join(DIR, 'no-keys'), ...env }, encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe.each(Object.keys(builders))('mode: \'runtime\' with %s', (bundler) => {
  let built: { file: string, cwd: string }
  beforeAll(async () => {
    built = await builders[bundler]!()
  }, 60_000)

  it('writes no value into the output', async () => {
    const folder = join(built.file, '..')
    for (const name of await readdir(folder, { recursive: true })) {
      const text = await readFile(join(folder, name), 'utf8').catch(() => '')
      for (const fragment of ['grafana-', 'runtime-password']) expect(text, name).not.toContain(fragment)
    }
  })

  it('resolves the config when the server starts with the key', () => {
    const result = start(built, { UNPLUGIN_SECRETS_KEY: key })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({ config: JSON.parse(JSON.stringify(expectedConfig)), plain: { port: 8080 }, secret: { token: `Bearer ${GRAFANA_API_KEY}`, port: 1, escaped: '${secret.X}' } })
  })

  it('fails at start-up with one clear error without the key, or with names missing', () => {
    const noKey = start(built, {})
    expect(noKey.code).not.toBe(0)
    expect(noKey.stderr).toMatch(/config\.yaml: cannot resolve its secrets at start-up: No store key for .*secrets\.enc\.json/)
    const missing = start(built, { UNPLUGIN_SECRETS_STORE: partialStore, UNPLUGIN_SECRETS_KEY: process.env.UNPLUGIN_SECRETS_PARTIAL_KEY! })
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/config\.yaml: 2 secrets missing from .*partial\/secrets\.enc\.json at start-up: DB_PASSWORD, GRAFANA_API_KEY\. Add each with: unplugin-secrets set DB_PASSWORD --store /)
    for (const output of [noKey.stderr, missing.stderr]) expect(output).not.toContain('runtime-password')
  })
})

describe('mode: \'runtime\' in browser builds', () => {
  it('browser builds stay inline and guarded', async () => {
    const { rollup } = await import('rollup')
    const { default: json } = await import('@rollup/plugin-json')
    const { default: secrets } = await dist('rollup')
    const error = await rollup({ input: join(DIR, 'entry.js'), onwarn: () => {}, plugins: [secrets({ mode: 'runtime', target: 'browser', key, store: join(DIR, 'secrets.enc.json') }), json()] }).then(() => undefined, (caught: Error) => caught)
    expect(error?.message).toMatch(/secret GRAFANA_API_KEY would be shipped to the browser/)
  })
})

describe('mode: \'runtime\' with chunked and nested output', () => {
  it('two entries sharing the config chunk both resolve it at start-up', async () => {
    await writeFile(join(DIR, 'second.js'), 'import config from \'./config.yaml\'\nconsole.log(JSON.stringify(config.db))\n')
    const { rollup } = await import('rollup')
    const { default: json } = await import('@rollup/plugin-json')
    const { default: secrets } = await dist('rollup')
    const bundle = await rollup({ input: { 'server/main': join(DIR, 'entry.js'), 'jobs/nested/second': join(DIR, 'second.js') }, onwarn: () => {}, plugins: [secrets({ mode: 'runtime', store: join(DIR, 'secrets.enc.json') }), json()] })
    const { output } = await bundle.write({ dir: join(DIR, 'out-chunks'), format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs' })
    expect(output.filter(item => item.type === 'chunk').length).toBeGreaterThan(2) // the config lives in a shared chunk
    const main = start({ file: join(DIR, 'out-chunks/server/main.mjs'), cwd: process.cwd() }, { UNPLUGIN_SECRETS_KEY: key })
    expect(JSON.parse(main.stdout).config.db.url).toBe(`postgres://app:${DB_PASSWORD}@db/app`)
    const second = start({ file: join(DIR, 'out-chunks/jobs/nested/second.mjs'), cwd: process.cwd() }, { UNPLUGIN_SECRETS_KEY: key })
    expect(JSON.parse(second.stdout)).toEqual({ url: `postgres://app:${DB_PASSWORD}@db/app` })
  })
})

/**
 * A config in a chunk that loads on a request (a route module): the server
 * entry checks it before anything else runs, so a server without its key
 * never starts (it used to start and answer 500 on that route).
 */
describe('mode: \'runtime\' fails at start-up, not on the request that loads the config', () => {
  const lazyEntry = 'console.log(\'listening\')\nexport const route = () => import(\'./route.js\')\n'
  const route = 'import config from \'./config.yaml\'\nexport const token = config.grafana.api_key\n'
  const lazyBuilders: Record<string, (out: string) => Promise<void>> = {
    async vite(out) {
      const { build } = await import('vite')
      const { default: secrets } = await dist('vite')
      await build({ root: DIR, configFile: false, logLevel: 'silent', plugins: [secrets(options())], build: { ssr: join(DIR, 'lazy.js'), outDir: out, minify: false, rollupOptions: { output: { entryFileNames: 'lazy.mjs', chunkFileNames: 'chunks/[name].mjs' } } } })
    },
    async rollup(out) {
      const { rollup } = await import('rollup')
      const { default: secrets } = await dist('rollup')
      const bundle = await rollup({ input: join(DIR, 'lazy.js'), onwarn: () => {}, plugins: [secrets({ ...options(), store: join(DIR, 'secrets.enc.json') })] })
      await bundle.write({ dir: out, format: 'es', entryFileNames: 'lazy.mjs', chunkFileNames: 'chunks/[name].mjs' })
    },
    async rolldown(out) {
      const { rolldown } = await import('rolldown')
      const { default: secrets } = await dist('rolldown')
      const bundle = await rolldown({ input: join(DIR, 'lazy.js'), logLevel: 'silent', plugins: [secrets({ ...options(), store: join(DIR, 'secrets.enc.json') })] })
      await bundle.write({ dir: out, format: 'es', entryFileNames: 'lazy.mjs', chunkFileNames: 'chunks/[name].mjs' })
    },
    'rollup (CommonJS)': async function (out) {
      const { rollup } = await import('rollup')
      const { default: secrets } = await dist('rollup')
      const bundle = await rollup({ input: join(DIR, 'lazy.js'), onwarn: () => {}, plugins: [secrets({ ...options(), store: join(DIR, 'secrets.enc.json') })] })
      await bundle.write({ dir: out, format: 'cjs', entryFileNames: 'lazy.cjs', chunkFileNames: 'chunks/[name].cjs' })
    },
  }

  beforeAll(async () => {
    await writeFile(join(DIR, 'lazy.js'), lazyEntry)
    await writeFile(join(DIR, 'route.js'), route)
  })

  it.each(Object.keys(lazyBuilders))('%s: the entry checks every config first', async (bundler) => {
    const out = join(DIR, `out-lazy-${bundler.replace(/\W+/g, '-')}`)
    await lazyBuilders[bundler]!(out)
    const entry = join(out, (await readdir(out)).find(name => name.startsWith('lazy.'))!)
    const noKey = start({ file: entry, cwd: process.cwd() }, {})
    expect(noKey.code).not.toBe(0)
    expect(noKey.stdout).toBe('') // nothing of the entry ran
    expect(noKey.stderr).toMatch(/config\.yaml: cannot resolve its secrets at start-up: No store key for .*secrets\.enc\.json/)
    const missing = start({ file: entry, cwd: process.cwd() }, { UNPLUGIN_SECRETS_STORE: partialStore, UNPLUGIN_SECRETS_KEY: process.env.UNPLUGIN_SECRETS_PARTIAL_KEY! })
    expect(missing.stderr).toMatch(/config\.yaml: 2 secrets missing from .*partial\/secrets\.enc\.json at start-up: DB_PASSWORD, GRAFANA_API_KEY\./)
    const withKey = start({ file: entry, cwd: process.cwd() }, { UNPLUGIN_SECRETS_KEY: key })
    expect(withKey).toMatchObject({ code: 0, stdout: 'listening\n', stderr: '' })
    for (const name of await readdir(out, { recursive: true })) {
      expect(await readFile(join(out, name), 'utf8').catch(() => ''), name).not.toContain('runtime-password')
    }
  })
})
