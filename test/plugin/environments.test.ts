/**
 * One store per environment, through real builds: Vite picks the mode's store
 * (build and dev server), a developer without the production key cannot
 * build production (and gets no other environment's values), Rollup and
 * webpack take the environment option, and the build names its store once.
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { pathToFileURL } from 'node:url'
import type { Logger, ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { webpackLikeBuild } from '../build'
import { CLI, dist, ROOT, runNode, runProcess, tempDir } from '../helpers'
import { waitFor } from './live-store'

const VALUES = {
  default: 'default-db-value-0c41',
  development: 'development-db-value-5e2a',
  production: 'production-db-value-9b77',
  staging: 'staging-db-value-31f0',
}
const ALL_VALUES = Object.values(VALUES)

let dir: string
/** Every key: the admins' machine. */
let allKeys: string
/** The development key alone: a developer's machine. */
let developmentKeyOnly: string
const storeKeys: Record<string, string> = {}

/** A store for `environment` with DB_PASSWORD, its keys in `keyDirs`; admin `admin`. */
async function environmentStore(environment: keyof typeof VALUES, admin: string, keyDirs: string[]): Promise<void> {
  const { createStore } = await dist('store')
  const file = environment === 'default' ? 'secrets.enc.json' : `secrets.${environment}.enc.json`
  const { store, storeKey, adminKey } = await createStore({ path: join(dir, file), admin })
  await store.set('DB_PASSWORD', VALUES[environment])
  storeKeys[environment] = storeKey
  for (const keyDir of keyDirs) {
    await mkdir(keyDir, { recursive: true })
    await writeFile(join(keyDir, `${store.id}.json`), JSON.stringify({ storeKeys: [storeKey], adminKey }), { mode: 0o600 })
  }
}

beforeAll(async () => {
  dir = await tempDir('usec-environments-')
  allKeys = join(dir, 'keys')
  developmentKeyOnly = join(dir, 'dev-keys')
  await environmentStore('development', 'dave', [allKeys, developmentKeyOnly])
  await environmentStore('production', 'carol', [allKeys])
  await environmentStore('default', 'alice', [allKeys])
  await mkdir(join(dir, 'config'))
  await writeFile(join(dir, 'config/app.yaml'), 'db:\n  password: ${secret.DB_PASSWORD}\n')
  await writeFile(join(dir, 'config/app.json'), '{\n  "db": { "password": "${secret.DB_PASSWORD}" }\n}\n')
  await writeFile(join(dir, 'server.js'), [
    'import yaml from \'./config/app.yaml\'',
    'import json from \'./config/app.json\'',
    'export default { yaml: yaml.db.password, json: json.db.password }',
    '',
  ].join('\n'))
  process.env.UNPLUGIN_SECRETS_KEY_DIR = allKeys
})

afterAll(() => {
  delete process.env.UNPLUGIN_SECRETS_KEY_DIR
})

/** A logger that keeps what Vite and the plugin print at each level. */
async function capturingLogger(): Promise<{ logger: Logger, info: string[], errors: string[] }> {
  const { createLogger } = await import('vite')
  const info: string[] = []
  const errors: string[] = []
  const logger = createLogger('silent')
  logger.info = message => void info.push(message)
  logger.error = message => void errors.push(message)
  return { logger, info, errors }
}

/** `vite build --ssr server.js` (with `--mode` when given) into its own folder; resolves to the built values and the info lines. */
async function viteBuild(outDir: string, options: { mode?: string, plugin?: Record<string, unknown> } = {}) {
  const { build } = await import('vite')
  const { default: secrets } = await dist('vite')
  const { logger, info } = await capturingLogger()
  await build({
    root: dir,
    configFile: false,
    customLogger: logger,
    ...(options.mode ? { mode: options.mode } : {}),
    plugins: [secrets(options.plugin ?? {})],
    build: { ssr: 'server.js', outDir, emptyOutDir: true },
  })
  const built = (await import(pathToFileURL(join(dir, outDir, 'server.mjs')).href)).default as { yaml: string, json: string }
  return { built, info }
}

