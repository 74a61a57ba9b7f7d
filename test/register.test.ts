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
      "import yaml from './config.yaml'",
      "import json from './config.json' with { type: 'json' }",
      "import plain from './plain.json' with { type: 'json' }",
      "import { createRequire } from 'node:module'",
      "const cjs = createRequire(import.meta.url)('./config.json')",
      'console.log(JSON.stringify({ yaml, json, plain, cjs }))',
    ].join('\n'),
    'app.cjs': "console.log(JSON.stringify(require('./config.json')))\n",
    'bad.mjs': "import b from './bad.yaml'\nconsole.log('THE APP RAN', b)\n",
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
    for (const output of [noKey, cjs, bad].map(r => r.stdout + r.stderr)) for (const value of [TOKEN, PRODUCTION_TOKEN]) expect(output).not.toContain(value)
  })
})
