import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { SecretsContext } from '../../src/core/context'
import { findLeaks } from '../../src/core/leak'
import { definePlugin, farmBuildInChild, locatedMessage, webpackLikeBuild } from '../build'
import { dist, tempDir } from '../helpers'

const SERVER_TOKEN = 'srv-token-"quoted"-é-\n-9f2c'
const PUBLIC_MAPS_KEY = 'maps-public-key-123'
/** Allowed for the browser, and part of a server secret: it must not hide that secret from the scan. */
const REGION = 'eu-west-1'
const DB_URL = 'postgres://app:pw-9c1f7e@db.eu-west-1.example.com/app'

let dir: string
let key: string
let store: string

beforeAll(async () => {
  dir = await tempDir('usec-leak-')
  store = join(dir, 'secrets.enc.json')
  const { createStore } = await dist('store')
  const created = await createStore({ path: store, admin: 'test' })
  await created.store.setMany({ SERVER_TOKEN, PUBLIC_MAPS_KEY, SHORT: 'abc', REGION, DB_URL })
  key = created.storeKey
})

/** A project folder with `files`; entry.js is the entry. */
async function project(name: string, files: Record<string, string>): Promise<string> {
  const folder = join(dir, name)
  await mkdir(folder, { recursive: true })
  for (const [file, text] of Object.entries(files)) await writeFile(join(folder, file), text)
  return folder
}

const serverConfig = { 'entry.js': 'import c from \'./config.yaml\'\nconsole.log(c)\n', 'config.yaml': 'a: 1\ntoken: ${secret.SERVER_TOKEN}\n' }
const publicConfig = { 'entry.js': 'import c from \'./public.yaml\'\nconsole.log(c.maps)\n', 'public.yaml': 'maps: ${secret.PUBLIC_MAPS_KEY}\n' }
const defineLeak = { 'entry.js': 'console.log(__LEAK__)\n' }
/** The region is allowed and imported; the database URL that contains it reaches the bundle by define. */
const regionLeak = { 'entry.js': 'import c from \'./region.yaml\'\nconsole.log(c.region, __LEAK__)\n', 'region.yaml': 'region: ${secret.REGION}\n' }
const regionLeakMessage = (bundle: string, asset: string) => new RegExp(`secret values were found in the ${bundle} output: DB_URL in ${asset}\\.`)

async function readOutput(folder: string): Promise<string> {
  const files = await readdir(folder, { recursive: true })
  const texts = await Promise.all(files.filter(file => /\.(?:m?js|css|html)$/.test(file)).map(file => readFile(join(folder, file), 'utf8')))
  return texts.join('\n')
}

function expectGuardError(error: unknown, pattern: RegExp) {
  expect(error, 'the build must fail').toBeTruthy()
  const text = `${(error as Error).message}\n${JSON.stringify((error as { errors?: unknown }).errors ?? '')}`
  expect(text).toMatch(pattern)
  expect(text).not.toContain('srv-token')
  expect(text).not.toContain('pw-9c1f7e')
}

const transformMessage = (bundler: string) => locatedMessage(bundler, 'config.yaml', 2, 8, /secret SERVER_TOKEN would be shipped to the browser \(client build\)\. Move the import to server code, or allow this name with client: \['SERVER_TOKEN'\]/)