const storeLines = (lines: string[]) => lines.filter(line => line.startsWith('unplugin-secrets: '))

describe('vite build reads the mode\'s store', () => {
  it('vite build: production (secrets.production.enc.json), YAML and JSON, named once', async () => {
    const { built, info } = await viteBuild('dist-production')
    expect(built).toEqual({ yaml: VALUES.production, json: VALUES.production })
    expect(storeLines(info)).toEqual(['unplugin-secrets: environment production, secrets.production.enc.json (Vite mode production)'])
  })

  it('vite build --mode development: the development store', async () => {
    const { built, info } = await viteBuild('dist-development', { mode: 'development' })
    expect(built).toEqual({ yaml: VALUES.development, json: VALUES.development })
    expect(storeLines(info)).toEqual(['unplugin-secrets: environment development, secrets.development.enc.json (Vite mode development)'])
  })

  it('a mode without its store reads secrets.enc.json, and says why', async () => {
    const { built, info } = await viteBuild('dist-qa', { mode: 'qa' })
    expect(built).toEqual({ yaml: VALUES.default, json: VALUES.default })
    expect(storeLines(info)).toEqual(['unplugin-secrets: environment default, secrets.enc.json (Vite mode qa has no secrets.qa.enc.json)'])
  })

  it('the environment option beats the mode; a function of the build gets the bundler and its mode', async () => {
    const seen: unknown[] = []
    const environment = (build: unknown) => {
      seen.push(build)
      return 'development'
    }
    const { built, info } = await viteBuild('dist-option', { plugin: { environment } })
    expect(built.yaml).toBe(VALUES.development)
    expect(seen).toEqual([{ bundler: 'vite', mode: 'production' }])
    expect(storeLines(info)).toEqual(['unplugin-secrets: environment development, secrets.development.enc.json (the environment option)'])
  })

  it('mode: \'runtime\' writes the chosen environment\'s store path for start-up, and no value', async () => {
    const { build } = await import('vite')
    const { default: secrets } = await dist('vite')
    const { logger } = await capturingLogger()
    await build({ root: dir, configFile: false, customLogger: logger, plugins: [secrets({ mode: 'runtime' })], build: { ssr: 'server.js', outDir: 'dist-runtime', emptyOutDir: true, rolldownOptions: { external: ['unplugin-secrets/runtime'] } } })
    const code = await readFile(join(dir, 'dist-runtime/server.mjs'), 'utf8')
    // Relative to the working directory of the build, as for any store.
    expect(code).toMatch(/"store": "[^"]*\/secrets\.production\.enc\.json"/)
    for (const value of ALL_VALUES) expect(code).not.toContain(value)
  })

  it('a function that returns a name that is not one fails the build with USAGE, naming what it returned', async () => {
    await expect(viteBuild('dist-bad-function', { plugin: { environment: () => 'Prod' } })).rejects.toThrow(/what the environment option's function returned must be an environment name, .*; got "Prod"\./)
  })
})

describe('a developer with the development key only', () => {
  it('cannot build production: the error names the environment and its admins; no fallback to another store\'s values', async () => {
    process.env.UNPLUGIN_SECRETS_KEY_DIR = developmentKeyOnly
    try {
      const failure = await viteBuild('dist-no-key').then(() => undefined, (error: Error) => error)
      expect(failure?.message).toMatch(/cannot expand \$\{secret\.DB_PASSWORD\} for environment production: No store key for .*secrets\.production\.enc\.json \(store id [0-9a-f]{32}\)\. Looked in .*\. Its admins can give you access: carol\. .*unplugin-secrets key import --env production/)
      for (const value of ALL_VALUES) expect(failure!.message + failure!.stack).not.toContain(value)
      const written = await readdir(join(dir, 'dist-no-key')).catch(() => [])
      for (const file of written) {
        for (const value of ALL_VALUES) expect(await readFile(join(dir, 'dist-no-key', file), 'utf8')).not.toContain(value)
      }
      // The development build still works on that machine.
      expect((await viteBuild('dist-dev-machine', { mode: 'development' })).built.yaml).toBe(VALUES.development)
    }
    finally {
      process.env.UNPLUGIN_SECRETS_KEY_DIR = allKeys
    }
  })

  it('with the development key in UNPLUGIN_SECRETS_KEY, building production is WRONG_KEY naming production and its admins', async () => {
    process.env.UNPLUGIN_SECRETS_KEY = storeKeys.development!
    try {
      const failure = await viteBuild('dist-wrong-key').then(() => undefined, (error: Error) => error)
      expect(failure?.message).toMatch(/cannot expand \$\{secret\.DB_PASSWORD\} for environment production: The store key in UNPLUGIN_SECRETS_KEY does not open .*secrets\.production\.enc\.json: .*an admin \(carol\) can print it/)
      for (const value of ALL_VALUES) expect(failure!.message).not.toContain(value)
    }
    finally {
      delete process.env.UNPLUGIN_SECRETS_KEY
    }
  })
})

describe('vite dev server: the development store', () => {
  let server: ViteDevServer
  let info: string[]
  const baseUrl = () => `http://127.0.0.1:${(server.httpServer!.address() as { port: number }).port}`

  beforeAll(async () => {
    const { createServer } = await import('vite')
    const { default: secrets } = await dist('vite')
    const captured = await capturingLogger()
    info = captured.info
    server = await createServer({ root: dir, configFile: false, customLogger: captured.logger, plugins: [secrets({ dashboard: false })], server: { port: 0, host: '127.0.0.1' } })
    await server.listen()
  })

  afterAll(() => server?.close())

  const ssrValue = async (file: string) => ((await server.ssrLoadModule(file)).default as { db: { password: string } }).db.password

  it('serves the development values, follows a change to that store, and names it once', async () => {
    expect(await ssrValue('/config/app.yaml')).toBe(VALUES.development)
    expect(await ssrValue('/config/app.json')).toBe(VALUES.development)
    const changed = 'development-db-value-changed-77d0'
    const set = await runProcess(process.execPath, [CLI, 'set', 'DB_PASSWORD', '--env', 'development'], { cwd: dir, env: { PATH: process.env.PATH!, UNPLUGIN_SECRETS_KEY_DIR: allKeys }, input: changed })
    expect(set.code, set.stderr).toBe(0)
    await waitFor(async () => (await ssrValue('/config/app.yaml')) === changed)
    await waitFor(async () => (await ssrValue('/config/app.json')) === changed)
    expect(storeLines(info)).toEqual(['unplugin-secrets: environment development, secrets.development.enc.json (Vite mode development)'])
  }, 30_000)

  it('refuses every environment\'s store file, not only the one it reads', async () => {
    await writeFile(join(dir, 'secrets.staging.enc.json.lock'), '{ "pid": 1 }\n')
    for (const url of ['/secrets.production.enc.json', '/SECRETS.PRODUCTION.ENC.JSON', '/secrets.enc.json', '/secrets.development.enc.json', '/secrets%2Eproduction.enc.json', `/@fs${join(dir, 'secrets.production.enc.json')}`, '/secrets.staging.enc.json.lock'])
      expect((await fetch(`${baseUrl()}${url}`)).status, url).toBe(403)
    expect((await fetch(`${baseUrl()}/config/app.yaml`)).status).toBe(200) // a config is still served (as written)
  })
})

describe('other bundlers: secrets.enc.json unless told', () => {
  it('Rollup: the default store; environment: \'production\' reads production and names it through Rollup\'s log', async () => {
    const { rollup } = await import('rollup')
    const { default: yaml } = await import('@rollup/plugin-yaml')
    const { default: secrets } = await dist('rollup')
    const build = async (options: Record<string, unknown>) => {
      const logs: string[] = []
      const bundle = await rollup({ input: 'config/app.yaml', plugins: [secrets(options), yaml()], onLog: (level, log) => void logs.push(`${level}: ${log.message}`) })
      const { output } = await bundle.generate({ format: 'es' })
      return { code: output[0].code, logs }
    }
    // Rollup has no root: the store is relative to the working directory, so the build runs in the project.
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      const byDefault = await build({})
      expect(byDefault.code).toContain(VALUES.default)
      expect(byDefault.logs).toEqual(['info: [plugin unplugin-secrets] unplugin-secrets: environment default, secrets.enc.json (the default)'])
      const production = await build({ environment: 'production' })
      expect(production.code).toContain(VALUES.production)
      expect(production.logs).toEqual(['info: [plugin unplugin-secrets] unplugin-secrets: environment production, secrets.production.enc.json (the environment option)'])
      // A one-store project (no other environment's store beside it) prints what it printed before: nothing.
      await mkdir(join(dir, 'solo/config'), { recursive: true })
      await copyFile(join(dir, 'secrets.enc.json'), join(dir, 'solo/secrets.enc.json'))
      await copyFile(join(dir, 'config/app.yaml'), join(dir, 'solo/config/app.yaml'))
      process.chdir(join(dir, 'solo'))
      const solo = await build({})
      expect(solo.code).toContain(VALUES.default)
      expect(solo.logs).toEqual([])
    }
    finally {
      process.chdir(cwd)
    }
  })

  it('webpack: a function of the build chooses by webpack\'s mode', async () => {
    const { default: secrets } = await dist('webpack')
    const environment = ({ mode }: { mode?: string }) => (mode === 'production' ? 'production' : 'development')
    for (const mode of ['development', 'production'] as const) {
      const out = join(dir, `out-webpack-${mode}`)
      const log = new PassThrough()
      let logged = ''
      log.on('data', (chunk: Buffer) => { logged += chunk })
      await webpackLikeBuild('webpack', { mode, target: 'node', context: dir, entry: './server.js', output: { path: out, library: { type: 'commonjs2' } }, optimization: { minimize: false }, devtool: false, infrastructureLogging: { level: 'info', stream: log, colors: false }, plugins: [secrets({ environment })] })
      expect(await readFile(join(out, 'main.js'), 'utf8'), mode).toContain(`${mode}-db-value`) // development's was changed above
      expect(logged.split('\n').filter(line => line.includes('unplugin-secrets')), mode).toEqual([`<i> [unplugin-secrets] environment ${mode}, secrets.${mode}.enc.json (the environment option)`])
    }
  })

  it('esbuild: the line on stderr at logLevel info, none at its default level', async () => {
    const script = (logLevel: string) => `
      import { build } from 'esbuild'
      import secrets from ${JSON.stringify(join(ROOT, 'dist/esbuild.mjs'))}
      await build({ absWorkingDir: ${JSON.stringify(dir)}, entryPoints: ['server.js'], bundle: true, platform: 'node', write: false, logLevel: '${logLevel}', plugins: [secrets({ environment: 'production' })] })
    `
    const info = await runNode(script('info'), { cwd: ROOT, env: { UNPLUGIN_SECRETS_KEY_DIR: allKeys } })
    expect(info.code, info.stderr).toBe(0)
    expect(info.stderr.split('\n').filter(line => line.includes('unplugin-secrets'))).toEqual(['unplugin-secrets: environment production, secrets.production.enc.json (the environment option)'])
    const quiet = await runNode(script('warning'), { cwd: ROOT, env: { UNPLUGIN_SECRETS_KEY_DIR: allKeys } })
    expect(quiet.code, quiet.stderr).toBe(0)
    expect(quiet.stderr).toBe('')
  })
})
