import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT, dist, tempDir } from '../helpers'
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

beforeAll(async () => {
  dir = await tempDir('usec-cache-')
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

const entries = async () => (await readdir(cacheDir)).filter(name => name.endsWith('.json'))
const entryPath = async () => join(cacheDir, (await entries())[0]!)

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
  })

  it('a repeat build (new plugin instance) takes the parse from disk and fills in the values', async () => {
    const path = await entryPath()
    const entry = await readFile(path, 'utf8')
    // Changed behind the parser's back: only a build that read the entry can show it.
    await writeFile(path, entry.replace('eu-west-1', 'from-the-cache'))
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
    await writeFile(path, entry.replace('eu-west-1', 'from-disk'))
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
    expect(JSON.parse(await readFile(await entryPath(), 'utf8')).template.data.region).toBe('us-east-2')
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