describe('Vite', () => {
  async function viteBuild(folder: string, options: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
    const { build } = await import('vite')
    const { default: secrets } = await dist('vite')
    return build({ root: folder, configFile: false, logLevel: 'silent', plugins: [secrets({ key, store, ...options })], build: { outDir: join(folder, 'out'), lib: { entry: join(folder, 'entry.js'), formats: ['es'], fileName: 'entry' } }, ...extra })
  }

  it('a client build importing a config with a secret fails at the import, with the fix', async () => {
    const error = await viteBuild(await project('vite-client', serverConfig)).then(() => undefined, (caught: unknown) => caught)
    expectGuardError(error, transformMessage('vite'))
  })

  it('an allowed name passes and its value is in the bundle', async () => {
    const folder = await project('vite-allowed', publicConfig)
    await viteBuild(folder, { client: ['PUBLIC_MAPS_KEY'] })
    expect(await readOutput(join(folder, 'out'))).toContain(PUBLIC_MAPS_KEY)
  })

  it('the output scan catches a value that reached the minified bundle another way (define)', async () => {
    const folder = await project('vite-define', defineLeak)
    const error = await viteBuild(folder, {}, { define: { __LEAK__: JSON.stringify(SERVER_TOKEN) } }).then(() => undefined, (caught: unknown) => caught)
    expectGuardError(error, /secret values were found in the client \(browser\) bundle output: SERVER_TOKEN in entry\.m?js/)
  })

  it('an allowed value inside a secret does not hide the secret from the scan', async () => {
    const folder = await project('vite-region', regionLeak)
    const error = await viteBuild(folder, { client: ['REGION'] }, { define: { __LEAK__: JSON.stringify(DB_URL) } }).then(() => undefined, (caught: unknown) => caught)
    expectGuardError(error, regionLeakMessage('client \\(browser\\) bundle', 'entry\\.m?js'))
  })
})

describe('Vite: what a server build writes for the browser (prerendered pages)', () => {
  const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  /** A framework's prerender in miniature: at the end of the server build, a page and its data written for the browser. */
  const prerender = (folder: string, token: string) => ({
    name: 'prerender',
    async writeBundle() {
      await mkdir(join(folder, 'out/client/about'), { recursive: true })
      await writeFile(join(folder, 'out/client/about/index.html'), `<!doctype html><p>${escapeHtml(token)}</p>`)
      await writeFile(join(folder, 'out/client/about/data.json'), JSON.stringify({ token }))
    },
  })
  const ssrBuild = async (folder: string, plugins: object[], options: Record<string, unknown> = { key, store }) => {
    const { build } = await import('vite')
    const { default: secrets } = await dist('vite')
    return build({ root: folder, configFile: false, logLevel: 'silent', plugins: [secrets(options), ...plugins], build: { ssr: join(folder, 'entry.js'), outDir: join(folder, 'out/server') } })
  }

  it('a page holding a value fails the build and is removed with its data; a clean one passes', async () => {
    const folder = await project('vite-prerender', serverConfig)
    const error = await ssrBuild(folder, [prerender(folder, SERVER_TOKEN)]).then(() => undefined, (caught: unknown) => caught)
    expectGuardError(error, /secret values were found in the prerendered \(browser\) output: SERVER_TOKEN in out\/client\/about\/(index\.html|data\.json), SERVER_TOKEN in out\/client\/about\/(index\.html|data\.json)\./)
    expect(await readdir(join(folder, 'out/client/about'))).toEqual([])
    await ssrBuild(folder, [prerender(folder, 'a public page')])
    expect((await readdir(join(folder, 'out/client/about'))).sort()).toEqual(['data.json', 'index.html'])
  })

  it('a store path given explicitly that points at no file is an error, not a skipped scan', async () => {
    const folder = await project('vite-no-store', { 'entry.js': 'console.log(1)\n' })
    const { build } = await import('vite')
    const { default: secrets } = await dist('vite')
    const error = await build({ root: folder, configFile: false, logLevel: 'silent', plugins: [secrets({ key, store: 'config/secrets.enc.json' })], build: { outDir: join(folder, 'out'), lib: { entry: join(folder, 'entry.js'), formats: ['es'], fileName: 'entry' } } }).then(() => undefined, (caught: unknown) => caught)
    expect((error as Error).message).toMatch(/no store at config\/secrets\.enc\.json \(resolved from .*vite-no-store\), so the browser output cannot be scanned for secret values\. Point the store option at your store file, or create one with unplugin-secrets init\./)
  })

  it('so is the default store path when a framework entry placed it (Nuxt rootDir, Astro root)', async () => {
    const root = await project('framework-no-store', {})
    const placed = new SecretsContext({ key }, 'vite', { root })
    await expect(placed.scanOutput([{ name: 'index.html', text: '<p></p>' }], 'Nuxt public (browser)', { warn: () => {} })).rejects.toMatchObject({ code: 'STORE_NOT_FOUND', message: expect.stringContaining(`no store at secrets.enc.json (resolved from ${root})`) })
    const bundlerRoot = new SecretsContext({ key }, 'vite')
    bundlerRoot.useBundlerRoot(root)
    const warnings: string[] = []
    await expect(bundlerRoot.scanOutput([{ name: 'index.html', text: '<p></p>' }], 'client (browser) bundle', { warn: text => warnings.push(text) })).resolves.toBeUndefined()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^unplugin-secrets: the browser output was not scanned for secret values: the store secrets\.enc\.json or its key is not available to this build \(STORE_NOT_FOUND: No store at .*secrets\.enc\.json\. .*\)\.$/)
  })
})

