/**
 * A store put back to an older revision is refused everywhere it is read, not
 * only by the CLI (test/cli/rollback.test.ts): a build in every bundler, a
 * runtime-mode server at start-up, a running Vite dev server (it answers with
 * the error, never with the old values), the Node loader, loadConfig and the
 * dashboard API. Each error names both revisions. The stores live outside any
 * git work tree, so this machine's memory is kept per path.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEntry, buildError, BUNDLERS } from './build'
import type { DevServer } from './dashboard/dev-server'
import { sessionHeaders, startDevServer } from './dashboard/dev-server'
import { dist, ROOT, tempDir } from './helpers'
import { waitFor } from './plugin/live-store'

const OLD = 'token-revision-two-3c1f0a'
const NEW = 'token-revision-three-9b2e71'

/** What every refusal says: the revision this machine saw and the one the file went back to, with their last changes. */
const ROLLBACK = /this machine has seen revision 3 of this store on .*secrets\.enc\.json \(last change #3 update API_TOKEN by test at [^)]+\), and the file went back to revision 2 \(last change #2 create API_TOKEN by test at [^)]+\)\..*accept it deliberately with: unplugin-secrets accept-rollback --store /

const ENTRY = 'import config from \'./config.yaml\'\nexport default config\n'
const CONFIG = 'token: ${secret.API_TOKEN}\n'

let TMP: string
beforeAll(async () => {
  TMP = await tempDir('usec-rollback-everywhere-')
})

/**
 * A project in `dir` whose store went back: this machine wrote revision 3
 * (API_TOKEN = NEW) over revision 2 (OLD), then the file of revision 2 was
 * put back, as `git checkout HEAD~1 -- secrets.enc.json` would.
 */
async function rolledBackProject(name: string, files: Record<string, string> = { 'entry.js': ENTRY, 'config.yaml': CONFIG }) {
  const dir = join(TMP, name)
  await mkdir(dir, { recursive: true })
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text)
  const store = join(dir, 'secrets.enc.json')
  const { createStore } = await dist('store')
  const created = await createStore({ path: store, admin: 'test' })
  await created.store.set('API_TOKEN', OLD)
  const older = await readFile(store, 'utf8')
  await created.store.set('API_TOKEN', NEW)
  await writeFile(store, older)
  return { dir, store, key: created.storeKey as string }
}

function expectRefusal(text: string | undefined): void {
  expect(text, 'refused').toBeDefined()
  expect(text).toMatch(/STORE_ROLLBACK|this machine has seen revision/)
  expect(text).toMatch(ROLLBACK)
  expect(text).not.toContain(OLD)
  expect(text).not.toContain(NEW)
}

describe.each(BUNDLERS)('%s: a build with a rolled-back store', (bundler) => {
  it('fails with the rollback error at the config, naming both revisions, and writes no value', async () => {
    const { dir, store, key } = await rolledBackProject(`build-${bundler}`)
    expectRefusal(await buildError(bundler, dir, { key, store }))
    expect(await readFile(store, 'utf8')).not.toContain(NEW)
  }, 60_000)
})

describe('a browser build that expands nothing', () => {
  it('builds, and its warning that the output was not scanned says why: the rollback', async () => {
    const { dir, store, key } = await rolledBackProject('browser', { 'entry.js': 'import config from \'./plain.yaml\'\nexport default config\n', 'plain.yaml': 'a: 1\n' })
    const { rollup } = await import('rollup')
    const { default: secrets } = await dist('rollup')
    const warnings: string[] = []
    const bundle = await rollup({ input: join(dir, 'entry.js'), plugins: [secrets({ key, store, target: 'browser' })], onwarn: warning => void warnings.push(warning.message) })
    await bundle.generate({ format: 'es' })
    const warning = warnings.find(text => text.includes('was not scanned'))
    expect(warning).toMatch(/the browser output was not scanned for secret values: the store .*secrets\.enc\.json or its key is not available to this build \(STORE_ROLLBACK: /)
    expectRefusal(warning)
  })
})

describe('mode: runtime', () => {
  it('the built server refuses at start-up, before the app runs', async () => {
    const { dir, store, key } = await rolledBackProject('runtime', { 'entry.js': `${ENTRY.replace('export default config', 'console.log("THE APP RAN", config.token)')}`, 'config.yaml': CONFIG })
    // The output imports unplugin-secrets/runtime: resolve it from this folder as an installed package.
    await mkdir(join(dir, 'node_modules'), { recursive: true })
    await symlink(ROOT, join(dir, 'node_modules/unplugin-secrets'), 'dir')
    const { file } = await buildEntry('rollup', dir, { key, store, mode: 'runtime' })
    const run = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH!, UNPLUGIN_SECRETS_KEY: key, UNPLUGIN_SECRETS_KEY_DIR: process.env.UNPLUGIN_SECRETS_KEY_DIR! } })
    expect(run.status).not.toBe(0)
    expect(run.stdout).not.toContain('THE APP RAN')
    expectRefusal(run.stderr)
  })
})

