/**
 * Secrets never leak. Every secret holds a unique canary; every CLI command
 * runs with DEBUG=* and its stdout/stderr are captured; real builds write
 * sourcemaps; errors are provoked on purpose. A canary may appear only where a
 * value belongs: `get` of that name, `render` output, a server bundle that
 * inlines it. Error objects (message, stack, util.inspect, JSON.stringify)
 * never hold one, and the decrypted bytes are wiped after use.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/core/errors'
import { expandJson } from '../../src/core/formats/json'
import { renderConfig } from '../../src/core/formats/registry'
import { expandYaml } from '../../src/core/formats/yaml'
import { parseStoreFile, serializeStoreFile } from '../../src/core/store/format'
import { openStore } from '../../src/core/store/store'
import { dist, ROOT, tempDir } from '../helpers'
import { cli } from './harness'

const dir = await tempDir('usec-leak-')
const project = join(dir, 'project')
const home = join(dir, 'home')
const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), DEBUG: '*', NODE_DEBUG: '' }
const CANARY = {
  API_TOKEN: 'cnry-API_TOKEN-7f3a9c1e5b',
  DB_PASSWORD: 'cnry-DB_PASSWORD-2d8e4f6a0c',
  NEVER_REFERENCED: 'cnry-NEVER_REFERENCED-9b1d3e5f7a',
} as const
type Name = keyof typeof CANARY
const ALL = Object.keys(CANARY) as Name[]

/** The canaries found in `text`. */
const canariesIn = (text: string): Name[] => ALL.filter(name => text.includes(CANARY[name]))

const outputs: { what: string, text: string, allowed: Name[] }[] = []
function record(what: string, text: string, allowed: Name[] = []): void {
  outputs.push({ what, text, allowed })
}

async function run(args: string[], input = '', allowed: Name[] = [], cwd = project) {
  const result = await cli(args, env, input, cwd).done
  record(`unplugin-secrets ${args.join(' ')} (stdout)`, result.stdout, allowed)
  record(`unplugin-secrets ${args.join(' ')} (stderr)`, result.stderr, [])
  return result
}

/** Every file under `folder` (text), for scanning build outputs and caches. */
async function filesUnder(folder: string): Promise<string[]> {
  const found: string[] = []
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const path = join(folder, name)
    if ((await stat(path)).isDirectory()) found.push(...await filesUnder(path))
    else found.push(path)
  }
  return found
}

const CONFIG_YAML = 'api:\n  token: ${secret.API_TOKEN}\n  header: "Bearer ${secret.API_TOKEN}"\ndb: ${secret.DB_PASSWORD}\n'
const CONFIG_JSON = '{\n  "api": { "token": "${secret.API_TOKEN}" },\n  "db": "${secret.DB_PASSWORD}"\n}\n'

