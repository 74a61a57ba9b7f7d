/**
 * The `unplugin-secrets` CLI through real child processes (dist/cli.mjs, built
 * by tsdown) against real temp folders. Every "person" gets their own config
 * folder through XDG_CONFIG_HOME, so nothing touches the real home.
 */
import { randomBytes } from 'node:crypto'
import { copyFile, mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RunResult } from '../helpers'
import { ROOT, runCli, tempDir } from '../helpers'

const TMP = await tempDir('usec-cli-')
const VERSION = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const COMMANDS = ['init', 'set', 'get', 'list', 'rm', 'rotate', 'admins', 'verify', 'log', 'key', 'render', 'check', 'identity', 'accept-rollback', 'readers', 'merge', 'git', 'show']
const NAME_RULE = '[A-Za-z_][A-Za-z0-9_]*'

/** One person on one machine: a project folder and a config folder of their own. */
interface Person {
  dir: string
  config: string
  env: Record<string, string>
}

async function person(prefix = 'p-', dir?: string): Promise<Person> {
  const home = await mkdtemp(join(TMP, prefix))
  const config = join(home, '.config')
  return { dir: dir ?? home, config, env: { HOME: home, XDG_CONFIG_HOME: config } }
}

interface RunOptions { input?: string | Buffer, env?: Record<string, string>, cwd?: string }
const run = (who: Person, args: string[], options: RunOptions = {}): Promise<RunResult> =>
  runCli(args, { cwd: options.cwd ?? who.dir, env: { ...who.env, ...options.env }, input: options.input })

/** A person with a fresh store `secrets.enc.json` in their project folder, where they are admin `alice`. */
async function project(prefix = 'proj-'): Promise<Person & { store: string }> {
  const who = await person(prefix)
  const result = await run(who, ['init', '--admin', 'alice'])
  expect(result, result.stderr).toMatchObject({ code: 0 })
  return { ...who, store: join(who.dir, 'secrets.enc.json') }
}

async function setSecret(who: Person, name: string, value: string, extra: string[] = []): Promise<void> {
  const result = await run(who, ['set', name, ...extra], { input: value })
  expect(result.code, result.stderr).toBe(0)
}

async function exportKey(who: Person): Promise<string> {
  const result = await run(who, ['key', 'export'])
  expect(result.code, result.stderr).toBe(0)
  return result.stdout.trim()
}

const storeId = async (path: string): Promise<string> => (JSON.parse(await readFile(path, 'utf8')) as { id: string }).id
const keyFileOf = async (who: Person, store: string): Promise<string> => join(who.config, 'unplugin-secrets', 'keys', `${await storeId(store)}.json`)

/** A failure: the exit code, one `error: …` line on stderr with `fragment`, no stack, nothing on stdout. */
function expectFailure(result: RunResult, code: 1 | 2, fragment: string | RegExp): void {
  expect(result.code, result.stderr).toBe(code)
  expect(result.stdout).toBe('')
  expect(result.stderr).toMatch(/^error: [^\n]+\n$/)
  expect(result.stderr).not.toMatch(/^\s+at /m)
  if (typeof fragment === 'string') expect(result.stderr).toContain(fragment)
  else expect(result.stderr).toMatch(fragment)
}

/**
 * Whether `value` appears in `text` as plain text, hex, or base64/base64url
 * at any byte alignment (so a value embedded in a longer encoded blob counts).
 */