describe('webpack and Rspack: the target decides', () => {
  async function build(name: 'webpack' | 'rspack', folder: string, target: string, extra: Record<string, unknown> = {}) {
    const { default: secrets } = await dist(name)
    return webpackLikeBuild(name, { mode: 'production', target, context: folder, entry: join(folder, 'entry.js'), output: { path: join(folder, `out-${name}-${target}`) }, plugins: [secrets({ key, store })], ...extra })
  }

  it.each(['webpack', 'rspack'] as const)('%s: web fails at the import, node passes', async (name) => {
    const folder = await project(`${name}-target`, serverConfig)
    expectGuardError(await build(name, folder, 'web').then(() => undefined, (caught: unknown) => caught), transformMessage(name))
    await build(name, folder, 'node')
  })

  it.each(['webpack', 'rspack'] as const)('%s: node-webkit (webpack\'s alias of nwjs) is a browser build', async (name) => {
    const folder = await project(`${name}-node-webkit`, serverConfig)
    expectGuardError(await build(name, folder, 'node-webkit').then(() => undefined, (caught: unknown) => caught), transformMessage(name))
  })

  it.each(['webpack', 'rspack'] as const)('%s: the output scan catches a define', async (name) => {
    const folder = await project(`${name}-define`, defineLeak)
    // development mode emits despite errors: the leaky asset must still not be written
    const error = await build(name, folder, 'web', { mode: 'development', devtool: false, plugins: [(await dist(name)).default({ key, store }), await definePlugin(name, { __LEAK__: JSON.stringify(SERVER_TOKEN) })] }).then(() => undefined, (caught: unknown) => caught)
    expectGuardError(error, /secret values were found in the browser bundle output: SERVER_TOKEN in main\.js/)
    await expect(readFile(join(folder, `out-${name}-web`, 'main.js'))).rejects.toThrow(/ENOENT/)
  })

  it.each(['webpack', 'rspack'] as const)('%s: an allowed value inside a secret does not hide the secret', async (name) => {
    const folder = await project(`${name}-region`, regionLeak)
    const { DefinePlugin } = name === 'webpack' ? (await import('webpack')).default : (await import('@rspack/core')).rspack
    const error = await build(name, folder, 'web', { plugins: [(await dist(name)).default({ key, store, client: ['REGION'] }), new DefinePlugin({ __LEAK__: JSON.stringify(DB_URL) })] }).then(() => undefined, (caught: unknown) => caught)
    expectGuardError(error, regionLeakMessage('browser bundle', 'main\\.js'))
  })
})

