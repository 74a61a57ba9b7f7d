import { spawnSync } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createStore } from '../src/core/store/store'
import { ROOT } from './helpers'

// Inside the repository, so that `--import unplugin-secrets/register` resolves (package self-reference).
const DIR = join(ROOT, 'test/.tmp/register')
const TOKEN = 'tok-"register"-\n-value-1'
let key: string

beforeAll(async () => {
  await rm(DIR, { recursive: true, force: true })
  await mkdir(DIR, { recursive: true })
  const { store, storeKey } = await createStore({ path: join(DIR, 'secrets.enc.json'), admin: 'test' })
  await store.set('TOKEN', TOKEN)
  key = storeKey
  const files: Record<string, string> = {
    'config.yaml': 'a: ${secret.TOKEN}\nescaped: $${secret.TOKEN}\n',
    'config.json': '{"t": "Bearer ${secret.TOKEN}", "n": 1}\n',
    'plain.json': '{"plain": "${HOME}"}\n',
    'bad.yaml': 'ok: 1\nb: ${secret.NOPE}\n',
    'app.mjs': [
      'import yaml from \'./config.yaml\'',
      'import json from \'./config.json\' with { type: \'json\' }',
      'import plain from \'./plain.json\' with { type: \'json\' }',
      'import { createRequire } from \'node:module\'',
      'const cjs = createRequire(import.meta.url)(\'./config.json\')',
      'console.log(JSON.stringify({ yaml, json, plain, cjs }))',
    ].join('\n'),
    'app.cjs': 'console.log(JSON.stringify(require(\'./config.json\')))\n',
    'UPPER.YML': 'u: ${secret.TOKEN}\n',
    'plain.yaml': 'p: 1\nlist: [a, b]\n',
    'multi.yaml': 'a: 1\n---\nb: ${secret.TOKEN}\n',
    'yaml.cjs': 'console.log(JSON.stringify({ yaml: require(\'./config.yaml\'), upper: require(\'./UPPER.YML\'), plain: require(\'./plain.yaml\'), multi: require(\'./multi.yaml\') }))\n',
    'yaml-require.mjs': 'import { createRequire } from \'node:module\'\nconsole.log(JSON.stringify(createRequire(import.meta.url)(\'./config.yaml\')))\n',
    'bad.cjs': 'const b = require(\'./bad.yaml\')\nconsole.log(\'THE APP RAN\', b)\n',
    'bad.mjs': 'import b from \'./bad.yaml\'\nconsole.log(\'THE APP RAN\', b)\n',
  }
  for (const [name, text] of Object.entries(files)) await writeFile(join(DIR, name), text)
})

