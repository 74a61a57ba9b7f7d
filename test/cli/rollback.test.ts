/**
 * Rollback: the CLI in real git repositories (the real git binary). A store
 * that goes back within one line of work is refused on a machine that saw the
 * newer one; a branch switch is not a rollback; verify --base is the check
 * for machines that saw nothing (CI).
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { RunResult } from '../helpers'
import { formatPublicKey, generateAdminKey } from '../../src/core/store/keys'
import { runCli, tempDir } from '../helpers'

const TMP = await tempDir('usec-rollback-')
const exec = promisify(execFile)

interface Person {
  dir: string
  env: Record<string, string>
}

async function person(dir: string, name = 'alice'): Promise<Person> {
  const home = await mkdtemp(join(TMP, `${name}-home-`))
  return { dir, env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config') } }
}

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1' }
async function git(dir: string, ...args: string[]): Promise<string> {
  return (await exec('git', args, { cwd: dir, env: { PATH: process.env.PATH!, HOME: dir, ...GIT_ENV } })).stdout
}

const cli = (who: Person, args: string[], input = '', env: Record<string, string> = {}): Promise<RunResult> =>
  runCli(args, { cwd: who.dir, env: { ...who.env, ...env }, input })

async function ok(who: Person, args: string[], input = ''): Promise<string> {
  const result = await cli(who, args, input)
  expect(result.code, result.stderr).toBe(0)
  return result.stdout
}

/** A git repository with a store; each `commit` sets a secret and commits the store. */
async function repo(prefix: string) {
  const dir = await mkdtemp(join(TMP, prefix))
  await git(dir, 'init', '-q', '-b', 'main')
  const alice = await person(dir)
  await ok(alice, ['init', '--admin', 'alice'])
  const store = join(dir, 'secrets.enc.json')
  const commit = async (name: string, value: string, who = alice) => {
    await ok(who, ['set', name], value)
    await git(dir, 'add', 'secrets.enc.json')
    await git(dir, 'commit', '-q', '-m', `set ${name}`)
  }
  await commit('API_TOKEN', 'token-revision-one')
  return { dir, alice, store, commit }
}

function expectRollback(result: RunResult, ...fragments: RegExp[]): void {
  expect(result.code, result.stderr).toBe(1)
  expect(result.stderr).toMatch(/^error: .*STORE_ROLLBACK|^error: /)
  for (const fragment of fragments) expect(result.stderr).toMatch(fragment)
  expect(result.stdout).toBe('')
}