describe('vite dev server', () => {
  let server: ViteDevServer | undefined
  afterAll(() => server?.close())

  it('answers a config module with the error once its store goes back, never with the old values', async () => {
    const dir = join(TMP, 'dev')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'config.yaml'), CONFIG)
    const path = join(dir, 'secrets.enc.json')
    const { createStore } = await dist('store')
    const created = await createStore({ path, admin: 'test' })
    await created.store.set('API_TOKEN', OLD)
    const older = await readFile(path, 'utf8')
    const { createServer } = await import('vite')
    const { default: secrets } = await dist('vite')
    server = await createServer({ root: dir, configFile: false, logLevel: 'silent', plugins: [secrets({ key: created.storeKey, client: ['API_TOKEN'], dashboard: false })], server: { port: 0, host: '127.0.0.1' } })
    await server.listen()
    const origin = `http://127.0.0.1:${(server.httpServer!.address() as { port: number }).port}`
    /** The server module's token, or the error it answered with. */
    const load = () => server!.ssrLoadModule('/config.yaml').then(module => (module.default as { token: string }).token, (error: Error) => `error: ${error.message}`)
    expect(await load()).toBe(OLD)

    await created.store.set('API_TOKEN', NEW)
    await waitFor(async () => (await load()) === NEW)
    await writeFile(path, older)
    const answers: string[] = []
    await waitFor(async () => {
      answers.push(await load())
      return answers.at(-1)!.startsWith('error: ') || answers.at(-1) === OLD
    })
    expect(answers).not.toContain(OLD)
    expectRefusal(answers.at(-1))
    // The browser's module (the name is allowed for it) gets the error too.
    const browser = await fetch(`${origin}/config.yaml?import`)
    const body = await browser.text()
    expect(browser.status).toBe(500)
    expectRefusal(body)
  }, 60_000)
})

describe('the Node loader', () => {
  it('stops the process with the error before the app runs, for import and require', async () => {
    const { dir, key } = await rolledBackProject('loader', {
      'config.yaml': CONFIG,
      'app.mjs': 'import config from \'./config.yaml\'\nconsole.log(\'THE APP RAN\', config.token)\n',
      'app.cjs': 'const config = require(\'./config.yaml\')\nconsole.log(\'THE APP RAN\', config.token)\n',
    })
    for (const app of ['app.mjs', 'app.cjs']) {
      const run = spawnSync(process.execPath, ['--import', pathToFileURL(join(ROOT, 'dist/register.mjs')).href, app], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH!, UNPLUGIN_SECRETS_KEY: key, UNPLUGIN_SECRETS_KEY_DIR: process.env.UNPLUGIN_SECRETS_KEY_DIR! } })
      expect(run.status, app).toBe(1)
      expect(run.stdout, app).toBe('')
      expect(run.stderr, app).toMatch(/config\.yaml: cannot expand its secrets: /)
      expectRefusal(run.stderr)
    }
  })
})

describe('unplugin-secrets/config', () => {
  it('loadConfig and resolveSecrets reject with STORE_ROLLBACK', async () => {
    const { dir, store, key } = await rolledBackProject('config')
    const { loadConfig, resolveSecrets } = await dist('config')
    for (const attempt of [() => loadConfig(join(dir, 'config.yaml'), { store, key }), () => resolveSecrets({ token: '${secret.API_TOKEN}' }, { store, key })]) {
      const error = await attempt().then(() => undefined, (caught: { code: string, message: string }) => caught)
      expect(error?.code).toBe('STORE_ROLLBACK')
      expectRefusal(error?.message)
    }
  })
})

describe('the dashboard', () => {
  let dev: DevServer
  afterAll(() => dev?.close())

  it('answers the API with the error; a link sign-in says why it cannot sign in; a key sign-in sends the reason to the terminal', async () => {
    dev = await startDevServer({ API_TOKEN: OLD }, { files: { 'config.yaml': CONFIG } })
    const session = await dev.signInWithLink()
    const headers = { ...sessionHeaders(session), origin: dev.origin }
    expect((await dev.request('GET', '/__secrets/api/secrets', { headers })).status).toBe(200)
    const older = await readFile(dev.live.store, 'utf8')
    await (await dev.openStore()).set('API_TOKEN', NEW, { ifVersion: 1 })
    await writeFile(dev.live.store, older)

    const listed = await dev.request('GET', '/__secrets/api/secrets', { headers })
    expect(listed.status).toBe(409)
    expect(JSON.parse(listed.body).error.code).toBe('STORE_ROLLBACK')
    expectRefusal(JSON.parse(listed.body).error.message)
    const added = await dev.request('POST', '/__secrets/api/secrets', { headers, body: { name: 'ADDED', value: 'added-value' } })
    expect(JSON.parse(added.body).error.code).toBe('STORE_ROLLBACK')
    expect(await readFile(dev.live.store, 'utf8')).toBe(older)

    dev.server.printUrls() // a fresh one-time link, as pressing u does
    const link = new URLSearchParams(dev.linkPath().split('?')[1]).get('token')!
    const redeemed = await dev.request('POST', '/__secrets/api/link', { headers: { origin: dev.origin }, body: { token: link } })
    expect(redeemed.status).toBe(409)
    expect(JSON.parse(redeemed.body).error.code).toBe('STORE_ROLLBACK')
    expectRefusal(JSON.parse(redeemed.body).error.message)

    const signIn = await dev.request('POST', '/__secrets/api/signin', { headers: { origin: dev.origin }, body: { adminKey: dev.live.adminKey } })
    expect(signIn.status).toBe(409)
    expect(JSON.parse(signIn.body).error).toMatchObject({ code: 'STORE_ROLLBACK', message: expect.stringMatching(/its terminal says why/) })
    expectRefusal(dev.terminal.join('\n'))
    for (const answer of [listed, added, redeemed, signIn]) expect(answer.headers['set-cookie']).toBeUndefined()
  })

  it('a dev server (re)started on a rolled-back store says so in its banner instead of offering a link', async () => {
    await dev.server.restart()
    dev.server.printUrls()
    const banner = dev.banner.join('\n')
    const line = banner.slice(banner.lastIndexOf('Secrets: '))
    expect(line).toMatch(/Sign-in link not available: /)
    expect(line).not.toContain('token=')
    expectRefusal(line)
  })
})
