import { createHash, createHmac } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dist, ROOT, tempDir } from '../helpers'
import { makeStore } from '../store/fixtures'

const { default: secrets } = await dist('rollup')

const VALUES = { API_TOKEN: 'api-token-value-8f2c1d', DB_PASSWORD: 'db-password-value-77aa' }
const CONFIG = `# a config with references
region: eu-west-1
api:
  token: Bearer \${secret.API_TOKEN}
  copies: [&db "\${secret.DB_PASSWORD}", *db]
escaped: $\${secret.NOT_A_REFERENCE}
shared: &shared { token: "\${secret.API_TOKEN}" }
again: *shared
merged: { <<: *shared, own: 1 }
`

let dir: string
let store: Awaited<ReturnType<typeof makeStore>>
let cacheDir: string
let keyDir: string
const previousKeyDir = process.env.UNPLUGIN_SECRETS_KEY_DIR

beforeAll(async () => {
  dir = await tempDir('usec-cache-')
  // The user's key folder, where the cache key is made on first use.
  keyDir = join(dir, 'keys')
  process.env.UNPLUGIN_SECRETS_KEY_DIR = keyDir
  store = await makeStore(dir, VALUES)
  cacheDir = join(dir, 'cache')
  await writeFile(join(dir, 'config.yaml'), CONFIG)
  await writeFile(join(dir, 'entry.js'), 'export { default } from \'./config.yaml\'\n')
})

const plugin = (cache: string | boolean = cacheDir) => secrets({ store: store.path, key: store.storeKey, cache })

/** Builds entry.js with `instance` and returns the exported config (the bundle evaluated). */
async function build(instance = plugin()): Promise<{ config: Record<string, unknown>, code: string }> {
  const bundle = await rollup({ input: join(dir, 'entry.js'), plugins: [instance], onwarn() {} })
  const { output } = await bundle.generate({ format: 'es' })
  const code = output[0].code
  const config = (await import(`data:text/javascript,${encodeURIComponent(code)}`)).default
  return { config, code }
}

afterAll(() => {
  process.env.UNPLUGIN_SECRETS_KEY_DIR = previousKeyDir
})

const entries = async () => (await readdir(cacheDir)).filter(name => name.endsWith('.json'))
const entryPath = async () => join(cacheDir, (await entries())[0]!)
const cacheKey = async () => Buffer.from((await readFile(join(keyDir, 'parse-cache.key'), 'utf8')).trim(), 'hex')

/** Changes the data in an entry and seals it again with the user's cache key, as only the user could. */
async function resealed(path: string, change: (json: string) => string): Promise<string> {
  const json = change((await readFile(path, 'utf8')).split('\n').slice(1).join('\n'))
  return `${createHmac('sha256', await cacheKey()).update(`${join(dir, 'config.yaml')}\0${json}`).digest('hex')}\n${json}`
}