function containsValue(text: string, value: string): boolean {
  const bytes = Buffer.from(value, 'utf8')
  if (text.includes(value)) return true
  const lower = text.toLowerCase()
  if (lower.includes(bytes.toString('hex'))) return true
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64')
    // only the characters that depend on the value's bytes alone
    const core = encoded.slice(shift ? 4 : 0, 4 * Math.floor((shift + bytes.length) / 3))
    if (core.length < 8) continue
    if (text.includes(core) || text.includes(core.replace(/\+/g, '-').replace(/\//g, '_'))) return true
  }
  return false
}

describe('containsValue (the leak detector itself)', () => {
  it('finds a value in plain text, hex and base64 at every alignment', () => {
    const value = 'distinctive-Value-1234567890'
    expect(containsValue(`x ${value} y`, value)).toBe(true)
    expect(containsValue(Buffer.from(value).toString('hex').toUpperCase(), value)).toBe(true)
    for (let pad = 0; pad < 3; pad++) {
      const blob = Buffer.concat([randomBytes(pad + 5), Buffer.from(value), randomBytes(4)])
      expect(containsValue(blob.toString('base64'), value)).toBe(true)
      expect(containsValue(blob.toString('base64url'), value)).toBe(true)
    }
    expect(containsValue(randomBytes(200).toString('base64'), value)).toBe(false)
  })
})

describe.concurrent('init', () => {
  it('creates missing parent folders and a 0600 key file in the config folder', async () => {
    const who = await person()
    const result = await run(who, ['init', '--admin', 'alice', '--store', 'a/b/secrets.enc.json'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('Created a/b/secrets.enc.json')
    expect(result.stderr).toContain('with admin alice')

    const store = join(who.dir, 'a/b/secrets.enc.json')
    const file = JSON.parse(await readFile(store, 'utf8')) as { format: string, id: string, admins: Record<string, unknown>, secrets: object }
    expect(file.format).toBe('unplugin-secrets/v2')
    expect(Object.keys(file.admins)).toEqual(['alice'])
    expect(file.secrets).toEqual({})

    const keyFile = join(who.config, 'unplugin-secrets', 'keys', `${file.id}.json`)
    expect(result.stderr).toContain(keyFile)
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    expect((await stat(join(who.config, 'unplugin-secrets', 'keys'))).mode & 0o077).toBe(0)
    const keys = JSON.parse(await readFile(keyFile, 'utf8')) as { storeKeys: string[], adminKey: string }
    expect(keys.storeKeys).toHaveLength(1)
    expect(keys.storeKeys[0]).toMatch(/^usec_store_/)
    expect(keys.adminKey).toMatch(/^usec_admin_/)

    const path = await run(who, ['key', 'path', '--store', 'a/b/secrets.enc.json'])
    expect(path).toMatchObject({ code: 0, stdout: `${keyFile}\n` })
  })

  it('refuses an existing store with exit 1 and leaves it byte-identical', async () => {
    const who = await project()
    const before = await readFile(who.store)
    const keysBefore = await readdir(join(who.config, 'unplugin-secrets', 'keys'))
    const again = await run(who, ['init', '--admin', 'mallory'])
    expectFailure(again, 1, 'already exists')
    expect(again.stderr).toContain('left unchanged')
    expect(await readFile(who.store)).toEqual(before)
    expect(await readdir(join(who.config, 'unplugin-secrets', 'keys'))).toEqual(keysBefore)
  })

  it('saves keys under UNPLUGIN_SECRETS_KEY_DIR when it is set', async () => {
    const who = await person()
    const keyDir = join(who.dir, 'custom-keys')
    const result = await run(who, ['init', '--admin', 'alice'], { env: { UNPLUGIN_SECRETS_KEY_DIR: keyDir } })
    expect(result.code, result.stderr).toBe(0)
    const id = await storeId(join(who.dir, 'secrets.enc.json'))
    // the key file, and the rollback memory beside it
    expect((await readdir(keyDir)).sort()).toEqual([`${id}.json`, 'history'])
    expect((await stat(join(keyDir, `${id}.json`))).mode & 0o777).toBe(0o600)
    await expect(stat(join(who.config, 'unplugin-secrets'))).rejects.toThrow(/ENOENT/)
  })

  it('rejects an invalid admin name with the naming rule, writing nothing', async () => {
    const who = await person()
    const result = await run(who, ['init', '--admin', 'has space'])
    expectFailure(result, 1, 'Invalid admin name')
    expect(result.stderr).toContain('1 to 64 characters')
    expect(await readdir(who.dir)).toEqual([])
  })

  it.skipIf(!/^[A-Za-z0-9][\w.@+-]{0,63}$/.test(userInfo().username))('defaults the admin name to the user name', async () => {
    const who = await person()
    const result = await run(who, ['init'])
    expect(result.code, result.stderr).toBe(0)
    const admins = await run(who, ['admins', 'list'])
    expect(admins.stdout).toContain(`${userInfo().username} (you)`)
  })
})

describe.concurrent('set and get', () => {
  let alice: Awaited<ReturnType<typeof project>>
  beforeAll(async () => {
    alice = await project('setget-')
  })

  const get = (name: string, extra: string[] = []) => run(alice, ['get', name, ...extra])

  it.each([
    ['one LF dropped', 'v\n', 'v'],
    ['one CRLF dropped', 'v\r\n', 'v'],
    ['only one of two LFs dropped', 'v\n\n', 'v\n'],
    ['empty input is an empty value', '', ''],
    ['no newline kept as is', 'v', 'v'],
    ['a lone CR is kept', 'v\r', 'v\r'],
    ['a lone LF is an empty value', '\n', ''],
    ['CRLF then LF: only the LF dropped', 'v\r\n\n', 'v\r\n'],
  ])('piped stdin: %s', async (_label, input, stored) => {
    const name = `PIPE_${randomBytes(4).toString('hex')}`
    const set = await run(alice, ['set', name], { input })
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toBe('')
    expect(set.stderr).toBe(`Created ${name} (version 1).\n`)
    expect((await get(name, ['--no-newline'])).stdout).toBe(stored)
    expect((await get(name)).stdout).toBe(`${stored}\n`)
  })

  it('--from-file is byte-exact (CRLF, trailing newlines, tabs, emoji, an inner U+FEFF)', async () => {
    const content = '-----BEGIN KEY-----\r\nline\t2 🔑 \uFEFF\n\n'
    const file = join(alice.dir, 'value.txt')
    await writeFile(file, content)
    await setSecret(alice, 'FROM_FILE', '', ['--from-file', file])
    const result = await get('FROM_FILE', ['--no-newline'])
    expect(result.code).toBe(0)
    expect(Buffer.from(result.stdout)).toEqual(await readFile(file))
  })

  // BUG (src/core/store/store.ts:219): values are decrypted with a TextDecoder
  // without ignoreBOM, so a leading U+FEFF is stored but dropped by get.
  // Remove `.fails` once fixed.
  it('a leading byte order mark survives --from-file and a pipe', async () => {
    const content = '\uFEFFbom-first\n'
    const file = join(alice.dir, 'bom.txt')
    await writeFile(file, content)
    await setSecret(alice, 'BOM_FILE', '', ['--from-file', file])
    await setSecret(alice, 'BOM_PIPE', content)
    expect(Buffer.from((await get('BOM_FILE', ['--no-newline'])).stdout)).toEqual(Buffer.from(content))
    expect(Buffer.from((await get('BOM_PIPE', ['--no-newline'])).stdout)).toEqual(Buffer.from('\uFEFFbom-first'))
  })

  it('--from-file refuses a missing file and non-UTF-8 bytes', async () => {
    expectFailure(await run(alice, ['set', 'NO_FILE', '--from-file', join(alice.dir, 'nope.txt')]), 1, 'Cannot read --from-file')
    const binary = join(alice.dir, 'binary.bin')
    await writeFile(binary, Buffer.from([0x61, 0xFF, 0xFE, 0x00]))
    expectFailure(await run(alice, ['set', 'BINARY', '--from-file', binary]), 1, 'not valid UTF-8')
    expectFailure(await get('NO_FILE'), 1, 'No secret NO_FILE')
    expectFailure(await get('BINARY'), 1, 'No secret BINARY')
  })

  it('unicode and multi-line values round-trip through a pipe', async () => {
    const value = 'héllo wörld 🔐\n日本語のテキスト\r\n\ttabbed line\nlast'
    await setSecret(alice, 'UNICODE_MULTI', `${value}\n`)
    expect((await get('UNICODE_MULTI', ['--no-newline'])).stdout).toBe(value)
    expect((await get('UNICODE_MULTI')).stdout).toBe(`${value}\n`)
  })

  it('a value of exactly 1 MiB is stored; one byte more is refused without echo', async () => {
    const max = 'm'.repeat(1024 * 1024)
    await setSecret(alice, 'ONE_MIB', `${max}\n`)
    const back = await get('ONE_MIB', ['--no-newline'])
    expect(back.stdout.length).toBe(max.length)
    expect(back.stdout === max).toBe(true)

    const tooBig = `${'Q'.repeat(1024 * 1024 - 6)}UNIQUE7`
    const result = await run(alice, ['set', 'TOO_BIG'], { input: tooBig })
    expectFailure(result, 1, '1 MiB')
    expect(result.stderr).not.toContain('QQQQQQQQ')
    expectFailure(await get('TOO_BIG'), 1, 'No secret')
  })

  it('a value given as an argument is refused (exit 2) without repeating it', async () => {
    const value = `ArgValue${randomBytes(9).toString('hex')}`
    const before = await readFile(alice.store, 'utf8')
    const result = await run(alice, ['set', 'ARG_VALUE', value], { input: 'ignored\n' })
    expectFailure(result, 2, 'never takes the value as an argument')
    expect(result.stderr).toContain('printf %s "$TOKEN" | unplugin-secrets set NAME')
    expect(result.stderr).toContain('--from-file FILE')
    expect(result.stderr).not.toContain(value)
    expectFailure(await get('ARG_VALUE'), 1, 'No secret')
    expect((await readFile(alice.store, 'utf8')).includes('"ARG_VALUE"')).toBe(false)
    expect(before.includes('"ARG_VALUE"')).toBe(false)
  })

  it.each([
    ['--value=', 'long option with ='],
    ['-p', 'short option with attached text'],
    ['--token=', 'another long option'],
  ])('an unknown option %s (%s) is refused with exit 2 and not echoed', async (prefix) => {
    const value = `OptValue${randomBytes(9).toString('hex')}`
    const result = await run(alice, ['set', 'OPT_VALUE', `${prefix}${value}`], { input: 'x' })
    expectFailure(result, 2, 'Values are never read from the command line')
    expect(result.stderr).toContain('--description, --from-file')
    expect(result.stderr).not.toContain(value)
    expectFailure(await get('OPT_VALUE'), 1, 'No secret')
  })

  it.each(['1STARTS_WITH_DIGIT', 'has-dash', 'has space', 'ÜMLAUT', 'dot.ted', ''])('invalid name %j: exit 1 with the naming rule', async (name) => {
    const result = await run(alice, ['set', name], { input: 'x' })
    expectFailure(result, 1, NAME_RULE)
    expect(result.stderr).toContain('Invalid secret name: ')
    // set never repeats its arguments: a value typed where the name goes stays off the screen
    if (name) expect(result.stderr).not.toContain(name)
    expectFailure(await run(alice, ['get', name]), 1, NAME_RULE)
  })

  it.each(['set', 'get', 'rm'])('%s: a value pasted where the name goes is not repeated (one name check for all)', async (command) => {
    const canary = `sk-live-${randomBytes(12).toString('hex')}`
    const result = await run(alice, [command, canary], { input: 'x' })
    expectFailure(result, 1, `error: Invalid secret name: character 3 ("-") is not allowed. A name is a letter or _ followed by letters, digits or _ (${NAME_RULE}), for example GRAFANA_API_KEY. (What was given is not repeated, in case it was a value.)`)
    expect(result.stderr).not.toContain(canary.slice(8))
    const digits = `4${randomBytes(12).toString('hex')}`
    const leading = await run(alice, [command, digits], { input: 'x' })
    expectFailure(leading, 1, 'Invalid secret name: it starts with a digit.')
    expect(leading.stderr).not.toContain(digits)
  })

  it('--description is listed, kept on update, and the version goes up', async () => {
    await setSecret(alice, 'DESCRIBED', 'one', ['--description', 'Grafana read-only'])
    const update = await run(alice, ['set', 'DESCRIBED'], { input: 'two' })
    expect(update.stderr).toBe('Updated DESCRIBED (version 2).\n')
    const list = JSON.parse((await run(alice, ['list', '--json'])).stdout) as Array<{ name: string, version: number, description?: string }>
    expect(list.find(s => s.name === 'DESCRIBED')).toMatchObject({ version: 2, description: 'Grafana read-only' })
    expect((await get('DESCRIBED')).stdout).toBe('two\n')
  })

  it('a description cannot forge rows in list: control characters are shown escaped', async () => {
    await setSecret(alice, 'FORGERY', 'v', ['--description', 'ok\nFAKE_ROW  9  2026-01-01T00:00:00.000Z  mallory  injected\u001B[2J'])
    const list = await run(alice, ['list'])
    const row = list.stdout.split('\n').find(line => line.startsWith('FORGERY'))!
    expect(row).toContain('ok\\nFAKE_ROW')
    expect(row).toContain('\\u001b[2J')
    expect(list.stdout).not.toMatch(/^FAKE_ROW/m)
  })

  it('get of a missing name fails with exit 1 and prints nothing on stdout', async () => {
    const result = await get('NEVER_SET')
    expectFailure(result, 1, 'No secret NEVER_SET')
    expect(result.stderr).toContain('unplugin-secrets list')
  })

  it('set without an admin key (store key from the environment only) fails with exit 1', async () => {
    const ci = await person('ci-', alice.dir)
    const keyDir = await mkdtemp(join(TMP, 'empty-keys-'))
    const env = { UNPLUGIN_SECRETS_KEY: await exportKey(alice), UNPLUGIN_SECRETS_KEY_DIR: keyDir }
    const value = `NoAdmin${randomBytes(8).toString('hex')}`
    const result = await run(ci, ['set', 'NO_ADMIN'], { input: value, env })
    expectFailure(result, 1, 'needs an admin key')
    expect(result.stderr).toContain('UNPLUGIN_SECRETS_ADMIN_KEY')
    expect(result.stderr).not.toContain(value)
    // reading with the env key works, and the secret was not created
    expectFailure(await run(ci, ['get', 'NO_ADMIN'], { env }), 1, 'No secret NO_ADMIN')
    expect(await readdir(keyDir).then(names => names.filter(name => name !== 'history'))).toEqual([]) // no key file (the rollback memory is no key)

    // with UNPLUGIN_SECRETS_ADMIN_KEY as well, the same person can change the store
    const { adminKey } = JSON.parse(await readFile(await keyFileOf(alice, alice.store), 'utf8')) as { adminKey: string }
    const adminEnv = { ...env, UNPLUGIN_SECRETS_ADMIN_KEY: adminKey }
    const ok = await run(ci, ['set', 'NO_ADMIN'], { input: 'from-ci', env: adminEnv })
    expect(ok.code, ok.stderr).toBe(0)
    expect((await run(ci, ['get', 'NO_ADMIN'], { env })).stdout).toBe('from-ci\n')
  })
})

describe.concurrent('list, rm, log, verify', () => {
  it('list shows metadata sorted by name and never values', async () => {
    const who = await project()
    const values = [`ListA${randomBytes(8).toString('hex')}`, `ListB${randomBytes(8).toString('hex')}`]
    await setSecret(who, 'ZED', values[0]!, ['--description', 'last one'])
    await setSecret(who, 'ALPHA', values[1]!)

    const text = await run(who, ['list'])
    expect(text.code).toBe(0)
    const lines = text.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+VERSION\s+UPDATED\s+BY\s+DESCRIPTION$/)
    expect(lines.slice(1).map(line => line.split(/\s+/)[0])).toEqual(['ALPHA', 'ZED'])
    expect(lines[2]).toMatch(/^ZED\s+1\s+\d{4}-\d\d-\d\dT\S+Z\s+alice\s+last one$/)

    const json = JSON.parse((await run(who, ['list', '--json'])).stdout) as Array<Record<string, unknown>>
    expect(json.map(s => s.name)).toEqual(['ALPHA', 'ZED'])
    expect(Object.keys(json[0]!).sort()).toEqual(['createdAt', 'name', 'updatedAt', 'updatedBy', 'version'])
    expect(json[1]).toMatchObject({ name: 'ZED', version: 1, updatedBy: 'alice', description: 'last one' })

    for (const value of values) {
      expect(text.stdout + text.stderr).not.toContain(value)
      expect(JSON.stringify(json)).not.toContain(value)
    }
  })

  it('list on an empty store: a hint on stderr, nothing on stdout; --json prints []', async () => {
    const who = await project()
    const text = await run(who, ['list'])
    expect(text).toMatchObject({ code: 0, stdout: '' })
    expect(text.stderr).toContain('No secrets in')
    expect(await run(who, ['list', '--json'])).toMatchObject({ code: 0, stdout: '[]\n' })
  })

  it('rm deletes a secret; a missing name fails with exit 1 and changes nothing', async () => {
    const who = await project()
    await setSecret(who, 'DOOMED', 'x')
    await setSecret(who, 'KEPT', 'y')
    const result = await run(who, ['rm', 'DOOMED'])
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: 'Deleted DOOMED.\n' })
    expectFailure(await run(who, ['get', 'DOOMED']), 1, 'No secret DOOMED')
    expect((await run(who, ['get', 'KEPT'])).stdout).toBe('y\n')

    const before = await readFile(who.store)
    const missing = await run(who, ['rm', 'DOOMED'])
    expectFailure(missing, 1, 'No secret DOOMED')
    expect(missing.stderr).toContain('nothing was changed')
    expectFailure(await run(who, ['rm', 'bad-name']), 1, NAME_RULE)
    expect(await readFile(who.store)).toEqual(before)
  })

  it('log lists the actions in order, with names and no values', async () => {
    const who = await project()
    const values = [`LogOne${randomBytes(8).toString('hex')}`, `LogTwo${randomBytes(8).toString('hex')}`]
    await setSecret(who, 'TOKEN', values[0]!)
    await setSecret(who, 'TOKEN', values[1]!)
    await setSecret(who, 'OTHER', 'z')
    expect((await run(who, ['rm', 'OTHER'])).code).toBe(0)
    expect((await run(who, ['rotate'])).code).toBe(0)

    const json = await run(who, ['log', '--json'])
    expect(json.code).toBe(0)
    const entries = JSON.parse(json.stdout) as Array<Record<string, unknown>>
    expect(entries.map(e => [e.seq, e.admin, e.action, e.name])).toEqual([
      [1, 'alice', 'init', 'alice'],
      [2, 'alice', 'create', 'TOKEN'],
      [3, 'alice', 'update', 'TOKEN'],
      [4, 'alice', 'create', 'OTHER'],
      [5, 'alice', 'delete', 'OTHER'],
      [6, 'alice', 'rotate', undefined],
    ])
    for (const entry of entries) expect(Object.keys(entry).sort()).toEqual(['action', 'admin', 'at', 'seq', ...(entry.name ? ['name'] : [])].sort())

    const text = await run(who, ['log'])
    const lines = text.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^SEQ\s+AT\s+ADMIN\s+ACTION\s+NAME$/)
    expect(lines.slice(1).map(line => line.split(/\s+/).slice(2).join(' '))).toEqual([
      'alice init alice',
      'alice create TOKEN',
      'alice update TOKEN',
      'alice create OTHER',
      'alice delete OTHER',
      'alice rotate',
    ])
    for (const value of values) expect(json.stdout + json.stderr + text.stdout + text.stderr).not.toContain(value)
  })

  it('verify: exit 0 with the revision on an intact store, exit 1 after one flipped ciphertext byte', async () => {
    const who = await project()
    await setSecret(who, 'FIRST', 'first-value')
    await setSecret(who, 'SECOND', 'second-value')

    const ok = await run(who, ['verify'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toContain(`OK ${who.store}`)
    expect(ok.stdout).toContain('revision 3, 2 secrets, admins: alice')
    expect(ok.stdout).toMatch(/last change: #3 create SECOND by alice at \d{4}-/)

    const json = JSON.parse((await run(who, ['verify', '--json'])).stdout) as Record<string, unknown>
    const file = JSON.parse(await readFile(who.store, 'utf8')) as { id: string, revision: number, keyId: string, secrets: Record<string, { value: string }> }
    expect(json).toMatchObject({ path: who.store, id: file.id, revision: file.revision, keyId: file.keyId, secrets: 2, admins: ['alice'] })
    expect(json.revision).toBe(3)
    expect(json.lastChange).toMatchObject({ seq: 3, action: 'create', name: 'SECOND', admin: 'alice' })

    // flip one byte of FIRST's ciphertext (after the 24-byte nonce), keep the base64 and JSON valid
    const text = await readFile(who.store, 'utf8')
    const ciphertext = file.secrets.FIRST!.value
    const bytes = Buffer.from(ciphertext, 'base64')
    bytes[30] = bytes[30]! ^ 0x01
    const tampered = text.replace(ciphertext, bytes.toString('base64'))
    expect(tampered).not.toBe(text)
    await writeFile(who.store, tampered)

    expectFailure(await run(who, ['verify']), 1, 'does not match the signature')
    expectFailure(await run(who, ['verify', '--json']), 1, 'changed outside unplugin-secrets')
    expectFailure(await run(who, ['get', 'SECOND']), 1, 'does not match the signature')
  })

  it('concurrent sets from separate processes are all kept', async () => {
    const who = await project()
    const names = ['C_ONE', 'C_TWO', 'C_THREE', 'C_FOUR']
    const results = await Promise.all(names.map(name => run(who, ['set', name], { input: `value of ${name}` })))
    for (const result of results) expect(result.code, result.stderr).toBe(0)
    const list = JSON.parse((await run(who, ['list', '--json'])).stdout) as Array<{ name: string }>
    expect(list.map(s => s.name).sort()).toEqual([...names].sort())
    const verify = JSON.parse((await run(who, ['verify', '--json'])).stdout) as { revision: number }
    expect(verify.revision).toBe(1 + names.length)
    for (const name of names) expect((await run(who, ['get', name])).stdout).toBe(`value of ${name}\n`)
  })
})

describe.concurrent('rotate', () => {
  it('the old key exported before rotate is retired; the newly exported key works', async () => {
    const alice = await project()
    await setSecret(alice, 'ROTATED', 'rotated-value')
    const oldKey = await exportKey(alice)
    const rotate = await run(alice, ['rotate'])
    expect(rotate.code, rotate.stderr).toBe(0)
    expect(rotate.stderr).toContain('Rotated')
    expect(rotate.stderr).toContain('the old key no longer opens the store')

    // a reader with the old key and no key file
    const ci = await person('ci-', alice.dir)
    const old = await run(ci, ['get', 'ROTATED'], { env: { UNPLUGIN_SECRETS_KEY: oldKey } })
    expectFailure(old, 1, 'was retired')
    expect(old.stderr).toContain('when alice rotated the store')
    expect(old.stderr).not.toContain(oldKey)

    const newKey = await exportKey(alice)
    expect(newKey).toMatch(/^usec_store_/)
    expect(newKey).not.toBe(oldKey)
    expect(await run(ci, ['get', 'ROTATED'], { env: { UNPLUGIN_SECRETS_KEY: newKey } })).toMatchObject({ code: 0, stdout: 'rotated-value\n' })

    // alice's key file holds the new key first, and keeps the retired one for branches that have not seen the rotation
    const keys = JSON.parse(await readFile(await keyFileOf(alice, alice.store), 'utf8')) as { storeKeys: string[] }
    expect(keys.storeKeys).toEqual([newKey, oldKey])

    // importing the retired key is refused, too
    expectFailure(await run(ci, ['key', 'import'], { input: `${oldKey}\n` }), 1, 'was retired')
  })

  it('with keys from the environment only, the new key is saved to the key file', async () => {
    const alice = await project()
    await setSecret(alice, 'CI_ROTATED', 'ci-value')
    const { adminKey } = JSON.parse(await readFile(await keyFileOf(alice, alice.store), 'utf8')) as { adminKey: string }
    const oldKey = await exportKey(alice)
    const ci = await person('ci-', alice.dir)
    const env = { UNPLUGIN_SECRETS_KEY: oldKey, UNPLUGIN_SECRETS_ADMIN_KEY: adminKey }
    const rotate = await run(ci, ['rotate'], { env })
    expect(rotate.code, rotate.stderr).toBe(0)
    // the environment still holds the retired key; the key file of this machine has the new one
    expectFailure(await run(ci, ['get', 'CI_ROTATED'], { env }), 1, 'was retired')
    expect(await run(ci, ['get', 'CI_ROTATED'])).toMatchObject({ code: 0, stdout: 'ci-value\n' })
    // alice's machine still has the old key in its key file: it no longer opens the store
    expectFailure(await run(alice, ['get', 'CI_ROTATED']), 1, 'was retired')
  })

  it('rotate needs an admin key', async () => {
    const alice = await project()
    const reader = await person('reader-', alice.dir)
    const before = await readFile(alice.store)
    expectFailure(await run(reader, ['rotate'], { env: { UNPLUGIN_SECRETS_KEY: await exportKey(alice) } }), 1, 'needs an admin key')
    expect(await readFile(alice.store)).toEqual(before)
  })
})

describe('admins: two people on two machines', () => {
  it('bob imports the store key, makes an admin key, is added, can set, is removed, cannot set', async () => {
    const alice = await project('alice-')
    const bob = await person('bob-', alice.dir) // same checkout, his own config folder
    await setSecret(alice, 'SHARED', 'shared-value')

    // bob cannot read before he has the key
    expectFailure(await run(bob, ['list']), 1, 'No store key')

    const imported = await run(bob, ['key', 'import'], { input: `${await exportKey(alice)}\n` })
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stderr).toContain('Saved the store key')
    expect((await run(bob, ['get', 'SHARED'])).stdout).toBe('shared-value\n')

    // a reader is not an admin
    expectFailure(await run(bob, ['set', 'BOB_SECRET'], { input: 'x' }), 1, 'needs an admin key')

    const keygen = await run(bob, ['admins', 'keygen'])
    expect(keygen.code, keygen.stderr).toBe(0)
    const publicKey = keygen.stdout.trim()
    expect(publicKey).toMatch(/^usec_pub_[\w-]+$/)
    expect(keygen.stdout).toBe(`${publicKey}\n`)
    expect(keygen.stderr).toContain(`admins add <your-name> --public-key ${publicKey}`)
    const bobKeys = JSON.parse(await readFile(await keyFileOf(bob, alice.store), 'utf8')) as { storeKeys: string[], adminKey: string }
    expect(bobKeys.adminKey).toMatch(/^usec_admin_/)
    expect(bobKeys.storeKeys).toHaveLength(1)
    expect(keygen.stdout + keygen.stderr).not.toContain(bobKeys.adminKey)

    // a second keygen needs --force
    expectFailure(await run(bob, ['admins', 'keygen']), 1, 'already holds an admin key')

    // not yet an admin: the message says how to get added
    const notYet = await run(bob, ['set', 'BOB_SECRET'], { input: 'x' })
    expectFailure(notYet, 1, 'is not an admin of')
    expect(notYet.stderr).toContain(`admins add <your-name> --public-key ${publicKey}`)

    const add = await run(alice, ['admins', 'add', 'bob', '--public-key', publicKey])
    expect(add.code, add.stderr).toBe(0)
    expect(add.stderr).toContain('Added admin bob')

    const list = await run(bob, ['admins', 'list'])
    expect(list.stdout).toMatch(/^alice\s+\S+\s+alice\s+usec_pub_/m)
    expect(list.stdout).toMatch(new RegExp(`^bob \\(you\\)\\s+\\S+\\s+alice\\s+${publicKey}$`, 'm'))
    expect((await run(alice, ['admins', 'list'])).stdout).toMatch(/^alice \(you\)/m)

    const bobSet = await run(bob, ['set', 'BOB_SECRET'], { input: 'from-bob' })
    expect(bobSet.code, bobSet.stderr).toBe(0)
    expect((await run(alice, ['get', 'BOB_SECRET'])).stdout).toBe('from-bob\n')
    const log = JSON.parse((await run(alice, ['log', '--json'])).stdout) as Array<{ admin: string, action: string, name?: string }>
    expect(log.at(-1)).toMatchObject({ admin: 'bob', action: 'create', name: 'BOB_SECRET' })

    // adding twice, a bad key, a missing --public-key
    expectFailure(await run(alice, ['admins', 'add', 'bob', '--public-key', publicKey]), 1, 'already an admin')
    expectFailure(await run(alice, ['admins', 'add', 'carol', '--public-key', publicKey]), 1, 'already belongs to admin bob')
    expectFailure(await run(alice, ['admins', 'add', 'carol', '--public-key', 'usec_pub_nonsense']), 1, 'wrong length')
    expectFailure(await run(alice, ['admins', 'add', 'carol']), 2, 'needs --public-key')

    const remove = await run(alice, ['admins', 'remove', 'bob'])
    expect(remove.code, remove.stderr).toBe(0)
    expect(remove.stderr).toContain('run unplugin-secrets rotate')
    const before = await readFile(alice.store)
    expectFailure(await run(bob, ['set', 'BOB_SECRET'], { input: 'after-removal' }), 1, 'is not an admin of')
    expect(await readFile(alice.store)).toEqual(before)
    expect((await run(alice, ['get', 'BOB_SECRET'])).stdout).toBe('from-bob\n')

    // the last admin cannot be removed; an unknown one is reported
    expectFailure(await run(alice, ['admins', 'remove', 'alice']), 1, 'only admin')
    expectFailure(await run(alice, ['admins', 'remove', 'carol']), 1, 'is not an admin')
    expect(await readFile(alice.store)).toEqual(before)
    expect((await run(alice, ['admins', 'list'])).stdout.trimEnd().split('\n')).toHaveLength(2)
  })
})

describe.concurrent('admins: usage errors', () => {
  let alice: Awaited<ReturnType<typeof project>>
  beforeAll(async () => {
    alice = await project('admins-usage-')
  })
  it.each([
    [['admins'], 'admins needs an argument'],
    [['admins', 'promote', 'x'], 'Unknown admins command'],
    [['admins', 'list', 'extra'], 'takes no NAME'],
    [['admins', 'remove'], 'needs the admin\'s NAME'],
    [['admins', 'list', '--public-key', 'k'], '--public-key belongs to admins add'],
  ])('%j exits 2', async (args, fragment) => {
    expectFailure(await run(alice, args), 2, fragment)
  })
})

describe.concurrent('key', () => {
  let alice: Awaited<ReturnType<typeof project>>
  let otherKey: string
  beforeAll(async () => {
    alice = await project('key-')
    await setSecret(alice, 'KEYED', 'keyed-value')
    otherKey = await exportKey(await project('other-'))
  })

  it('export prints the store key alone on stdout (no warning when not a terminal)', async () => {
    const result = await run(alice, ['key', 'export'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^usec_store_[\w-]+\n$/)
    expect(result.stderr).toBe('')
    const keys = JSON.parse(await readFile(await keyFileOf(alice, alice.store), 'utf8')) as { storeKeys: string[] }
    expect(result.stdout.trim()).toBe(keys.storeKeys[0])
  })

  it('export --admin prints your admin key alone on stdout; a reader without one, or a key that is not an admin, gets an error and no key', async () => {
    const result = await run(alice, ['key', 'export', '--admin'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toBe('')
    const { adminKey } = JSON.parse(await readFile(await keyFileOf(alice, alice.store), 'utf8')) as { adminKey: string }
    expect(result.stdout).toBe(`${adminKey}\n`)
    // What it prints is what key import --admin takes on another machine.
    const laptop = await person('laptop-', alice.dir)
    expect((await run(laptop, ['key', 'import'], { input: await exportKey(alice) })).code).toBe(0)
    expect((await run(laptop, ['key', 'import', '--admin'], { input: result.stdout })).code).toBe(0)

    const reader = await person('reader-', alice.dir)
    expect((await run(reader, ['key', 'import'], { input: await exportKey(alice) })).code).toBe(0)
    const none = await run(reader, ['key', 'export', '--admin'])
    expectFailure(none, 1, /Changing .*needs an admin key/)
    expect(none.stdout).toBe('')
    const other = await project('other-')
    const { adminKey: otherAdmin } = JSON.parse(await readFile(await keyFileOf(other, other.store), 'utf8')) as { adminKey: string }
    const stranger = await run(reader, ['key', 'export', '--admin'], { env: { UNPLUGIN_SECRETS_ADMIN_KEY: otherAdmin } })
    expectFailure(stranger, 1, /is not an admin of .*admins add <your-name> --public-key usec_pub_/)
    expect(stranger.stdout + stranger.stderr).not.toContain(otherAdmin)
  })

  it('path prints where the key file is', async () => {
    const result = await run(alice, ['key', 'path'])
    expect(result).toMatchObject({ code: 0, stdout: `${await keyFileOf(alice, alice.store)}\n` })
  })

  it('import saves a key that opens the store; the reader can then get', async () => {
    const reader = await person('reader-', alice.dir)
    const result = await run(reader, ['key', 'import'], { input: `  ${await exportKey(alice)}  \r\n` })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain(`it opens ${alice.store}`)
    const keyFile = await keyFileOf(reader, alice.store)
    expect(result.stderr).toContain(keyFile)
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    expect((await run(reader, ['get', 'KEYED'])).stdout).toBe('keyed-value\n')
  })

  it('import rejects a key of another store with exit 1 and saves nothing', async () => {
    const reader = await person('reader-', alice.dir)
    const result = await run(reader, ['key', 'import'], { input: otherKey })
    expectFailure(result, 1, 'belongs to another store')
    expect(result.stderr).not.toContain(otherKey)
    await expect(stat(join(reader.config, 'unplugin-secrets'))).rejects.toThrow(/ENOENT/)
  })

  it('import rejects text that is not a key, without repeating it', async () => {
    const reader = await person('reader-', alice.dir)
    const pasted = `NotAKey${randomBytes(10).toString('hex')}`
    const result = await run(reader, ['key', 'import'], { input: pasted })
    expectFailure(result, 1, 'does not start with usec_store_')
    expect(result.stderr).not.toContain(pasted)
    const truncated = (await exportKey(alice)).slice(0, -3)
    expectFailure(await run(reader, ['key', 'import'], { input: truncated }), 1, 'Copy the whole store key again')
    await expect(stat(join(reader.config, 'unplugin-secrets'))).rejects.toThrow(/ENOENT/)
  })

  it('import --admin saves an admin key next to the store key; then set works', async () => {
    const laptop = await person('laptop-', alice.dir)
    const { adminKey } = JSON.parse(await readFile(await keyFileOf(alice, alice.store), 'utf8')) as { adminKey: string }
    expect((await run(laptop, ['key', 'import'], { input: await exportKey(alice) })).code).toBe(0)
    const result = await run(laptop, ['key', 'import', '--admin'], { input: `${adminKey}\n` })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain('Saved the admin key')
    expect(result.stdout + result.stderr).not.toContain(adminKey)
    const keys = JSON.parse(await readFile(await keyFileOf(laptop, alice.store), 'utf8')) as { storeKeys: string[], adminKey: string }
    expect(keys.adminKey).toBe(adminKey)
    expect(keys.storeKeys).toHaveLength(1)
    const set = await run(laptop, ['set', 'FROM_LAPTOP'], { input: 'laptop' })
    expect(set.code, set.stderr).toBe(0)
    expect((await run(alice, ['get', 'FROM_LAPTOP'])).stdout).toBe('laptop\n')
    // a store key is not an admin key
    expectFailure(await run(laptop, ['key', 'import', '--admin'], { input: await exportKey(alice) }), 1, 'another kind (usec_store_')
    // an admin key that is not in this store's admin list is refused, and nothing is saved
    const stranger = await person('stranger-', alice.dir)
    expect((await run(stranger, ['key', 'import'], { input: await exportKey(alice) })).code).toBe(0)
    const other = await project('other-')
    const { adminKey: otherAdmin } = JSON.parse(await readFile(await keyFileOf(other, other.store), 'utf8')) as { adminKey: string }
    expectFailure(await run(stranger, ['key', 'import', '--admin'], { input: otherAdmin }), 1, /not an admin of .*admins add <your-name> --public-key usec_pub_/)
    expect(JSON.parse(await readFile(await keyFileOf(stranger, alice.store), 'utf8'))).not.toHaveProperty('adminKey')
  })

  it.each([
    [['key'], 2, 'key needs an argument'],
    [['key', 'rotate'], 2, 'Unknown key command'],
    [['key', 'path', '--admin'], 2, '--admin belongs to key export and key import'],
    [['key', 'import', 'usec_store_pasted'], 2, 'key takes at most 1 argument'],
  ] as const)('%j exits %i', async (args, code, fragment) => {
    const result = await run(alice, [...args])
    expectFailure(result, code, fragment)
    expect(result.stderr).not.toContain('usec_store_pasted')
  })
})

describe.concurrent('global options', () => {
  let alice: Awaited<ReturnType<typeof project>>
  let nested: string
  beforeAll(async () => {
    alice = await project('global-')
    await setSecret(alice, 'TOP', 'top-value')
    const init = await run(alice, ['init', '--admin', 'alice', '--store', 'deep/store.json'])
    expect(init.code, init.stderr).toBe(0)
    await setSecret(alice, 'DEEP', 'deep-value', ['--store', 'deep/store.json'])
    nested = join(alice.dir, 'sub', 'dir')
    await mkdir(nested, { recursive: true })
  })

  it('--store is accepted before and after the command, and as --store=PATH', async () => {
    for (const args of [['--store', 'deep/store.json', 'get', 'DEEP'], ['get', 'DEEP', '--store', 'deep/store.json'], ['get', '--store=deep/store.json', 'DEEP']])
      expect(await run(alice, args), args.join(' ')).toMatchObject({ code: 0, stdout: 'deep-value\n' })
    // without it, the store in the current folder is used
    expectFailure(await run(alice, ['get', 'DEEP']), 1, 'No secret DEEP')
  })

  it('UNPLUGIN_SECRETS_STORE names the store; --store wins over it', async () => {
    const env = { UNPLUGIN_SECRETS_STORE: 'deep/store.json' }
    expect(await run(alice, ['get', 'DEEP'], { env })).toMatchObject({ code: 0, stdout: 'deep-value\n' })
    expect(await run(alice, ['get', 'TOP', '--store', 'secrets.enc.json'], { env })).toMatchObject({ code: 0, stdout: 'top-value\n' })
  })

  it('the store is found in a parent folder when running in a subfolder', async () => {
    expect(await run(alice, ['get', 'TOP'], { cwd: nested })).toMatchObject({ code: 0, stdout: 'top-value\n' })
    const verify = await run(alice, ['verify'], { cwd: nested })
    expect(verify.stdout).toContain(`OK ${alice.store}`)
  })

  it('no store anywhere: exit 1 saying where it looked and how to create one', async () => {
    const lonely = await person('lonely-')
    const result = await run(lonely, ['list'])
    expectFailure(result, 1, `No store at ${join(lonely.dir, 'secrets.enc.json')}`)
    expect(result.stderr).toContain('unplugin-secrets init')
  })

  it.each(COMMANDS)('%s --help prints usage with an example and exits 0', async (name) => {
    const result = await run(alice, [name, '--help'])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain(`Usage: unplugin-secrets ${name}`)
    expect(result.stdout).toMatch(new RegExp(`\\nExample:\\n {2}.*unplugin-secrets ${name}\\b`))
  })

  it('--help before the command, -h and `help NAME` print the same help', async () => {
    const expected = (await run(alice, ['set', '--help'])).stdout
    expect(expected).toContain('Usage: unplugin-secrets set NAME')
    for (const args of [['--help', 'set'], ['set', 'X', '-h'], ['help', 'set']])
      expect(await run(alice, args), args.join(' ')).toMatchObject({ code: 0, stdout: expected, stderr: '' })
  })

  it('--help alone lists every command and exits 0', async () => {
    const result = await run(alice, ['--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Usage: unplugin-secrets <command>')
    for (const name of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^ {2}${name}\\s`, 'm'))
    // get is not the only command that outputs values: render does too, and the help says so
    expect(result.stdout).toMatch(/^ {2}get +print one secret's value \(render also outputs values; no other command does\)$/m)
  })

  it('--version and -v print the package version', async () => {
    for (const flag of ['--version', '-v'])
      expect(await run(alice, [flag])).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: '' })
  })

  it('no command: exit 2 with the usage on stderr', async () => {
    const result = await run(alice, [])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('Usage: unplugin-secrets <command>')
  })

  it.each([
    [['bogus'], 'Unknown command "bogus"'],
    [['list', '--bogus'], 'Unknown option \'--bogus\''],
    [['get'], 'get needs an argument'],
    [['get', 'A', 'B'], 'get takes at most 1 argument'],
    [['list', 'extra'], 'list takes no arguments'],
    [['init', '--admin'], 'argument missing'],
    [['list', '--store'], 'Option \'--store <value>\' argument missing'],
    [['list', '--store='], '--store needs a path'],
    [['--store'], '--store needs a path'],
    [['--bogus', 'list'], 'Unknown option --bogus before the command'],
    [['help', 'bogus'], 'No command "bogus"'],
    [['get', 'X', '--store', '--help'], 'argument is ambiguous'],
    [['set', 'X', '--description', '--help'], 'set takes only these options'],
  ])('usage error %j: exit 2 and a pointer to --help', async (args, fragment) => {
    const result = await run(alice, args)
    expectFailure(result, 2, fragment)
    expect(result.stderr).toMatch(/See: unplugin-secrets( \w+)? --help\n$/)
  })

  it('every failure is one error line without a stack trace or colour (no TTY, NO_COLOR unset)', async () => {
    const env = { NO_COLOR: '' }
    const failures: Array<[string[], RunOptions]> = [
      [['get', 'MISSING'], {}],
      [['set', 'bad-name'], { input: 'x' }],
      [['rm', 'MISSING'], {}],
      [['list'], { env: { ...env, UNPLUGIN_SECRETS_KEY: 'usec_store_garbage' } }],
      [['list'], { env: { ...env, UNPLUGIN_SECRETS_STORE: 'nowhere/secrets.enc.json' } }],
      [['list', '--bogus'], {}],
      [['admins', 'remove', 'alice'], {}],
      [['set', 'X', '--from-file', 'missing.txt'], {}],
    ]
    for (const [args, options] of failures) {
      const result = await run(alice, args, { ...options, env: { ...env, ...options.env } })
      expect(result.code, args.join(' ')).toBeGreaterThan(0)
      expect(result.stderr, args.join(' ')).toMatch(/^error: [^\n]+\n$/)
      expect(result.stderr).not.toMatch(/^\s+at /m)
      expect(result.stdout + result.stderr).not.toContain('\u001B')
    }
    const ok = await run(alice, ['list'], { env })
    expect(ok.stdout + ok.stderr).not.toContain('\u001B')
  })
})

describe('leaks', () => {
  it('no command but get prints a value; the store file holds none in plain, base64 or hex', async () => {
    const alice = await project('leak-')
    const values: Record<string, string> = {
      LEAK_ONE: `L1-${randomBytes(18).toString('base64url')}`,
      LEAK_TWO: `L2 ${randomBytes(12).toString('hex')} ünïcødé 🔑`,
      LEAK_THREE: `-----BEGIN-----\n${randomBytes(24).toString('base64')}\n-----END-----`,
      LEAK_FOUR: `L4_${randomBytes(16).toString('hex')}`,
    }
    const outputs: RunResult[] = []
    const record = (result: RunResult) => {
      outputs.push(result)
      return result
    }
    const must = (result: RunResult, code: number) => {
      expect(record(result).code, result.stderr).toBe(code)
    }

    must(await run(alice, ['set', 'LEAK_ONE', '--description', 'the first'], { input: `${values.LEAK_ONE}\n` }), 0)
    must(await run(alice, ['set', 'LEAK_TWO'], { input: values.LEAK_TWO }), 0)
    await writeFile(join(alice.dir, 'three.pem'), values.LEAK_THREE!)
    must(await run(alice, ['set', 'LEAK_THREE', '--from-file', 'three.pem']), 0)
    must(await run(alice, ['set', 'LEAK_FOUR'], { input: `${values.LEAK_FOUR}\r\n` }), 0)
    must(await run(alice, ['set', 'LEAK_FOUR'], { input: `${values.LEAK_FOUR}\n` }), 0) // an update

    const otherKey = await exportKey(await project('leak-other-'))
    const keyDir = (name: string) => join(TMP, `leak-keys-${name}-${randomBytes(4).toString('hex')}`)
    const { adminKey } = JSON.parse(await readFile(await keyFileOf(alice, alice.store), 'utf8')) as { adminKey: string }
    const envKey = { UNPLUGIN_SECRETS_KEY: await exportKey(alice), UNPLUGIN_SECRETS_KEY_DIR: keyDir('env') }
    const tamperedCopy = join(alice.dir, 'tampered.json')
    await copyFile(alice.store, tamperedCopy)
    await writeFile(tamperedCopy, (await readFile(tamperedCopy, 'utf8')).replace('"version": 1', '"version": 7'))

    const readOnly: Array<[string[], RunOptions, number]> = [
      [['list'], {}, 0],
      [['list', '--json'], {}, 0],
      [['log'], {}, 0],
      [['log', '--json'], {}, 0],
      [['verify'], {}, 0],
      [['verify', '--json'], {}, 0],
      [['admins', 'list'], {}, 0],
      [['key', 'path'], {}, 0],
      [['key', 'export'], {}, 0],
      [['show', 'secrets.enc.json'], {}, 0],
      [['show', tamperedCopy], {}, 0],
      [['--help'], {}, 0],
      [['--version'], {}, 0],
      [[], {}, 2],
      ...COMMANDS.map(name => [[name, '--help'], {}, 0] as [string[], RunOptions, number]),
      // error paths, with the values around in stdin and arguments
      [['set', 'bad-name'], { input: values.LEAK_ONE }, 1],
      [['set', 'LEAK_ONE', values.LEAK_ONE!], { input: values.LEAK_ONE }, 2],
      [['set', 'LEAK_TWO', `--value=${values.LEAK_TWO}`], {}, 2],
      [['set', 'LEAK_FOUR', `-x${values.LEAK_FOUR}`], {}, 2],
      [['set', 'LEAK_ONE'], { input: values.LEAK_ONE, env: envKey }, 1], // no admin key
      [['get', 'MISSING'], {}, 1],
      [['rm', 'MISSING'], {}, 1],
      [['list'], { env: { UNPLUGIN_SECRETS_KEY: otherKey } }, 1], // wrong key
      [['verify'], { env: { UNPLUGIN_SECRETS_KEY: otherKey } }, 1],
      [['key', 'import'], { input: values.LEAK_FOUR, env: { UNPLUGIN_SECRETS_KEY_DIR: keyDir('k2') } }, 1],
      [['key', 'import'], { input: otherKey, env: { UNPLUGIN_SECRETS_KEY_DIR: keyDir('k3') } }, 1],
      [['verify'], { env: { UNPLUGIN_SECRETS_STORE: tamperedCopy } }, 1],
      [['list'], { env: { UNPLUGIN_SECRETS_STORE: tamperedCopy } }, 1],
      [['list'], { env: { ...envKey, UNPLUGIN_SECRETS_ADMIN_KEY: adminKey } }, 0],
    ]
    const results = await Promise.all(readOnly.map(([args, options]) => run(alice, args, options)))
    results.forEach((result, index) => {
      const [args, , code] = readOnly[index]!
      expect(record(result).code, `${args.join(' ')}: ${result.stderr}`).toBe(code)
    })

    must(await run(alice, ['rotate']), 0)
    must(await run(alice, ['verify']), 0)
    must(await run(alice, ['list']), 0)
    must(await run(alice, ['rm', 'LEAK_ONE']), 0)
    must(await run(alice, ['log']), 0)

    // the remaining values are still there (the store works), but nobody printed one
    expect((await run(alice, ['get', 'LEAK_TWO', '--no-newline'])).stdout).toBe(values.LEAK_TWO)
    expect((await run(alice, ['get', 'LEAK_THREE', '--no-newline'])).stdout).toBe(values.LEAK_THREE)
    expect((await run(alice, ['get', 'LEAK_FOUR', '--no-newline'])).stdout).toBe(values.LEAK_FOUR)
    expect(outputs.length).toBeGreaterThan(40)
    for (const [name, value] of Object.entries(values)) {
      for (const [index, { stdout, stderr }] of outputs.entries()) {
        expect(containsValue(stdout, value), `${name} in stdout of command #${index}`).toBe(false)
        expect(containsValue(stderr, value), `${name} in stderr of command #${index}`).toBe(false)
      }
    }

    // the store file, after sets, an update and a rotation
    const storeText = await readFile(alice.store, 'utf8')
    expect(storeText).toContain('"LEAK_TWO"')
    for (const [name, value] of Object.entries(values)) {
      expect(containsValue(storeText, value), `${name} in the store file`).toBe(false)
      for (const line of value.split('\n')) expect(containsValue(storeText, line), `a line of ${name} in the store file`).toBe(false)
    }
  })
})