describe('esbuild: the platform decides', () => {
  async function build(folder: string, platform: 'browser' | 'node' | 'neutral', define: Record<string, string> = {}, options: Record<string, unknown> = {}) {
    const { build: esbuild } = await import('esbuild')
    const { default: secrets } = await dist('esbuild')
    return esbuild({ entryPoints: [join(folder, 'entry.js')], absWorkingDir: folder, bundle: true, minify: true, platform, outdir: join(folder, `out-${platform}`), define, logLevel: 'silent', plugins: [secrets({ key, store, ...options })] })
  }

  it('browser and neutral fail at the import, node passes', async () => {
    const folder = await project('esbuild-platform', serverConfig)
    for (const platform of ['browser', 'neutral'] as const) expectGuardError(await build(folder, platform).then(() => undefined, (caught: unknown) => caught), transformMessage('esbuild'))
    await build(folder, 'node')
  })

  it('the output scan catches a define in minified output', async () => {
    const folder = await project('esbuild-define', defineLeak)
    const error = await build(folder, 'browser', { __LEAK__: JSON.stringify(SERVER_TOKEN) }).then(() => undefined, (caught: unknown) => caught)
    expectGuardError(error, /secret values were found in the browser bundle output: SERVER_TOKEN in out-browser\/entry\.js/)
    // esbuild wrote the file before onEnd: the failed build removes it
    await expect(readFile(join(folder, 'out-browser', 'entry.js'))).rejects.toThrow(/ENOENT/)
  })

  it('an allowed value inside a secret does not hide the secret', async () => {
    const folder = await project('esbuild-region', regionLeak)
    const error = await build(folder, 'browser', { __LEAK__: JSON.stringify(DB_URL) }, { client: ['REGION'] }).then(() => undefined, (caught: unknown) => caught)
    expectGuardError(error, regionLeakMessage('browser bundle', 'out-browser/entry\\.js'))
  })

  it('one plugin instance shared by two builds is refused', async () => {
    const folder = await project('esbuild-shared', serverConfig)
    const { build: esbuild } = await import('esbuild')
    const { default: secrets } = await dist('esbuild')
    const shared = [secrets({ key, store })]
    const options = (platform: 'browser' | 'node') => ({ entryPoints: [join(folder, 'entry.js')], absWorkingDir: folder, bundle: true, platform, write: false, logLevel: 'silent' as const, plugins: shared })
    await esbuild(options('node'))
    const error = await esbuild(options('browser')).then(() => undefined, (caught: unknown) => caught as Error)
    expect(error?.message).toMatch(/one secrets\(\) plugin instance was given to two esbuild builds; call secrets\(\) once per build/)
  })
})

describe('Farm: targetEnv decides', () => {
  const farm = (folder: string, targetEnv: string) =>
    farmBuildInChild(folder, { path: join(folder, `out-${targetEnv}`), targetEnv, format: 'esm', entryFilename: '[entryName].mjs' }, { key, store })

  it('browser fails at the import, node passes', async () => {
    const folder = await project('farm-target', serverConfig)
    const browser = await farm(folder, 'browser')
    expect(browser.code).not.toBe(0)
    expectGuardError(new Error(browser.stdout + browser.stderr), /secret SERVER_TOKEN would be shipped to the browser/)
    const server = await farm(folder, 'node')
    expect(server.code, server.stdout + server.stderr).toBe(0)
  }, 60_000)

  it('the output scan catches a value that reached the browser bundle another way (define), and nothing is written', async () => {
    const folder = await project('farm-define', defineLeak)
    const out = join(folder, 'out-define')
    const result = await farmBuildInChild(folder, { path: out, targetEnv: 'browser', format: 'esm', entryFilename: '[entryName].mjs' }, { key, store }, { define: { __LEAK__: JSON.stringify(SERVER_TOKEN) } })
    expect(result.code).not.toBe(0)
    expectGuardError(new Error(result.stdout + result.stderr), /secret values were found in the browser bundle output: SERVER_TOKEN in entry\.mjs/)
    expect(await readdir(out).catch(() => [])).toEqual([])
  }, 60_000)
})