describe('canary run', () => {
  it('every CLI command with DEBUG=*: canaries only in get and render output', async () => {
    await (await import('node:fs/promises')).mkdir(project, { recursive: true })
    await writeFile(join(project, 'config.yaml'), CONFIG_YAML)
    await writeFile(join(project, 'config.json'), CONFIG_JSON)
    await writeFile(join(project, 'bad.yaml'), 'a: ${secret.API_TOKEN}\nb: ${secret.MISSING_ONE}\nc: [${secret.DB_PASSWORD}\n')
    expect((await run(['init', '--admin', 'alice'])).code).toBe(0)
    for (const name of ALL) expect((await run(['set', name, '--description', `${name} for the canary run`], CANARY[name])).code).toBe(0)
    await writeFile(join(dir, 'value.txt'), CANARY.API_TOKEN)
    expect((await run(['set', 'API_TOKEN', '--from-file', join(dir, 'value.txt')])).code).toBe(0)

    for (const name of ALL) expect((await run(['get', name], '', [name])).stdout).toBe(`${CANARY[name]}\n`)
    const commands: [string[], Name[]][] = [
      [['list'], []],
      [['verify'], []],
      [['log'], []],
      [['admins', 'list'], []],
      [['admins', 'keygen'], []],
      [['check', 'config.yaml', 'config.json'], []],
      [['check', 'bad.yaml'], []],
      [['render', 'config.yaml', '--check'], []],
      [['render', 'config.yaml'], ['API_TOKEN', 'DB_PASSWORD']],
      [['render', 'config.json'], ['API_TOKEN', 'DB_PASSWORD']],
      [['render', 'bad.yaml'], []],
      [['render', 'config.yaml', '-o', join(dir, 'rendered.yaml')], []],
      [['get', 'MISSING_ONE'], []],
      [['get', 'bad name'], []],
      [['set', 'API_TOKEN', 'extra-arg'], []],
      [['set', 'bad-name'], []],
      [['rm', 'NOPE'], []],
      [['--help'], []],
      [['help', 'set'], []],
      [['--version'], []],
      [['nonsense'], []],
      [['key', 'export'], []],
      [['rotate'], []],
      [['verify'], []],
      [['get', 'DB_PASSWORD'], ['DB_PASSWORD']],
      [['rm', 'API_TOKEN'], []],
      [['log'], []],
    ]
    for (const [args, allowed] of commands) await run(args, '', allowed)
    // A wrong key and a damaged store: the errors must not carry values either.
    const storeText = await readFile(join(project, 'secrets.enc.json'), 'utf8')
    await writeFile(join(project, 'secrets.enc.json'), storeText.replace(/"value": "([A-Za-z0-9+/]{10})/, '"value": "AAAAAAAAAA'))
    for (const args of [['get', 'DB_PASSWORD'], ['verify'], ['render', 'config.yaml']]) await run(args)
    await writeFile(join(project, 'secrets.enc.json'), storeText)
    record('rendered.yaml (-o)', await readFile(join(dir, 'rendered.yaml'), 'utf8'), ['API_TOKEN', 'DB_PASSWORD'])
    expect(outputs.length).toBeGreaterThan(60)
  }, 120_000)

  it('builds with sourcemaps (Rollup, esbuild): canaries only in the server bundle itself, never in a map, the store, or a cache folder', async () => {
    const keyFile = (await filesUnder(join(home, '.config'))).find(path => path.endsWith('.json'))!
    process.env.UNPLUGIN_SECRETS_KEY_DIR = join(keyFile, '..')
    await writeFile(join(project, 'entry.js'), 'import yaml from "./config.yaml"\nimport json from "./config.json"\nexport default { yaml, json }\n')
    await run(['set', 'API_TOKEN'], CANARY.API_TOKEN)
    const { rollup } = await import('rollup')
    const { default: json } = await import('@rollup/plugin-json')
    const { default: rollupSecrets } = await dist('rollup')
    const bundle = await rollup({ input: join(project, 'entry.js'), plugins: [rollupSecrets({ store: join(project, 'secrets.enc.json') }), json()], onwarn: () => {} })
    await bundle.write({ dir: join(project, 'out-rollup'), format: 'es', sourcemap: true })
    const esbuild = await import('esbuild')
    const { default: esbuildSecrets } = await dist('esbuild')
    await esbuild.build({ entryPoints: [join(project, 'entry.js')], bundle: true, platform: 'node', format: 'esm', outdir: join(project, 'out-esbuild'), sourcemap: true, plugins: [esbuildSecrets({ store: join(project, 'secrets.enc.json') })], logLevel: 'silent', absWorkingDir: project })
    // A browser build that references them fails, and its error holds no value.
    let browserError = ''
    await rollup({ input: join(project, 'entry.js'), plugins: [rollupSecrets({ store: join(project, 'secrets.enc.json'), target: 'browser' }), json()], onwarn: () => {} })
      .then(async b => b.generate({ format: 'es' }))
      .catch((error: Error) => { browserError = `${error.message}\n${error.stack}\n${inspect(error, { depth: 5 })}` })
    expect(browserError).toMatch(/SECRET_IN_CLIENT|would be shipped to the browser/)
    record('browser build error', browserError)

    for (const path of [...await filesUnder(join(project, 'out-rollup')), ...await filesUnder(join(project, 'out-esbuild'))]) {
      const text = await readFile(path, 'utf8')
      if (path.endsWith('.map')) {
        record(path, text)
      }
      else {
        expect(canariesIn(text).sort(), path).toEqual(['API_TOKEN', 'DB_PASSWORD']) // the server bundle inlines what it references
        record(path, text, ['API_TOKEN', 'DB_PASSWORD'])
      }
    }
    for (const folder of [join(project, 'node_modules/.cache/unplugin-secrets'), join(ROOT, 'node_modules/.cache/unplugin-secrets')]) {
      for (const path of await filesUnder(folder)) record(path, await readFile(path, 'utf8'))
    }
    record('secrets.enc.json', await readFile(join(project, 'secrets.enc.json'), 'utf8'))
    for (const path of await filesUnder(join(home, '.config'))) record(path, await readFile(path, 'utf8'))
    delete process.env.UNPLUGIN_SECRETS_KEY_DIR
  }, 120_000)

  it('no canary anywhere it is not allowed', () => {
    const leaks = outputs.flatMap(({ what, text, allowed }) => canariesIn(text).filter(name => !allowed.includes(name)).map(name => `${name} in ${what}`))
    console.log(`canary run: ${outputs.length} outputs scanned, ${leaks.length} leaks`)
    expect(leaks).toEqual([])
    // And the run did exercise the places where values do belong.
    expect(outputs.some(output => output.allowed.includes('NEVER_REFERENCED') && output.text.includes(CANARY.NEVER_REFERENCED))).toBe(true)
  })
})

describe('SecretsError objects never hold a value', () => {
  it('message, stack, util.inspect and JSON.stringify of every error provoked with canary values in play', async () => {
    const { makeStore } = await import('../store/fixtures')
    process.env.UNPLUGIN_SECRETS_KEY_DIR = join(dir, 'api-keys')
    const { path, store, storeKey } = await makeStore(dir, { ...CANARY })
    const errors: SecretsError[] = []
    const collect = async (run: () => unknown) => {
      try {
        await run()
      }
      catch (error) {
        expect(error).toBeInstanceOf(SecretsError)
        errors.push(error as SecretsError)
      }
    }
    const big = `${CANARY.API_TOKEN}${'x'.repeat(1024 * 1024)}`
    await collect(() => store.set('BIG', big))
    await collect(() => store.set('LONE', `${CANARY.API_TOKEN}\uD800`))
    await collect(() => store.set('bad name', CANARY.API_TOKEN))
    await collect(() => store.setMany({ 'OK': CANARY.API_TOKEN, 'bad-name': CANARY.DB_PASSWORD }))
    await collect(() => store.set('DESCRIBED', CANARY.API_TOKEN, { description: 42 as unknown as string }))
    const lookup = (name: string) => {
      const value = store.getSync(name)
      if (value === undefined) throw new SecretsError('SECRET_MISSING', `secret ${name} is missing`)
      return value
    }
    for (const [file, text] of [
      ['a.yaml', 'a: ${secret.API_TOKEN}\nb: ${secret.NOPE}\n'],
      ['b.yaml', 'a: ${secret.API_TOKEN}\nb: ${secret.API_TOKEN}\nb: 2\n'],
      ['c.yaml', 'a: ${secret.API_TOKEN}\n${secret.DB_PASSWORD}: 1\n'],
      ['d.yaml', 'a: !!int ${secret.API_TOKEN}\nb: !!binary ${secret.DB_PASSWORD}\n'],
      ['e.json', '{"a": "${secret.API_TOKEN}", "b": "${secret.NOPE}"}'],
      ['f.json', '{"a": "${secret.API_TOKEN}", "b": }'],
      ['g.json', '{"a": "${secret.API_TOKEN} ${secret.1}"}'],
    ] as const) {
      await collect(() => (file.endsWith('.json') ? expandJson(text, file, lookup) : expandYaml(text, file, lookup)))
      await collect(() => renderConfig(text, file, lookup))
    }
    // Damaged ciphertext, a wrong key, a tampered file.
    const original = await readFile(path, 'utf8')
    const file = parseStoreFile(original, path)
    const record = file.secrets.get('API_TOKEN')!
    file.secrets.set('API_TOKEN', { ...record, value: file.secrets.get('DB_PASSWORD')!.value })
    await writeFile(path, serializeStoreFile(file))
    await collect(() => openStore({ path, key: storeKey }))
    await writeFile(path, original)
    const { store: other } = await makeStore(dir, { X: 'x' })
    await collect(() => openStore({ path, key: other.exportKey() }))
    console.log(`error objects: ${errors.length} SecretsErrors of ${new Set(errors.map(error => error.code)).size} codes checked`)
    expect(errors.length).toBeGreaterThanOrEqual(15)
    expect(new Set(errors.map(error => error.code)).size).toBeGreaterThanOrEqual(8)
    for (const error of errors) {
      for (const text of [error.message, error.stack ?? '', inspect(error, { depth: 10, showHidden: true }), JSON.stringify(error), String(error)])
        expect(canariesIn(text), `${error.code}: ${error.message}`).toEqual([])
    }
    delete process.env.UNPLUGIN_SECRETS_KEY_DIR
  })
})

describe('decrypted and encoded bytes are wiped after use', () => {
  it('get: the plaintext bytes handed to the UTF-8 decoder are zero afterwards; set: the encoded value bytes are zero after the write', async () => {
    const { makeStore } = await import('../store/fixtures')
    process.env.UNPLUGIN_SECRETS_KEY_DIR = join(dir, 'wipe-keys')
    const { store } = await makeStore(dir, { WIPED: CANARY.API_TOKEN })
    const decoded: Uint8Array[] = []
    const encoded: Uint8Array[] = []
    const { decode } = TextDecoder.prototype
    const { encode } = TextEncoder.prototype
    // Observe (not replace) the real codecs: keep a reference to each buffer they see.
    TextDecoder.prototype.decode = function (this: TextDecoder, input?: AllowSharedBufferSource, options?: TextDecodeOptions) {
      if (input instanceof Uint8Array) decoded.push(input)
      return decode.call(this, input, options)
    }
    TextEncoder.prototype.encode = function (this: TextEncoder, input?: string) {
      const bytes = encode.call(this, input)
      if (input === CANARY.DB_PASSWORD) encoded.push(bytes)
      return bytes
    }
    try {
      expect(await store.get('WIPED')).toBe(CANARY.API_TOKEN)
      await store.set('SET_ONE', CANARY.DB_PASSWORD)
    }
    finally {
      TextDecoder.prototype.decode = decode
      TextEncoder.prototype.encode = encode
    }
    const plaintexts = decoded.filter(bytes => bytes.length === CANARY.API_TOKEN.length)
    expect(plaintexts.length).toBeGreaterThan(0)
    for (const bytes of plaintexts) expect([...bytes].every(byte => byte === 0)).toBe(true)
    expect(encoded.length).toBe(1)
    expect([...encoded[0]!].every(byte => byte === 0)).toBe(true)
    expect(await (await openStore({ path: store.path, key: store.exportKey() })).get('SET_ONE')).toBe(CANARY.DB_PASSWORD)
    delete process.env.UNPLUGIN_SECRETS_KEY_DIR
  })
})