function node(script: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', 'unplugin-secrets/register', script], { cwd: DIR, env: { PATH: process.env.PATH!, UNPLUGIN_SECRETS_KEY_DIR: join(DIR, 'no-keys'), ...env }, encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('node --import unplugin-secrets/register', () => {
  it('expands YAML imports, JSON imported with the attribute, and require() of JSON', () => {
    const result = node('app.mjs', { UNPLUGIN_SECRETS_KEY: key })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({
      yaml: { a: TOKEN, escaped: '${secret.TOKEN}' },
      json: { t: `Bearer ${TOKEN}`, n: 1 },
      plain: { plain: '${HOME}' },
      cjs: { t: `Bearer ${TOKEN}`, n: 1 },
    })
    expect(JSON.parse(node('app.cjs', { UNPLUGIN_SECRETS_KEY: key }).stdout)).toEqual({ t: `Bearer ${TOKEN}`, n: 1 })
  })

  it('require() of YAML from CommonJS (and createRequire in ESM) gives the data, references expanded; any case', () => {
    const result = node('yaml.cjs', { UNPLUGIN_SECRETS_KEY: key })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({
      yaml: { a: TOKEN, escaped: '${secret.TOKEN}' },
      upper: { u: TOKEN },
      plain: { p: 1, list: ['a', 'b'] },
      multi: [{ a: 1 }, { b: TOKEN }],
    })
    expect(JSON.parse(node('yaml-require.mjs', { UNPLUGIN_SECRETS_KEY: key }).stdout)).toEqual({ a: TOKEN, escaped: '${secret.TOKEN}' })
  })

  it('require() of YAML: a missing secret or key stops the process with the config named, no raw SyntaxError, no value', () => {
    const missing = node('bad.cjs', { UNPLUGIN_SECRETS_KEY: key })
    expect(missing.code).toBe(1)
    expect(missing.stdout).toBe('')
    expect(missing.stderr).toMatch(/bad\.yaml:2:4: secret NOPE is not in secrets\.enc\.json\. Add it with: unplugin-secrets set NOPE/)
    const noKey = node('yaml.cjs')
    expect(noKey.code).toBe(1)
    expect(noKey.stderr).toMatch(/SecretsError: .*config\.yaml: cannot expand its secrets: No store key for /)
    for (const output of [missing.stderr, noKey.stderr]) {
      expect(output).not.toContain('SyntaxError')
      expect(output).not.toContain('register"-')
    }
  })

  it('a missing secret or key stops the process before the app runs, with file:line:col and no value', () => {
    const missing = node('bad.mjs', { UNPLUGIN_SECRETS_KEY: key })
    expect(missing.code).toBe(1)
    expect(missing.stdout).not.toContain('THE APP RAN')
    expect(missing.stderr).toMatch(/bad\.yaml:2:4: secret NOPE is not in secrets\.enc\.json\. Add it with: unplugin-secrets set NOPE/)
    const noKey = node('app.mjs')
    expect(noKey.code).toBe(1)
    expect(noKey.stdout).toBe('')
    expect(noKey.stderr).toMatch(/config\.yaml: cannot expand its secrets: No store key for /)
    for (const output of [missing.stderr, noKey.stderr]) expect(output).not.toContain('register"-')
  })
})

describe('node --import unplugin-secrets/register with UNPLUGIN_SECRETS_ENV', () => {
  const PRODUCTION_TOKEN = 'production-register-token-5'
  let productionKey: string

  beforeAll(async () => {
    const { store, storeKey } = await createStore({ path: join(DIR, 'secrets.production.enc.json'), admin: 'carol' })
    await store.set('TOKEN', PRODUCTION_TOKEN)
    productionKey = storeKey
  })

  it('reads the environment\'s store for YAML, JSON and require() of JSON', () => {
    const result = node('app.mjs', { UNPLUGIN_SECRETS_ENV: 'production', UNPLUGIN_SECRETS_KEY: productionKey })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toMatchObject({ yaml: { a: PRODUCTION_TOKEN }, json: { t: `Bearer ${PRODUCTION_TOKEN}` }, cjs: { t: `Bearer ${PRODUCTION_TOKEN}` } })
    expect(JSON.parse(node('app.cjs', { UNPLUGIN_SECRETS_ENV: 'production', UNPLUGIN_SECRETS_KEY: productionKey }).stdout)).toEqual({ t: `Bearer ${PRODUCTION_TOKEN}`, n: 1 })
  })

  it('a failure names the environment before the app runs; no fallback to the default store', () => {
    const noKey = node('app.mjs', { UNPLUGIN_SECRETS_ENV: 'production', UNPLUGIN_SECRETS_KEY: key })
    expect(noKey.code).toBe(1)
    expect(noKey.stdout).toBe('')
    expect(noKey.stderr).toMatch(/config\.yaml: cannot expand its secrets \(environment production\): The store key in UNPLUGIN_SECRETS_KEY does not open .*secrets\.production\.enc\.json.*an admin \(carol\)/)
    const cjs = node('app.cjs', { UNPLUGIN_SECRETS_ENV: 'production' })
    expect(cjs.code).toBe(1)
    expect(cjs.stderr).toMatch(/environment production: No store key for .*secrets\.production\.enc\.json .*Its admins can give you access: carol\./)
    const bad = node('app.mjs', { UNPLUGIN_SECRETS_ENV: 'prod/../x', UNPLUGIN_SECRETS_KEY: key })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('UNPLUGIN_SECRETS_ENV must be an environment name')
    for (const output of [noKey, cjs, bad].map(r => r.stdout + r.stderr)) {
      for (const value of [TOKEN, PRODUCTION_TOKEN]) expect(output).not.toContain(value)
    }
  })
})
