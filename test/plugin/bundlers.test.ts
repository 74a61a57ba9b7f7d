import { cp, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT, tempDir } from '../helpers'

const dist = (entry: string) => import(pathToFileURL(join(ROOT, 'dist', `${entry}.mjs`)).href)

/** Values chosen to break naive substitution: quoting, escapes, YAML syntax, HTML, a reference. */
const GRAFANA_API_KEY = `gl_"dq'sq\\bs\nnl\r\ncrlf\ttab #x : - {a}[b] *anchor &x !!tag é 🔑 \u2028\u2029 </script> \${secret.DB_PASSWORD} $$`
const DB_PASSWORD = 'p@ss:w/rd'

const expectedYaml = {
  grafana: { url: 'https://grafana.example.com', api_key: GRAFANA_API_KEY, header: `Bearer ${GRAFANA_API_KEY}` },
  database: { dsn: `postgres://app:${DB_PASSWORD}@db:5432/app`, pair: `${DB_PASSWORD}/${GRAFANA_API_KEY}` },
  literal: '${secret.NOT_EXPANDED}',
  compose: '${HOME} and ${{ secrets.GITHUB_TOKEN }} and $$',
  hosts: ['plain', DB_PASSWORD, [GRAFANA_API_KEY, 2]],
  block: `line one\ntoken ${GRAFANA_API_KEY}\n`,
  base: { pw: DB_PASSWORD },
  derived: { pw: DB_PASSWORD, extra: true },
  alias: { pw: DB_PASSWORD },
}
const expectedJson = {
  grafana: { url: 'https://grafana.example.com', api_key: GRAFANA_API_KEY },
  dsn: `postgres://app:${DB_PASSWORD}@db/app`,
  list: [DB_PASSWORD, '${secret.NOT_EXPANDED}', 3],
  after: 'below the substituted values',
}

let dir: string
let key: string

beforeAll(async () => {
  dir = await tempDir('usec-bundlers-')
  await cp(join(ROOT, 'test/fixtures/configs'), dir, { recursive: true })
  const { createStore } = await dist('store')
  const { store, storeKey } = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
  await store.setMany({ GRAFANA_API_KEY, DB_PASSWORD })
  key = storeKey
})

interface Built {
  file: string
}

const builders: Record<string, () => Promise<Built>> = {
  async vite() {
    const { build } = await import('vite')
    const { default: secrets } = await dist('vite')
    const outDir = join(dir, 'out-vite')
    await build({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      plugins: [secrets({ key })],
      build: { ssr: join(dir, 'entry.js'), outDir, sourcemap: true, minify: false },
    })
    return { file: join(outDir, 'entry.mjs') }
  },
  async rollup() {
    const { rollup } = await import('rollup')
    const { default: json } = await import('@rollup/plugin-json')
    const { default: secrets } = await dist('rollup')
    const bundle = await rollup({ input: join(dir, 'entry.js'), plugins: [secrets({ key, store: join(dir, 'secrets.enc.json') }), json()] })
    const file = join(dir, 'out-rollup/entry.mjs')
    await bundle.write({ file, format: 'es', sourcemap: true })
    return { file }
  },
  async rolldown() {
    const { rolldown } = await import('rolldown')
    const { default: secrets } = await dist('rolldown')
    const bundle = await rolldown({ input: join(dir, 'entry.js'), cwd: dir, plugins: [secrets({ key, store: join(dir, 'secrets.enc.json') })] })
    const file = join(dir, 'out-rolldown/entry.mjs')
    await bundle.write({ file, format: 'es', sourcemap: true })
    return { file }
  },

  async esbuild() {
    const { build } = await import('esbuild')
    const { default: secrets } = await dist('esbuild')
    const outfile = join(dir, 'out-esbuild/entry.mjs')
    await build({ entryPoints: [join(dir, 'entry.js')], absWorkingDir: dir, bundle: true, format: 'esm', platform: 'node', outfile, sourcemap: true, logLevel: 'silent', plugins: [secrets({ key })] })
    return { file: outfile }
  },
  webpack: () => webpackLike('webpack'),
  rspack: () => webpackLike('rspack'),
  async farm() {
    const { build } = await import('@farmfe/core')
    const { default: secrets } = await dist('farm')
    const outDir = join(dir, 'out-farm')
    await build({
      root: dir,
      compilation: { input: { entry: './entry.js' }, output: { path: outDir, targetEnv: 'node', format: 'esm', entryFilename: '[entryName].mjs' }, sourcemap: true, minify: false, persistentCache: false, presetEnv: false },
      plugins: [secrets({ key })],
    })
    return { file: join(outDir, 'entry.mjs') }
  },
}

/** webpack and Rspack take the same configuration. */
async function webpackLike(name: 'webpack' | 'rspack'): Promise<Built> {
  const create = name === 'webpack' ? (await import('webpack')).default : (await import('@rspack/core')).rspack
  const { default: secrets } = await dist(name)
  const outDir = join(dir, `out-${name}`)
  const compiler = (create as (options: object) => { run: (done: (error: Error | null, stats?: { hasErrors: () => boolean, toString: (preset: string) => string }) => void) => void })({
    mode: 'production',
    target: 'node',
    context: dir,
    entry: join(dir, 'entry.js'),
    output: { path: outDir, filename: 'entry.mjs', library: { type: 'module' }, module: true, chunkFormat: 'module' },
    experiments: { outputModule: true },
    optimization: { minimize: false },
    devtool: 'source-map',
    plugins: [secrets({ key })],
  })
  await new Promise<void>((resolve, reject) => compiler.run((error, stats) => {
    if (error) reject(error)
    else if (stats?.hasErrors()) reject(new Error(stats.toString('errors-only')))
    else resolve()
  }))
  return { file: join(outDir, 'entry.mjs') }
}

describe.each(Object.keys(builders))('%s', (bundler) => {
  let output: Record<string, unknown>
  let built: Built
  beforeAll(async () => {
    built = await builders[bundler]!()
    output = await import(pathToFileURL(built.file).href)
  }, 60_000)

  it('expands references in YAML (default and named exports) and JSON imports', () => {
    expect(output.yamlConfig).toEqual(expectedYaml)
    expect(output.yamlGrafana).toEqual(expectedYaml.grafana)
    expect(output.jsonConfig).toEqual(expectedJson)
    expect(output.plain).toEqual({ name: 'no references here', count: 3 })
  })

  it('keeps values out of the sourcemap', async () => {
    const map = await readFile(`${built.file}.map`, 'utf8')
    expect(map).not.toContain(DB_PASSWORD)
    expect(map).not.toContain('p@ss')
  })
})
