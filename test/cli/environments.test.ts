/**
 * `--env NAME` and UNPLUGIN_SECRETS_ENV through the real CLI: every command
 * that takes a store goes to that environment's file, `init --env` creates
 * one, `list` / `check --env all` cover every store found, and the ways to
 * ask for two stores at once or a bad name are usage errors.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RunResult } from '../helpers'
import { runCli, tempDir } from '../helpers'

const TMP = await tempDir('usec-cli-env-')
const VALUES = { default: 'default-value-a1c3', production: 'production-value-7f0e', onlyProduction: 'only-production-b-4d2c' }

/** A project with secrets.enc.json (admin alice) and secrets.production.enc.json (admin carol), both keys on this machine. */
let dir: string
let env: Record<string, string>
const run = (args: string[], options: { input?: string, env?: Record<string, string>, cwd?: string } = {}): Promise<RunResult> =>
  runCli(args, { cwd: options.cwd ?? dir, env: { ...env, ...options.env }, input: options.input })

async function ok(args: string[], options: { input?: string, env?: Record<string, string>, cwd?: string } = {}): Promise<RunResult> {
  const result = await run(args, options)
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0)
  return result
}

function usage(result: RunResult, message: string | RegExp): void {
  expect(result.code, result.stderr).toBe(2)
  expect(result.stdout).toBe('')
  if (typeof message === 'string') expect(result.stderr).toContain(message)
  else expect(result.stderr).toMatch(message)
}

const storeId = async (file: string) => (JSON.parse(await readFile(join(dir, file), 'utf8')) as { id: string }).id

beforeAll(async () => {
  dir = await mkdtemp(join(TMP, 'project-'))
  env = { HOME: dir, XDG_CONFIG_HOME: join(dir, '.config') }
  await ok(['init', '--admin', 'alice'])
  const created = await ok(['init', '--env', 'production', '--admin', 'carol'])
  expect(created.stderr).toMatch(/^Created secrets\.production\.enc\.json \(environment production, store id [0-9a-f]{32}\) with admin carol\./)
  expect(created.stderr).toContain('unplugin-secrets set GRAFANA_API_KEY --env production')
  await ok(['set', 'A'], { input: VALUES.default })
  await ok(['set', 'A', '--env', 'production'], { input: VALUES.production })
  await ok(['--env', 'production', 'set', 'B'], { input: VALUES.onlyProduction })
  await mkdir(join(dir, 'config'))
  await writeFile(join(dir, 'config/app.yaml'), 'a: ${secret.A}\nb: ${secret.B}\n')
})

