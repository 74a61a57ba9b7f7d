/**
 * Vite's env files: a store key in .env.local or .env.[mode] opens the store
 * (as UNPLUGIN_SECRETS_KEY would), the process's own variable wins over a
 * file, and the no-key message says where keys are looked for.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dist, tempDir } from '../helpers'

const VALUE = 'env-file-value-5d1c'
let dir: string
let key: string
let otherKey: string

beforeAll(async () => {
  dir = await tempDir('usec-vite-env-')
  const { createStore } = await dist('store')
  const created = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
  await created.store.set('API_TOKEN', VALUE)
  key = created.storeKey
  otherKey = (await createStore({ path: join(dir, 'other/secrets.enc.json'), admin: 'test' })).storeKey
  await writeFile(join(dir, 'entry.js'), 'import config from \'./config.yaml\'\nexport default config\n')
  await writeFile(join(dir, 'config.yaml'), 'token: ${secret.API_TOKEN}\n')
})

afterEach(async () => {
  delete process.env.UNPLUGIN_SECRETS_KEY
  for (const file of ['.env', '.env.local', '.env.staging', 'env/.env.local']) await rm(join(dir, file), { force: true })
})

/** A server build of entry.js in `mode`; resolves to the token it exports, or rejects with Vite's error. */
async function build(options: { mode?: string, envDir?: string | false, key?: string } = {}): Promise<string> {
  const { build: viteBuild } = await import('vite')
  const { default: secrets } = await dist('vite')
  const outDir = join(dir, `out-${Math.random().toString(36).slice(2)}`)
  await viteBuild({
    root: dir,
    configFile: false,
    logLevel: 'silent',
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.envDir === undefined ? {} : { envDir: options.envDir }),
    // No key folder with this store's key: only the env files can give one.
    plugins: [secrets(options.key ? { key: options.key } : {})],
    build: { ssr: join(dir, 'entry.js'), outDir, minify: false },
  })
  return (await import(pathToFileURL(join(outDir, 'entry.mjs')).href)).default.token
}

const failure = (promise: Promise<unknown>) => promise.then(() => '', (error: Error) => error.message)

describe('vite: UNPLUGIN_SECRETS_* from the env files of the mode', () => {
  it('.env.local and .env.[mode] give the store key; another mode does not read .env.[mode]', async () => {
    await writeFile(join(dir, '.env.local'), `UNPLUGIN_SECRETS_KEY=${key}\n`)
    expect(await build()).toBe(VALUE)
    await rm(join(dir, '.env.local'))
    await writeFile(join(dir, '.env.staging'), `# the staging store key\nUNPLUGIN_SECRETS_KEY="${key}"\n`)
    expect(await build({ mode: 'staging' })).toBe(VALUE)
    const production = await failure(build())
    expect(production).toMatch(/cannot expand \$\{secret\.API_TOKEN\}: No store key for .*secrets\.enc\.json/)
  })

  it('the no-key message says where keys are looked for, the env files included', async () => {
    const message = await failure(build())
    expect(message).toMatch(/No store key for .*secrets\.enc\.json \(store id [\w-]+\)\. Looked in the key option, the UNPLUGIN_SECRETS_KEY variable \(Vite also reads it from its env files: \.env, \.env\.local, \.env\.\[mode\], \.env\.\[mode\]\.local\) and the key file .*\.json\. Its admins can give you access: \w+\. In CI set UNPLUGIN_SECRETS_KEY/)
  })

  it('the process\'s own variable and the key option win over a file; envDir is honoured, and false reads none', async () => {
    await writeFile(join(dir, '.env.local'), `UNPLUGIN_SECRETS_KEY=${key}\n`)
    process.env.UNPLUGIN_SECRETS_KEY = otherKey
    expect(await failure(build())).toMatch(/The store key in UNPLUGIN_SECRETS_KEY does not open .*another store/)
    delete process.env.UNPLUGIN_SECRETS_KEY
    expect(await failure(build({ key: otherKey }))).toMatch(/The store key in the key option does not open .*another store/)
    expect(await failure(build({ envDir: false }))).toMatch(/No store key for /)
    await rm(join(dir, '.env.local'))
    await mkdir(join(dir, 'env'), { recursive: true })
    await writeFile(join(dir, 'env/.env.local'), `UNPLUGIN_SECRETS_KEY=${key}\n`)
    expect(await build({ envDir: join(dir, 'env') })).toBe(VALUE)
  })

  it('a changed file is read again on the next start (what came from a file is replaced, not kept)', async () => {
    await writeFile(join(dir, '.env'), `UNPLUGIN_SECRETS_KEY=${key}\n`)
    expect(await build()).toBe(VALUE)
    await writeFile(join(dir, '.env'), `UNPLUGIN_SECRETS_KEY=${otherKey}\n`)
    expect(await failure(build())).toMatch(/The store key in UNPLUGIN_SECRETS_KEY does not open .*another store/)
    await rm(join(dir, '.env'))
    expect(await failure(build())).toMatch(/No store key for /)
  })
})