describe('a store that went back on the same branch', () => {
  it('is refused by get, list, verify, render and set; nothing is written; accept-rollback takes it deliberately', async () => {
    const { dir, alice, store, commit } = await repo('revert-')
    await commit('API_TOKEN', 'token-revision-two')
    await ok(alice, ['get', 'API_TOKEN'])
    await git(dir, 'checkout', 'HEAD~1', '--', 'secrets.enc.json')
    const older = await readFile(store, 'utf8')
    await writeFile(join(dir, 'deploy.yaml'), 'token: ${secret.API_TOKEN}\n')

    const message = /this machine has seen revision 3 of this store on branch main \(last change #3 update API_TOKEN by alice at [^)]+\), and the file went back to revision 2 \(last change #2 create API_TOKEN/
    for (const args of [['get', 'API_TOKEN'], ['list'], ['verify'], ['render', 'deploy.yaml'], ['log']]) {
      const result = await cli(alice, args)
      expectRollback(result, message, /accept-rollback --store /)
      expect(result.stderr).not.toContain('token-revision')
    }
    expectRollback(await cli(alice, ['set', 'OTHER'], 'other-value'), message)
    expect(await readFile(store, 'utf8')).toBe(older)

    const accepted = await ok(alice, ['accept-rollback'])
    expect(accepted).toMatch(/Accepted revision 2 of .* for branch main\.\n {2}It replaces revision 3 /)
    expect((await ok(alice, ['get', 'API_TOKEN'])).trimEnd()).toBe('token-revision-one')
    await ok(alice, ['set', 'OTHER'], 'other-value')
  })

  it('a removed admin put back by replaying an older revision is refused', async () => {
    const { dir, alice, commit } = await repo('admin-')
    const publicKey = formatPublicKey(generateAdminKey().publicKey)
    await ok(alice, ['admins', 'add', 'bob', '--public-key', publicKey])
    await git(dir, 'commit', '-q', '-am', 'add bob')
    await ok(alice, ['admins', 'remove', 'bob'])
    await commit('API_TOKEN', 'token-after-bob')
    await git(dir, 'checkout', 'HEAD~1', '--', 'secrets.enc.json')
    expectRollback(await cli(alice, ['admins', 'list']), /seen revision 5 .*went back to revision 3 /)
  })

  it('a fork (another history at the same revision) is refused', async () => {
    const { dir, alice, store } = await repo('fork-')
    const base = await readFile(store, 'utf8')
    await ok(alice, ['set', 'A'], 'one')
    // The same admin key on a machine that never saw that write makes another revision 3.
    const elsewhere = await person(dir, 'alice-laptop')
    const keyFiles = join(alice.env.XDG_CONFIG_HOME!, 'unplugin-secrets', 'keys')
    const id = (JSON.parse(base) as { id: string }).id
    await mkdir(join(elsewhere.env.XDG_CONFIG_HOME!, 'unplugin-secrets', 'keys'), { recursive: true, mode: 0o700 })
    await writeFile(join(elsewhere.env.XDG_CONFIG_HOME!, 'unplugin-secrets', 'keys', `${id}.json`), await readFile(join(keyFiles, `${id}.json`)), { mode: 0o600 })
    await writeFile(store, base)
    await ok(elsewhere, ['set', 'B'], 'two')
    expectRollback(await cli(alice, ['list']), /seen revision 3 .*has another history: revision 3 \(last change #3 create B by alice .*\(a fork\)/)
  })
})

describe('what is not a rollback', () => {
  it('switching to a branch whose store is older, writing there, and switching back', async () => {
    const { dir, alice, commit } = await repo('branches-')
    await commit('API_TOKEN', 'token-revision-two')
    await commit('API_TOKEN', 'token-revision-three')
    await git(dir, 'switch', '-q', '-c', 'old-work', 'HEAD~2')
    expect((await ok(alice, ['get', 'API_TOKEN'])).trimEnd()).toBe('token-revision-one')
    await commit('FEATURE_KEY', 'feature')
    await git(dir, 'switch', '-q', 'main')
    expect((await ok(alice, ['get', 'API_TOKEN'])).trimEnd()).toBe('token-revision-three')
    await git(dir, 'switch', '-q', 'old-work')
    expect((await ok(alice, ['get', 'FEATURE_KEY'])).trimEnd()).toBe('feature')
    // Within that branch, going back is a rollback again.
    await git(dir, 'checkout', 'HEAD~1', '--', 'secrets.enc.json')
    expectRollback(await cli(alice, ['get', 'API_TOKEN']), /on branch old-work/)
  })

  it('a detached HEAD (a tag, a bisect, a CI checkout) is not checked', async () => {
    const { dir, alice, commit } = await repo('detached-')
    await commit('API_TOKEN', 'token-revision-two')
    await git(dir, 'checkout', '-q', '--detach', 'HEAD~1')
    expect((await ok(alice, ['get', 'API_TOKEN'])).trimEnd()).toBe('token-revision-one')
    const refused = await cli(alice, ['accept-rollback'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/detached HEAD .* nothing to accept/)
  })
})

describe('outside git and on fresh machines', () => {
  it('outside git the memory is per path; UNPLUGIN_SECRETS_MIN_REVISION refuses older revisions on any machine', async () => {
    const dir = await mkdtemp(join(TMP, 'plain-'))
    const alice = await person(dir)
    await ok(alice, ['init', '--admin', 'alice'])
    const store = join(dir, 'secrets.enc.json')
    await ok(alice, ['set', 'A'], 'one')
    const older = await readFile(store, 'utf8')
    await ok(alice, ['set', 'A'], 'two')
    const key = (await ok(alice, ['key', 'export'])).trim()
    await writeFile(store, older)
    expectRollback(await cli(alice, ['get', 'A']), /on .*secrets\.enc\.json \(last change #3 update A/)

    const ci = await person(dir, 'ci')
    expect((await cli(ci, ['get', 'A'], '', { UNPLUGIN_SECRETS_KEY: key })).stdout).toBe('one\n')
    expectRollback(await cli(ci, ['get', 'A'], '', { UNPLUGIN_SECRETS_KEY: key, UNPLUGIN_SECRETS_MIN_REVISION: '3' }), /is at revision 2 \(last change #2 create A by alice at [^)]+\), below the minimum revision 3 set by UNPLUGIN_SECRETS_MIN_REVISION/)
    const bad = await cli(ci, ['get', 'A'], '', { UNPLUGIN_SECRETS_KEY: key, UNPLUGIN_SECRETS_MIN_REVISION: 'three' })
    expect(bad.stderr).toMatch(/UNPLUGIN_SECRETS_MIN_REVISION must be a whole number of 1 or more \(a store revision\); got "three"/)
  })
})

describe('verify --base: the pull-request check', () => {
  it('accepts a branch that extends the base, with or without a store key', async () => {
    const { dir, alice, commit } = await repo('base-ok-')
    await git(dir, 'switch', '-q', '-c', 'feature')
    await commit('NEW_ONE', 'new')
    expect(await ok(alice, ['verify', '--base', 'main'])).toMatch(/^OK .* revision 3, 2 secrets/s)
    const reviewer = await person(dir, 'reviewer')
    const keyless = await cli(reviewer, ['verify', '--base', 'main'])
    expect(keyless.code, keyless.stderr).toBe(0)
    expect(keyless.stderr).toMatch(/No store key here: checked the history, every signature and every record, not the seal or the ciphertexts/)
  })

  it('refuses a store reverted to before the base, a hand-edited one, and another store', async () => {
    const { dir, alice, store, commit } = await repo('base-bad-')
    await commit('API_TOKEN', 'token-revision-two')
    await git(dir, 'switch', '-q', '-c', 'feature')
    const reviewer = await person(dir, 'reviewer')

    await git(dir, 'checkout', 'main~1', '--', 'secrets.enc.json')
    for (const who of [alice, reviewer]) {
      const result = await cli(who, ['verify', '--base', 'main'])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/does not extend .* at main: its newest change there \(revision 3, #3 update API_TOKEN by alice .*\) is missing here .*unplugin-secrets merge/)
    }

    await git(dir, 'checkout', 'main', '--', 'secrets.enc.json')
    const text = await readFile(store, 'utf8')
    await writeFile(store, text.replace('"updatedBy": "alice"', '"updatedBy": "alicf"'))
    const edited = await cli(reviewer, ['verify', '--base', 'main'])
    expect(edited.code).toBe(1)
    expect(edited.stderr).toMatch(/does not match the signature of admin "alice"/)

    await writeFile(store, text)
    await exec('rm', [store])
    await ok(alice, ['init', '--admin', 'alice'])
    const other = await cli(reviewer, ['verify', '--base', 'main'])
    expect(other.code).toBe(1)
    expect(other.stderr).toMatch(/is not the store .* at main has: it has store id [0-9a-f]{32}, not [0-9a-f]{32}/)
  })

  it('a base without the store (the change adds it) and a ref git does not know', async () => {
    const dir = await mkdtemp(join(TMP, 'base-new-'))
    await git(dir, 'init', '-q', '-b', 'main')
    await writeFile(join(dir, 'README'), 'x\n')
    await git(dir, 'add', 'README')
    await git(dir, 'commit', '-q', '-m', 'start')
    const alice = await person(dir)
    await ok(alice, ['init', '--admin', 'alice'])
    const result = await cli(alice, ['verify', '--base', 'main'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/main has no store at this path: this change adds it/)
    const unknown = await cli(alice, ['verify', '--base', 'origin/nope'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/git knows no commit "origin\/nope" here\. In CI, fetch it first/)
  })
})
