import { cp, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { farmBuildInChild, locatedMessage, webpackLikeBuild } from '../build'
import { ROOT, dist, tempDir } from '../helpers'

/** Values chosen to break naive substitution: quoting, escapes, YAML syntax, HTML, a reference. */
const GRAFANA_API_KEY = `gl_"dq'sq\\bs\nnl\r\ncrlf\ttab #x : - {a}[b] *anchor &x !!tag é 🔑 \u2028\u2029 </script> \${secret.DB_PASSWORD} $$`
const DB_PASSWORD = 'p@ss:w/rd'
const EMPTY = ''
const BIG = `${'0123456789abcdef'.repeat(6400)}"\n` // 100 KB

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
  edge: { empty: EMPTY, big: BIG, bracketed: '[]' },
}
const expectedJson = {
  grafana: { url: 'https://grafana.example.com', api_key: GRAFANA_API_KEY },
  dsn: `postgres://app:${DB_PASSWORD}@db/app`,
  list: [DB_PASSWORD, '${secret.NOT_EXPANDED}', 3],
  after: 'below the substituted values',
  edge: { empty: EMPTY, big: BIG },
}

let dir: string
let key: string
const storePath = () => join(dir, 'secrets.enc.json')

beforeAll(async () => {
  dir = await tempDir('usec-bundlers-')
  await cp(join(ROOT, 'test/fixtures/configs'), dir, { recursive: true })
  const { createStore } = await dist('store')
  const { store, storeKey } = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
  await store.setMany({ GRAFANA_API_KEY, DB_PASSWORD, EMPTY, BIG })
  key = storeKey
})

interface Built {
  file: string
}

/** Each builds `project`/entry.js into `project`/out-<bundler>; the store is the shared one. */
const builders: Record<string, (project: string) => Promise<Built>> = {
  async vite(project) {
    const { build } = await import('vite')
    const { default: secrets } = await dist('vite')
    const outDir = join(project, 'out-vite')
    await build({
      root: project,
      configFile: false,
      logLevel: 'silent',
      plugins: [secrets({ key, store: storePath() })],
      build: { ssr: join(project, 'entry.js'), outDir, sourcemap: true, minify: false },
    })
    return { file: join(outDir, 'entry.mjs') }
  },
  async rollup(project) {
    const { rollup } = await import('rollup')
    const { default: json } = await import('@rollup/plugin-json')
    const { default: secrets } = await dist('rollup')
    const bundle = await rollup({ input: join(project, 'entry.js'), onwarn: () => {}, plugins: [secrets({ key, store: storePath() }), json()] })
    const file = join(project, 'out-rollup/entry.mjs')
    await bundle.write({ file, format: 'es', sourcemap: true })
    return { file }
  },
  async rolldown(project) {
    const { rolldown } = await import('rolldown')
    const { default: secrets } = await dist('rolldown')
    const bundle = await rolldown({ input: join(project, 'entry.js'), cwd: project, logLevel: 'silent', plugins: [secrets({ key, store: storePath() })] })
    const file = join(project, 'out-rolldown/entry.mjs')
    await bundle.write({ file, format: 'es', sourcemap: true })
    return { file }
  },

  async esbuild(project) {
    const { build } = await import('esbuild')
    const { default: secrets } = await dist('esbuild')
    const outfile = join(project, 'out-esbuild/entry.mjs')
    await build({ entryPoints: [join(project, 'entry.js')], absWorkingDir: project, bundle: true, format: 'esm', platform: 'node', outfile, sourcemap: true, logLevel: 'silent', plugins: [secrets({ key, store: storePath() })] })
    return { file: outfile }
  },
  webpack: project => webpackLike('webpack', project),
  rspack: project => webpackLike('rspack', project),
  async farm(project) {
    const { build } = await import('@farmfe/core')
    const { default: secrets } = await dist('farm')
    const outDir = join(project, 'out-farm')
    await build({
      root: project,
      compilation: { input: { entry: './entry.js' }, output: { path: outDir, targetEnv: 'node', format: 'esm', entryFilename: '[entryName].mjs' }, sourcemap: true, minify: false, persistentCache: false, presetEnv: false },
      plugins: [secrets({ key, store: storePath() })],
    })
    return { file: join(outDir, 'entry.mjs') }
  },
}

/** webpack and Rspack take the same configuration. */
async function webpackLike(name: 'webpack' | 'rspack', project: string): Promise<Built> {
  const { default: secrets } = await dist(name)
  const outDir = join(project, `out-${name}`)
  await webpackLikeBuild(name, {
    mode: 'production',
    target: 'node',
    context: project,
    entry: join(project, 'entry.js'),
    output: { path: outDir, filename: 'entry.mjs', library: { type: 'module' }, module: true, chunkFormat: 'module' },
    experiments: { outputModule: true },
    optimization: { minimize: false },
    devtool: 'source-map',
    plugins: [secrets({ key, store: storePath() })],
  })
  return { file: join(outDir, 'entry.mjs') }
}

describe.each(Object.keys(builders))('%s', (bundler) => {
  let output: Record<string, unknown>
  let built: Built
  beforeAll(async () => {
    built = await builders[bundler]!(dir)
    output = await import(pathToFileURL(built.file).href)
  }, 60_000)

  it('expands references in YAML (default and named exports) and JSON imports', () => {
    expect(output.yamlConfig).toEqual(expectedYaml)
    expect(output.yamlGrafana).toEqual(expectedYaml.grafana)
    expect(output.jsonConfig).toEqual(expectedJson)
    expect(output.plain).toEqual({ name: 'no references here', count: 3 })
    expect(output.plainJson).toEqual({ name: 'no references here', version: '1.0.0', tags: ['$', '$$', '${HOME}'] })
  })

  it('keeps values out of the sourcemap', async () => {
    const map = await readFile(`${built.file}.map`, 'utf8')
    expect(map).not.toContain(DB_PASSWORD)
    expect(map).not.toContain('p@ss')
  })
})

describe.each(Object.keys(builders))('%s: a missing secret', (bundler) => {
  it('fails the build with file:line:col, the name and the fix, and no value', async () => {
    const project = join(dir, `broken-${bundler}`)
    await mkdir(project, { recursive: true })
    await writeFile(join(project, 'entry.js'), "import config from './config.yaml'\nexport { config }\n")
    await writeFile(join(project, 'config.yaml'), 'a: 1\nkey: ${secret.MISSING_ONE}\nok: ${secret.DB_PASSWORD}\n')
    // Farm reports a failed build and calls process.exit(1): build it in a child process.
    const error = bundler === 'farm'
      ? await farmInChild(project)
      : await builders[bundler]!(project).then(() => undefined, (caught: unknown) => caught as Error)
    expect(error, 'the build must fail').toBeInstanceOf(Error)
    const text = `${error!.message}\n${String((error as { errors?: unknown }).errors ? JSON.stringify((error as { errors?: unknown }).errors) : '')}`
    expect(text).toMatch(locatedMessage(bundler, 'config.yaml', 2, 6, /secret MISSING_ONE is not in .*secrets\.enc\.json\. .*Add it with: unplugin-secrets set MISSING_ONE/))
    expect(text).not.toContain(DB_PASSWORD)
  }, 60_000)
})

async function farmInChild(project: string): Promise<Error | undefined> {
  const result = await farmBuildInChild(project, { path: join(project, 'out-farm'), targetEnv: 'node' }, { key, store: storePath() })
  return result.code === 0 ? undefined : new Error(result.stdout + result.stderr)
}