describe('the YAML parse cache', () => {
  it('keeps the parse on disk with no value in it', async () => {
    const { config } = await build()
    expect(config).toEqual({ region: 'eu-west-1', api: { token: `Bearer ${VALUES.API_TOKEN}`, copies: [VALUES.DB_PASSWORD, VALUES.DB_PASSWORD] }, escaped: '${secret.NOT_A_REFERENCE}', shared: { token: VALUES.API_TOKEN }, again: { token: VALUES.API_TOKEN }, merged: { token: VALUES.API_TOKEN, own: 1 } })
    expect(await entries()).toHaveLength(1)
    const files = await readdir(cacheDir)
    expect(files.filter(name => name.endsWith('.tmp'))).toEqual([])
    for (const name of files) {
      const text = await readFile(join(cacheDir, name), 'utf8')
      for (const value of Object.values(VALUES)) expect(text).not.toContain(value)
      expect(text).toContain('API_TOKEN') // the template names what to fill in
    }
    // The key that seals entries: made on first use, in the user's key folder, readable by the user alone.
    expect((await stat(join(keyDir, 'parse-cache.key'))).mode & 0o777).toBe(0o600)
    expect((await readFile(join(keyDir, 'parse-cache.key'), 'utf8'))).toMatch(/^[0-9a-f]{64}\n$/)
  })

  it('an entry changed by someone without the cache key is ignored and rewritten: the build uses the file', async () => {
    const path = await entryPath()
    const entry = await readFile(path, 'utf8')
    await writeFile(path, entry.replace('eu-west-1', 'from-the-cache'))
    const { config } = await build()
    expect(config.region).toBe('eu-west-1')
    expect((config.api as { token: string }).token).toBe(`Bearer ${VALUES.API_TOKEN}`)
    expect(await readFile(path, 'utf8')).toBe(entry)
    // Sealed for another config file: moved entries miss too.
    const other = createHmac('sha256', await cacheKey()).update(`${join(dir, 'other.yaml')}\0${entry.split('\n').slice(1).join('\n').replace('eu-west-1', 'from-the-cache')}`).digest('hex')
    await writeFile(path, `${other}\n${entry.split('\n').slice(1).join('\n').replace('eu-west-1', 'from-the-cache')}`)
    expect((await build()).config.region).toBe('eu-west-1')
    expect(await readFile(path, 'utf8')).toBe(entry)
  })

  it('a cache key others can read is replaced, and what it sealed misses', async () => {
    const path = await entryPath()
    const entry = await readFile(path, 'utf8')
    const keyFile = join(keyDir, 'parse-cache.key')
    const oldKey = await readFile(keyFile, 'utf8')
    await writeFile(path, await resealed(path, json => json.replace('eu-west-1', 'sealed-with-a-known-key')))
    await chmod(keyFile, 0o644)
    // A fresh process (a child, so the key is read anew) builds: it must not trust the entry.
    const { runNode } = await import('../helpers')
    const child = await runNode(`
      import { rollup } from 'rollup'
      import secrets from ${JSON.stringify(join(ROOT, 'dist/rollup.mjs'))}
      const bundle = await rollup({ input: ${JSON.stringify(join(dir, 'entry.js'))}, plugins: [secrets({ store: ${JSON.stringify(store.path)}, key: ${JSON.stringify(store.storeKey)}, cache: ${JSON.stringify(cacheDir)} })], onwarn() {} })
      const { output } = await bundle.generate({ format: 'es' })
      console.log(output[0].code.includes('sealed-with-a-known-key') ? 'USED' : 'IGNORED')
    `, { cwd: ROOT, env: { UNPLUGIN_SECRETS_KEY_DIR: keyDir } })
    expect(child.stdout.trim(), child.stderr).toBe('IGNORED')
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    expect(await readFile(keyFile, 'utf8')).not.toBe(oldKey)
    expect(await readFile(path, 'utf8')).not.toContain('sealed-with-a-known-key')
    // This process still holds the old key in memory: put back an entry it can read.
    await writeFile(path, entry)
    await writeFile(keyFile, oldKey, { mode: 0o600 })
    await chmod(keyFile, 0o600)
  })

  it('without a usable key folder nothing is cached on disk', async () => {
    const noCache = join(dir, 'cache-without-key')
    const unusable = join(dir, 'unusable-keys')
    await mkdir(join(unusable, 'parse-cache.key'), { recursive: true }) // a folder where the key should be: unreadable, not replaceable
    process.env.UNPLUGIN_SECRETS_KEY_DIR = unusable
    try {
      expect((await build(secrets({ store: store.path, key: store.storeKey, cache: noCache }))).config.region).toBe('eu-west-1')
    }
    finally {
      process.env.UNPLUGIN_SECRETS_KEY_DIR = keyDir
    }
    expect(existsSync(noCache)).toBe(false)
  })

  it('a repeat build (new plugin instance) takes the parse from disk and fills in the values', async () => {
    const path = await entryPath()
    const entry = await readFile(path, 'utf8')
    // Changed behind the parser's back (and sealed with the user's key): only a build that read the entry can show it.
    await writeFile(path, await resealed(path, json => json.replace('eu-west-1', 'from-the-cache')))
    const { config } = await build()
    expect(config.region).toBe('from-the-cache')
    expect((config.api as { token: string }).token).toBe(`Bearer ${VALUES.API_TOKEN}`)
    // An alias and a merge key copy the reference: every copy is filled from the cached template.
    expect([config.shared, config.again, config.merged]).toEqual([{ token: VALUES.API_TOKEN }, { token: VALUES.API_TOKEN }, { token: VALUES.API_TOKEN, own: 1 }])
    await writeFile(path, entry)
  })

  it('a store change re-fills the values from the memory copy (one plugin instance, as in dev)', async () => {
    const instance = plugin()
    expect((await build(instance)).config.region).toBe('eu-west-1')
    const path = await entryPath()
    const entry = await readFile(path, 'utf8')
    await writeFile(path, await resealed(path, json => json.replace('eu-west-1', 'from-disk')))
    await store.store.set('API_TOKEN', 'rotated-token-value-31')
    const { config } = await build(instance)
    expect(config.region).toBe('eu-west-1') // memory, not the disk entry
    expect((config.api as { token: string }).token).toBe('Bearer rotated-token-value-31')
    await writeFile(path, entry)
    await store.store.set('API_TOKEN', VALUES.API_TOKEN)
  })

  it('an edited file misses, and a corrupt entry is ignored and rewritten', async () => {
    await writeFile(join(dir, 'config.yaml'), CONFIG.replace('eu-west-1', 'us-east-2'))
    expect((await build()).config.region).toBe('us-east-2')
    await writeFile(await entryPath(), '{"key": "not this", "template": ')
    expect((await build()).config.region).toBe('us-east-2')
    expect(JSON.parse((await readFile(await entryPath(), 'utf8')).split('\n')[1]!).template.data.region).toBe('us-east-2')
    await writeFile(join(dir, 'config.yaml'), CONFIG)
  })

  it('a missing secret is reported at the same place whether the parse came from the cache or not', async () => {
    await writeFile(join(dir, 'config.yaml'), `${CONFIG}extra:\n  - \${secret.NOT_IN_STORE}\n`)
    const failure = async () => build().then(() => '', (error: Error) => error.message)
    const first = await failure()
    const cached = await failure()
    expect(first).toMatch(/config\.yaml \(11:4\): /) // Rollup's loc: 0-based column
    expect(first).toMatch(/NOT_IN_STORE/)
    expect(cached).toBe(first)
    await writeFile(join(dir, 'config.yaml'), CONFIG)
  })

  it('cache: false writes nothing to disk', async () => {
    // The default folder for a Rollup build run from here; the entry's name is the hash of the config's path.
    const name = `${createHash('sha256').update(join(dir, 'config.yaml')).digest('hex').slice(0, 32)}.json`
    expect(await entries()).toContain(name)
    await build(secrets({ store: store.path, key: store.storeKey, cache: false }))
    expect(existsSync(join(ROOT, 'node_modules/.cache/unplugin-secrets', name))).toBe(false)
    await build(secrets({ store: store.path, key: store.storeKey }))
    expect(existsSync(join(ROOT, 'node_modules/.cache/unplugin-secrets', name))).toBe(true)
  })
})
