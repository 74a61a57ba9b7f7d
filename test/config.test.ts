import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { expandConfig, loadConfig, resolveSecrets } from '../src/config'
import { SecretsError } from '../src/core/errors'
import { createStore, openStore } from '../src/core/store/store'
import { tempDir } from './helpers'

const TOKEN = 'tok "quoted" \n value'
let dir: string
let key: string
let store: string

beforeAll(async () => {
  dir = await tempDir('usec-config-')
  store = join(dir, 'secrets.enc.json')
  const created = await createStore({ path: store, admin: 'test' })
  await created.store.setMany({ TOKEN, DB_PASSWORD: 'db-password-1' })
  key = created.storeKey
  await mkdir(join(dir, 'config'), { recursive: true })
  await writeFile(join(dir, 'config/app.yaml'), 'grafana:\n  token: Bearer ${secret.TOKEN}\n  literal: $${secret.TOKEN}\nlist: [1, "${secret.DB_PASSWORD}"]\n')
  await writeFile(join(dir, 'config/app.json'), '{\n  "db": { "password": "${secret.DB_PASSWORD}" },\n  "port": 5432\n}\n')
})

async function rejects(promise: Promise<unknown>, code: string, message: RegExp) {
  const error = await promise.then(() => undefined, (caught: unknown) => caught)
  expect(error).toBeInstanceOf(SecretsError)
  expect((error as SecretsError).code).toBe(code)
  expect((error as SecretsError).message).toMatch(message)
  expect((error as SecretsError).message).not.toContain('db-password-1')
}

describe('loadConfig', () => {
  it('reads YAML and JSON with references expanded', async () => {
    expect(await loadConfig(join(dir, 'config/app.yaml'), { store, key })).toEqual({ grafana: { token: `Bearer ${TOKEN}`, literal: '${secret.TOKEN}' }, list: [1, 'db-password-1'] })
    expect(await loadConfig(join(dir, 'config/app.json'), { store, key })).toEqual({ db: { password: 'db-password-1' }, port: 5432 })
  })

  it('finds the store as the CLI does (UNPLUGIN_SECRETS_STORE, else upward from the working directory)', async () => {
    process.env.UNPLUGIN_SECRETS_STORE = store
    try {
      expect(await loadConfig(join(dir, 'config/app.json'), { key })).toEqual({ db: { password: 'db-password-1' }, port: 5432 })
    }
    finally {
      delete process.env.UNPLUGIN_SECRETS_STORE
    }
  })

  it('errors name the file, line and column, never a value; files without references need no store', async () => {
    await writeFile(join(dir, 'config/missing.yaml'), 'a: 1\nb: ${secret.TOKN}\n')
    await rejects(loadConfig(join(dir, 'config/missing.yaml'), { store, key }), 'SECRET_MISSING', /missing\.yaml:2:4: secret TOKN is not in .*Did you mean TOKEN\?/)
    await writeFile(join(dir, 'config/plain.yaml'), 'a: 1\n')
    expect(await loadConfig(join(dir, 'config/plain.yaml'), { store: join(dir, 'nowhere.json') })).toEqual({ a: 1 })
    await rejects(loadConfig(join(dir, 'config/none.yaml')), 'STORE_NOT_FOUND', /Cannot read the config .*none\.yaml: ENOENT/)
  })

  it('refuses a file that is neither YAML nor JSON (a .env, a .toml) before reading it, naming the supported extensions', async () => {
    await writeFile(join(dir, 'config/app.toml'), 'token = "${secret.TOKEN}"\n')
    await rejects(loadConfig(join(dir, 'config/app.toml'), { store, key }), 'FORMAT_UNSUPPORTED', /app\.toml is a \.toml file: unplugin-secrets reads YAML \(\.yaml, \.yml\) and JSON \(\.json\) files/)
    await rejects(loadConfig(join(dir, 'config/.env'), { store, key }), 'FORMAT_UNSUPPORTED', /\.env is a file without an extension: /)
    await rejects(expandConfig('TOKEN=${secret.TOKEN}\n', { store, key, filename: 'app.env' }), 'FORMAT_UNSUPPORTED', /^app\.env is a \.env file: /)
  })
})

describe('expandConfig', () => {
  it('returns data, code and a map for JSON; data and a module for YAML; takes an opened store', async () => {
    const opened = await openStore({ path: store, key })
    const json = await expandConfig('{\n  "a": "${secret.DB_PASSWORD}",\n  "b": 2\n}\n', { filename: 'x.json', store: opened })
    expect(json.data).toEqual({ a: 'db-password-1', b: 2 })
    expect(json.code).toBe('{\n  "a": "db-password-1",\n  "b": 2\n}\n')
    expect(json.map?.sources).toEqual(['x.json'])
    const yaml = await expandConfig('---\na: ${secret.TOKEN}\n---\nb: 1\n', { filename: 'x.yaml', store: opened })
    expect(yaml.data).toEqual([{ a: TOKEN }, { b: 1 }])
    expect(yaml.code).toContain('export default')
  })
})