describe('--env NAME on every command that takes a store', () => {
  /** Each command with --env production, and what shows it worked on the production store (and not the default one). */
  const cases: [string[], (result: RunResult) => void | Promise<void>, string?][] = [
    [['get', 'A'], result => expect(result.stdout).toBe(`${VALUES.production}\n`)],
    [['list'], result => expect(result.stdout).toMatch(/^B +1 .* carol/m)],
    [['set', 'C'], result => expect(result.stderr).toBe('Created C (version 1).\n'), 'temporary'],
    [['rm', 'C'], result => expect(result.stderr).toBe('Deleted C.\n')],
    [['admins', 'list'], result => expect(result.stdout).toMatch(/^carol \(you\) /m)],
    [['verify'], result => expect(result.stdout).toContain(`${join(dir, 'secrets.production.enc.json')} (store id`)],
    [['log'], result => expect(result.stdout).toMatch(/ carol +create +B$/m)],
    [['key', 'path'], async result => expect(result.stdout).toBe(`${join(dir, '.config/unplugin-secrets/keys', `${await storeId('secrets.production.enc.json')}.json`)}\n`)],
    [['key', 'export'], async result => expect(result.stdout).toBe((await ok(['key', 'export', '--store', 'secrets.production.enc.json'])).stdout)],
    [['render', 'config/app.yaml'], result => expect(result.stdout).toBe(`a: "${VALUES.production}"\nb: "${VALUES.onlyProduction}"\n`)],
    [['check'], result => expect(result.stdout).toContain('config/app.yaml:2:4  B  ok')],
    [['readers', 'list'], result => expect(result.stderr).toContain('No readers')],
    [['accept-rollback'], result => expect(result.stderr + result.stdout).toContain(join(dir, 'secrets.production.enc.json'))],
    [['rotate'], result => expect(result.stderr).toContain(`Rotated ${join(dir, 'secrets.production.enc.json')}`)],
  ]

  it.each(cases)('%j --env production works on secrets.production.enc.json', async (args, expectation, input) => {
    await expectation(await ok([...args, '--env', 'production'], input ? { input } : {}))
  })

  it.each(cases.map(([args, , input]) => [args, input] as const))('%j --env staging (no such store) names that file and how to create it', async (args, input) => {
    const result = await run([...args, '--env', 'staging'], input ? { input } : {})
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain(`No store at ${join(dir, 'secrets.staging.enc.json')} (environment staging). Create one with unplugin-secrets init --env staging`)
  })

  it('the default store is untouched by all of that', async () => {
    expect((await ok(['get', 'A'])).stdout).toBe(`${VALUES.default}\n`)
    expect((await run(['get', 'B'])).code).toBe(1)
  })

  it('--env before the command, and from a subfolder (the nearest secrets.production.enc.json)', async () => {
    await mkdir(join(dir, 'deep/er'), { recursive: true })
    expect((await ok(['--env', 'production', 'get', 'A'], { cwd: join(dir, 'deep/er') })).stdout).toBe(`${VALUES.production}\n`)
    expect((await ok(['--env=production', 'get', 'A'])).stdout).toBe(`${VALUES.production}\n`)
  })

  it('init --env creates one store per environment, each with its own id, and never over an existing one', async () => {
    const created = await ok(['init', '--env', 'dev-2', '--admin', 'dave'])
    expect(created.stderr).toContain('Created secrets.dev-2.enc.json (environment dev-2, store id')
    const ids = await Promise.all(['secrets.enc.json', 'secrets.production.enc.json', 'secrets.dev-2.enc.json'].map(storeId))
    expect(new Set(ids).size).toBe(3)
    const again = await run(['init', '--env', 'production', '--admin', 'carol'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`A store already exists at ${join(dir, 'secrets.production.enc.json')}`)
    expect((await ok(['init', '--env', 'default', '--admin', 'x'], { cwd: await mkdtemp(join(TMP, 'fresh-')) })).stderr).toMatch(/^Created secrets\.enc\.json \(store id/)
  })
})

describe('UNPLUGIN_SECRETS_ENV, and what beats what', () => {
  it('UNPLUGIN_SECRETS_ENV picks the environment like --env', async () => {
    expect((await ok(['get', 'A'], { env: { UNPLUGIN_SECRETS_ENV: 'production' } })).stdout).toBe(`${VALUES.production}\n`)
  })

  it('the command line beats the variables: --env over UNPLUGIN_SECRETS_STORE, --store over UNPLUGIN_SECRETS_ENV', async () => {
    expect((await ok(['get', 'A', '--env', 'production'], { env: { UNPLUGIN_SECRETS_STORE: 'secrets.enc.json' } })).stdout).toBe(`${VALUES.production}\n`)
    expect((await ok(['get', 'A', '--store', 'secrets.enc.json'], { env: { UNPLUGIN_SECRETS_ENV: 'production' } })).stdout).toBe(`${VALUES.default}\n`)
  })

  it('a path and an environment from the same place are refused', async () => {
    usage(await run(['get', 'A', '--store', 'secrets.enc.json', '--env', 'production']), 'error: --store and --env both choose the store: give one. --store names a file; --env NAME means secrets.NAME.enc.json (the nearest).')
    usage(await run(['--store', 'secrets.enc.json', 'get', 'A', '--env', 'production']), '--store and --env both choose the store')
    usage(await run(['get', 'A'], { env: { UNPLUGIN_SECRETS_STORE: 'secrets.enc.json', UNPLUGIN_SECRETS_ENV: 'production' } }), 'error: UNPLUGIN_SECRETS_STORE and UNPLUGIN_SECRETS_ENV both choose the store: give one. UNPLUGIN_SECRETS_STORE names a file; UNPLUGIN_SECRETS_ENV=NAME means secrets.NAME.enc.json (the nearest).')
  })

  const RULE = 'must be an environment name, 1 to 32 characters: a lower-case letter, then lower-case letters, digits or - ([a-z][a-z0-9-]*), for example production (default is secrets.enc.json); got '
  it.each([
    [['--env', 'Production'], `error: --env ${RULE}"Production".`],
    [['--env', '../production'], `error: --env ${RULE}"../production".`],
    [['--env', 'prod.enc'], `error: --env ${RULE}"prod.enc".`],
    [['--env', '9lives'], `error: --env ${RULE}"9lives".`],
    [['--env', 'x'.repeat(33)], `error: --env ${RULE}"${'x'.repeat(33)}".`],
    [['--env='], 'error: --env needs an environment name.'],
  ])('a bad environment name is a usage error: %j', async (flag, message) => {
    usage(await run(['get', 'A', ...flag]), message)
  })

  it('a bad UNPLUGIN_SECRETS_ENV is a usage error naming the variable', async () => {
    usage(await run(['list'], { env: { UNPLUGIN_SECRETS_ENV: 'Staging' } }), `error: UNPLUGIN_SECRETS_ENV ${RULE}"Staging".`)
  })

  it('--env all is for list and check only', async () => {
    usage(await run(['get', 'A', '--env', 'all']), 'error: get works on one store; --env all is for list and check. Name one environment, for example --env production.')
    usage(await run(['rotate'], { env: { UNPLUGIN_SECRETS_ENV: 'all' } }), 'error: rotate works on one store; UNPLUGIN_SECRETS_ENV=all is for list and check.')
  })
})

describe('--env all', () => {
  it('list --env all: every store found, with an ENVIRONMENT column; --json per store', async () => {
    const result = await ok(['list', '--env', 'all'])
    expect(result.stdout).toMatch(/^ENVIRONMENT +NAME +VERSION +UPDATED +BY +DESCRIPTION\ndefault +A +1 .* alice\n/)
    expect(result.stdout).toMatch(/^production +A +1 .* carol *$/m)
    expect(result.stdout).toMatch(/^production +B +1 .* carol *$/m)
    const json = JSON.parse((await ok(['list', '--env', 'all', '--json'])).stdout) as { environment: string, path: string, secrets: { name: string }[] }[]
    expect(json.map(store => [store.environment, store.path, store.secrets.map(secret => secret.name)])).toEqual([
      ['default', join(dir, 'secrets.enc.json'), ['A']],
      ['dev-2', join(dir, 'secrets.dev-2.enc.json'), []],
      ['production', join(dir, 'secrets.production.enc.json'), ['A', 'B']],
    ])
    for (const value of Object.values(VALUES)) expect(result.stdout + result.stderr).not.toContain(value)
  })

  it('list --env all without one environment\'s key lists the others and exits 1 naming it and its admins', async () => {
    const elsewhere = { XDG_CONFIG_HOME: join(dir, '.other-machine') }
    await ok(['key', 'import'], { env: elsewhere, input: (await ok(['key', 'export'])).stdout })
    const result = await run(['list', '--env', 'all'], { env: elsewhere })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^default +A +1 /m)
    expect(result.stdout).not.toMatch(/^production/m)
    expect(result.stderr).toContain(`production: not listed: No store key for ${join(dir, 'secrets.production.enc.json')}`)
    expect(result.stderr).toContain('Its admins can give you access: carol.')
    expect(result.stderr).toContain('unplugin-secrets key import --env production')
  })

  it('check --env all: a table of each referenced name against each environment, exit 1 when one lacks it; no key needed', async () => {
    const noKeys = { XDG_CONFIG_HOME: join(dir, '.no-keys') }
    const result = await run(['check', '--env', 'all'], { env: noKeys })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stdout).toBe([
      'NAME  default  dev-2    production',
      'A     ok       MISSING  ok',
      'B     MISSING  MISSING  ok',
      '2 names referenced in 1 file, 3 environments; missing: A in dev-2, B in default, B in dev-2.',
      '',
    ].join('\n'))
    for (const value of Object.values(VALUES)) expect(result.stdout + result.stderr).not.toContain(value)
  })

  it('check --env all: all present everywhere is exit 0; a malformed reference is still a problem', async () => {
    const folder = await mkdtemp(join(TMP, 'complete-'))
    const here = { ...env, XDG_CONFIG_HOME: join(folder, '.config') }
    for (const environment of ['default', 'production']) {
      await ok(['init', '--env', environment, '--admin', 'alice'], { cwd: folder, env: here })
      await ok(['set', 'A', '--env', environment], { cwd: folder, env: here, input: 'x' })
    }
    await writeFile(join(folder, 'app.yaml'), 'a: ${secret.A}\n')
    const complete = await ok(['check', '--env', 'all'], { cwd: folder, env: here })
    expect(complete.stdout).toBe('NAME  default  production\nA     ok       ok\n1 name referenced in 1 file, 2 environments; all present everywhere.\n')
    await writeFile(join(folder, 'bad.yaml'), 'b: ${secret.B-C}\n')
    const bad = await run(['check', '--env', 'all'], { cwd: folder, env: here })
    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(/^bad\.yaml:1:4: Invalid secret name .* {2}ERROR\n/)
    expect(bad.stdout).toMatch(/; 1 file not checked\.\n$/)
  })

  it('--env all with no store anywhere is STORE_NOT_FOUND', async () => {
    const empty = await mkdtemp(join(TMP, 'empty-'))
    const result = await run(['list', '--env', 'all'], { cwd: empty })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('No store in this folder or a parent (secrets.enc.json or secrets.NAME.enc.json). Create one with unplugin-secrets init.')
  })
})