describe('Rollup and Rolldown: the target option decides (default server)', () => {
  it.each(['rollup', 'rolldown'] as const)('%s', async (name) => {
    const folder = await project(`${name}-target`, serverConfig)
    const bundler = name === 'rollup' ? (await import('rollup')).rollup : (await import('rolldown')).rolldown
    const { default: secrets } = await dist(name)
    // Rolldown builds lazily, at generate().
    const build = (target?: string) => (bundler as (options: object) => Promise<{ generate: (o: object) => Promise<unknown> }>)({ input: join(folder, 'entry.js'), logLevel: 'silent', onwarn: () => {}, plugins: [secrets({ key, store, ...(target ? { target } : {}) })] }).then(bundle => bundle.generate({ format: 'es' }))
    expectGuardError(await build('browser').then(() => undefined, (caught: unknown) => caught), transformMessage(name))
    await build()
    // A value another plugin writes into the output: the scan of the browser bundle catches it.
    const leaky = { name: 'leaky', renderChunk: (code: string) => `${code}\nconsole.log(${JSON.stringify(SERVER_TOKEN)})` }
    const clean = await project(`${name}-leaky`, { 'entry.js': 'console.log(1)\n' })
    const bundle = await (bundler as (options: object) => Promise<{ generate: (o: object) => Promise<unknown> }>)({ input: join(clean, 'entry.js'), logLevel: 'silent', onwarn: () => {}, plugins: [secrets({ key, store, target: 'browser' }), leaky] })
    expectGuardError(await bundle.generate({ format: 'es' }).then(() => undefined, (caught: unknown) => caught), /secret values were found in the browser bundle output: SERVER_TOKEN in entry\.js/)
  })

  it.each(['rollup', 'rolldown'] as const)('%s: an allowed value inside a secret does not hide the secret', async (name) => {
    const folder = await project(`${name}-region`, { ...regionLeak, 'entry.js': regionLeak['entry.js'].replace('__LEAK__', '1') })
    const bundler = name === 'rollup' ? (await import('rollup')).rollup : (await import('rolldown')).rolldown
    const { default: secrets } = await dist(name)
    const leaky = { name: 'leaky', renderChunk: (code: string) => `${code}\nconsole.log(${JSON.stringify(DB_URL)})` }
    const bundle = await (bundler as (options: object) => Promise<{ generate: (o: object) => Promise<unknown> }>)({ input: join(folder, 'entry.js'), logLevel: 'silent', onwarn: () => {}, plugins: [secrets({ key, store, target: 'browser', client: ['REGION'] }), leaky] })
    expectGuardError(await bundle.generate({ format: 'es' }).then(() => undefined, (caught: unknown) => caught), regionLeakMessage('browser bundle', 'entry\\.js'))
  })
})