describe('resolveSecrets', () => {
  it('deep-copies a loaded object with references expanded, by the same rules', async () => {
    const loaded = { server: { port: 1 }, db: { password: '${secret.DB_PASSWORD}', url: 'postgres://u:${secret.DB_PASSWORD}@h' }, list: ['$${secret.X}', '${HOME}'], n: null, ['__proto__']: { polluted: '${secret.TOKEN}' } }
    const resolved = await resolveSecrets(loaded, { store, key })
    expect(resolved).toEqual({ server: { port: 1 }, db: { password: 'db-password-1', url: 'postgres://u:db-password-1@h' }, list: ['${secret.X}', '${HOME}'], n: null, ['__proto__']: { polluted: TOKEN } })
    expect(Object.hasOwn(resolved, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(loaded.db.password).toBe('${secret.DB_PASSWORD}') // a copy
  })

  it('names the key path in errors', async () => {
    await rejects(resolveSecrets({ a: { b: ['x', '${secret.NOPE}'] } }, { store, key }), 'SECRET_MISSING', /^a\.b\[1\]: secret NOPE is not in /)
    await rejects(resolveSecrets({ a: '${secret.A-B}' }, { store, key }), 'REFERENCE_INVALID', /^a: Invalid secret name/)
    await rejects(resolveSecrets({ '${secret.TOKEN}': 1 }, { store, key }), 'REFERENCE_IN_KEY', /^\(root\): a \$\{secret\.…\} reference stands in the key/)
    expect(await resolveSecrets({ plain: true }, { store: join(dir, 'nowhere.json') })).toEqual({ plain: true })
  })
})

describe('UNPLUGIN_SECRETS_ENV: the environment\'s store, found as the CLI finds it', () => {
  const PRODUCTION_PASSWORD = 'production-db-password-2'
  let productionKey: string

  beforeAll(async () => {
    const created = await createStore({ path: join(dir, 'secrets.production.enc.json'), admin: 'carol' })
    await created.store.setMany({ TOKEN: 'production-token', DB_PASSWORD: PRODUCTION_PASSWORD })
    productionKey = created.storeKey
  })

  /** loadConfig of config/app.json from the project folder with these variables set. */
  async function loadWith(variables: Record<string, string>, options: { key?: string } = {}) {
    const cwd = process.cwd()
    process.chdir(dir)
    Object.assign(process.env, variables)
    try {
      return await loadConfig('config/app.json', options)
    }
    finally {
      process.chdir(cwd)
      for (const name of Object.keys(variables)) delete process.env[name]
    }
  }

  it('reads secrets.production.enc.json with UNPLUGIN_SECRETS_ENV=production', async () => {
    expect(await loadWith({ UNPLUGIN_SECRETS_ENV: 'production' }, { key: productionKey })).toEqual({ db: { password: PRODUCTION_PASSWORD }, port: 5432 })
    expect(await loadWith({}, { key })).toEqual({ db: { password: 'db-password-1' }, port: 5432 }) // without it: secrets.enc.json
  })

  it('a failure names the environment; no key names its admins', async () => {
    await rejects(loadWith({ UNPLUGIN_SECRETS_ENV: 'production' }), 'KEY_MISSING', /^environment production: No store key for .*secrets\.production\.enc\.json .*Its admins can give you access: carol\./)
    await rejects(loadWith({ UNPLUGIN_SECRETS_ENV: 'production' }, { key }), 'WRONG_KEY', /^environment production: The store key in the key option does not open .*secrets\.production\.enc\.json/)
    await rejects(loadWith({ UNPLUGIN_SECRETS_ENV: 'staging' }, { key }), 'STORE_NOT_FOUND', /^environment staging: No store at .*secrets\.staging\.enc\.json \(environment staging\)\. Create one with unplugin-secrets init --env staging/)
  })

  it('a bad name, or a path and an environment together, is USAGE', async () => {
    await rejects(loadWith({ UNPLUGIN_SECRETS_ENV: 'Production' }, { key }), 'USAGE', /^UNPLUGIN_SECRETS_ENV must be an environment name, .*; got "Production"\.$/)
    await rejects(loadWith({ UNPLUGIN_SECRETS_ENV: 'production', UNPLUGIN_SECRETS_STORE: store }, { key }), 'USAGE', /^UNPLUGIN_SECRETS_STORE and UNPLUGIN_SECRETS_ENV both choose the store: give one\./)
  })
})