describe('value spellings', () => {
  const found = (text: string, value: string, allowed: string[] = []) => findLeaks([{ name: 'a.js', text }], new Map([['S', value]]), allowed).length > 0
  const hex = (code: number, width: number) => code.toString(16).padStart(width, '0')

  it('finds a value in every spelling minifiers produce, never returns the value', () => {
    const value = 'a"b\'c`d${e}\\f\ng é 🔑\u2028</script>\r\n\tend'
    const json = JSON.stringify(value)
    for (const text of [
      value,
      `x=${json}`,
      `x=${json.replace(/<\//g, '<\\/')}`, // esbuild, oxc, terser, SWC: </script
      `x=${json.replace(/[^\x20-\x7E]/g, c => `\\u${hex(c.charCodeAt(0), 4)}`)}`,
      `x=${json.replace(/[^\x20-\x7E]/g, c => `\\u${hex(c.charCodeAt(0), 4).toUpperCase()}`)}`,
      `x=${json.replace(/[\x80-\xFF]/g, c => `\\x${hex(c.charCodeAt(0), 2)}`)}`, // SWC mixes \x and raw
      `x='${value.replace(/\\/g, '\\\\').replace(/'/g, '\\\'').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\u2028/g, '\\u2028')}'`,
      `x=\`${value.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${').replace(/\r/g, '\\r')}\``, // template: \r escaped, raw LF and tab
      `JSON.parse(${JSON.stringify(JSON.stringify({ q: value }))})`, // webpack JSON modules: escaped twice
      `JSON.parse('${JSON.stringify({ q: value }).replace(/\\/g, '\\\\').replace(/'/g, '\\\'')}')`,
    ]) {
      expect(findLeaks([{ name: 'a.js', text }], new Map([['S', value]])), text).toEqual([{ asset: 'a.js', name: 'S' }])
    }
    expect(found('nothing here', value)).toBe(false)
    expect(found('abc', 'abc')).toBe(false) // too short to look for
  })

  it('reads HTML character references, as prerendered pages write text', () => {
    const value = 'tok-"fw"-<9d3e1c>-&-\'end'
    const named = value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;')
    const numeric = value.replace(/["&'<>]/g, c => `&#x${hex(c.charCodeAt(0), 2)};`)
    for (const text of [`<p>${named}</p>`, `<p title="${numeric}"></p>`, `<p>${value.replace(/"/g, '&#34;')}</p>`])
      expect(findLeaks([{ name: 'page.html', text }], new Map([['S', value]])), text).toEqual([{ asset: 'page.html', name: 'S' }])
    expect(found('<p>tok-&quot;fw&quot;-&lt;9d3e1c&gt;-&amp;-end</p>', value)).toBe(false)
    expect(found('&quot;allowed-&quot;secret&quot;-x&quot;', 'secret"-x', ['allowed-"secret"-x'])).toBe(false)
  })

  it('does not report a secret that is only present as part of an allowed value', () => {
    expect(found('url="https://api.example.com/v1"', 'api.example.com', ['https://api.example.com/v1'])).toBe(false)
    expect(found('a="same-value-1" b="same-value-1"', 'same-value-1', ['same-value-1'])).toBe(false)
    expect(found('a="https://api.example.com/v1" b="api.example.com"', 'api.example.com', ['https://api.example.com/v1'])).toBe(true)
  })
})

describe('an allowed value excuses only the occurrences it holds whole', () => {
  const DB_URL = 'postgres://app:pw-9c1f7e@db.eu-west-1.example.com/app'
  const leaks = (text: string, secret: string, allowed: string[]) => findLeaks([{ name: 'a.js', text }], new Map([['S', secret]]), allowed).length > 0

  it('an allowed value inside a secret hides nothing (the REGION / DB_URL report)', () => {
    expect(leaks(`const db=${JSON.stringify(DB_URL)}`, DB_URL, ['eu-west-1'])).toBe(true)
    // The same in every view the scanner decodes: escaped once, and inside JSON.parse('…').
    expect(leaks(`const db="${DB_URL.replace(/\//g, '\\/').replace(/-/g, '\\x2d')}"`, DB_URL, ['eu-west-1'])).toBe(true)
    expect(leaks(`JSON.parse(${JSON.stringify(JSON.stringify({ db: DB_URL, region: 'eu-west-1' }))})`, DB_URL, ['eu-west-1'])).toBe(true)
  })

  it('equal to the secret, or holding it whole: excused, also where it is escaped', () => {
    expect(leaks('a="same-value-1"', 'same-value-1', ['same-value-1'])).toBe(false)
    expect(leaks('a="https://api.example.com/v1"', 'api.example.com', ['https://api.example.com/v1'])).toBe(false)
    // The allowed value written escaped (\" and \u0041), the secret inside it written plainly.
    const allowed = 'say "secret-part" A'
    expect(leaks(`a="say \\"secret-part\\" \\u0041"`, 'secret-part', [allowed])).toBe(false)
    expect(leaks(`JSON.parse(${JSON.stringify(JSON.stringify({ allowed }))})`, 'secret-part', [allowed])).toBe(false)
  })

  it('overlapping an allowed occurrence is reported, as is a second occurrence outside it', () => {
    expect(leaks('a="eu-west-1-x-pw"', 'west-1-x-pw', ['eu-west-1-x'])).toBe(true)
    expect(leaks('a="https://api.example.com/v1";b="api.example.com"', 'api.example.com', ['https://api.example.com/v1'])).toBe(true)
    // Spanning two overlapping occurrences of the allowed value, inside neither.
    expect(leaks('aaaaaaa', 'aaaaaaa', ['aaaaaa'])).toBe(true)
    // Overlapping occurrences of the allowed value each excuse what they hold.
    expect(leaks('abcabcabc', 'cabcab', ['abcabcab', 'bcabcabc'])).toBe(false)
  })

  it('a short allowed value cannot excuse anything, and is never looked for', () => {
    expect(leaks('x="secret-9"', 'secret-9', ['9'])).toBe(true)
  })
})
