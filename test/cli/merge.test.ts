/**
 * Teams on branches, through the real git binary in temporary repositories:
 * the merge driver and the textconv diff driver installed by `git setup`,
 * `merge --git` to finish a stopped merge, and `verify --base` on the result.
 * Every person has their own home (key file, rollback memory); git reads no
 * system or global config.
 */
import { mkdir, mkdtemp, readFile, realpath, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RunResult } from '../helpers'
import { ROOT, runCli, runProcess, tempDir } from '../helpers'

const TMP = await tempDir('usec-merge-git-')

interface Person {
  dir: string
  env: Record<string, string>
}

async function person(dir: string, name: string): Promise<Person> {
  const home = await mkdtemp(join(TMP, `${name}-home-`))
  return { dir, env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config') } }
}

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1', GIT_MERGE_AUTOEDIT: 'no', NO_COLOR: '1' }

/** git as `who` runs it in a plain terminal: their home (so the drivers find their keys), no system config. */
const gitRun = (who: Person, args: string[], cwd = who.dir): Promise<RunResult> =>
  runProcess('git', args, { cwd, env: { PATH: process.env.PATH!, ...who.env, ...GIT_ENV } })

async function git(who: Person, ...args: string[]): Promise<string> {
  const result = await gitRun(who, args)
  expect(result.code, `git ${args.join(' ')}: ${result.stderr}${result.stdout}`).toBe(0)
  return result.stdout
}

const cli = (who: Person, args: string[], input = '', cwd = who.dir): Promise<RunResult> =>
  runCli(args, { cwd, env: who.env, input })

async function ok(who: Person, args: string[], input = ''): Promise<string> {
  const result = await cli(who, args, input)
  expect(result.code, result.stderr).toBe(0)
  return result.stdout
}

const value = async (who: Person, name: string): Promise<string> => (await ok(who, ['get', name, '--no-newline']))

/** Sets (or with value undefined deletes) a secret as `who` and commits the store. */
async function commitSecret(who: Person, name: string, secret: string | undefined): Promise<void> {
  await ok(who, secret === undefined ? ['rm', name] : ['set', name], secret ?? '')
  await git(who, 'commit', '-q', '-am', name)
}

/** Commits `onFeature` on a new branch feature and `onMain` on main, leaving main checked out. */
async function diverge(who: Person, onFeature: Record<string, string>, onMain: Record<string, string>): Promise<void> {
  await git(who, 'switch', '-q', '-c', 'feature')
  for (const [name, secret] of Object.entries(onFeature)) await commitSecret(who, name, secret)
  await git(who, 'switch', '-q', 'main')
  for (const [name, secret] of Object.entries(onMain)) await commitSecret(who, name, secret)
}

/** A repository with a store (API_TOKEN set), and unless `setup` is false `git setup` run and committed, on main. */
async function repo(prefix: string, setup = true) {
  const dir = await mkdtemp(join(TMP, prefix))
  const alice = await person(dir, 'alice')
  await git(alice, 'init', '-q', '-b', 'main')
  await ok(alice, ['init', '--admin', 'alice'])
  await ok(alice, ['set', 'API_TOKEN'], 'token-one')
  if (setup) await ok(alice, ['git', 'setup'])
  await git(alice, 'add', '.')
  await git(alice, 'commit', '-q', '-m', 'store')
  const store = join(dir, 'secrets.enc.json')
  return {
    dir,
    alice,
    store,
    commit: (name: string, secret: string | undefined, who = alice) => commitSecret(who, name, secret),
    diverge: (onFeature: Record<string, string>, onMain: Record<string, string>) => diverge(alice, onFeature, onMain),
  }
}

/** The merge as git runs it: exit code and everything git and the driver printed. */
async function gitMerge(who: Person, ...args: string[]): Promise<RunResult & { output: string }> {
  const result = await gitRun(who, ['merge', '--no-edit', ...args])
  return { ...result, output: result.stdout + result.stderr }
}

describe('git merge through the driver installed by git setup', () => {
  it('two branches adding different secrets merge with no manual step; both values read back; verify and verify --base pass', async () => {
    const { dir, alice, diverge } = await repo('plain-')
    await diverge({ FEATURE_KEY: 'feature-value' }, { MAIN_KEY: 'main-value' })
    const merged = await gitMerge(alice, 'feature')
    expect(merged.code, merged.output).toBe(0)
    expect(merged.output).toMatch(/Merged secrets\.enc\.json: took FEATURE_KEY from theirs; merge entry #4 signed by alice\./)
    expect(await git(alice, 'status', '--porcelain')).toBe('')
    expect(await value(alice, 'FEATURE_KEY')).toBe('feature-value')
    expect(await value(alice, 'MAIN_KEY')).toBe('main-value')
    // verify replays both sides' entries and the merge entry and checks every signature.
    expect(await ok(alice, ['verify'])).toMatch(/revision 4, 3 secrets, admins: alice\n {2}last change: #4 merge by alice/)
    expect((await ok(alice, ['log'])).trim().split('\n').slice(-3).map(line => line.split(/\s+/).slice(2).join(' '))).toEqual(['alice create MAIN_KEY', 'alice create FEATURE_KEY', 'alice merge'])
    // The driver worked on git's temporary files: the rollback memory has only the real store's branches.
    const id = (JSON.parse(await readFile(join(dir, 'secrets.enc.json'), 'utf8')) as { id: string }).id
    const memory = JSON.parse(await readFile(join(alice.env.XDG_CONFIG_HOME!, 'unplugin-secrets', 'keys', 'history', `${id}.json`), 'utf8')) as { lines: object }
    const real = await realpath(join(dir, 'secrets.enc.json'))
    expect(Object.keys(memory.lines).sort()).toEqual([`${real}#refs/heads/feature`, `${real}#refs/heads/main`])
    // The pull-request check accepts it against either parent, with or without the store key.
    const reviewer = await person(dir, 'reviewer')
    for (const base of ['HEAD^1', 'HEAD^2', 'feature', 'main~1']) {
      await ok(alice, ['verify', '--base', base])
      expect((await cli(reviewer, ['verify', '--base', base])).code).toBe(0)
    }
  })

  it('git setup is idempotent, names a custom store, and its commands work from a subfolder with the package in node_modules', async () => {
    const dir = await mkdtemp(join(TMP, 'setup-'))
    const alice = await person(dir, 'alice')
    await git(alice, 'init', '-q', '-b', 'main')
    await mkdir(join(dir, 'node_modules'))
    await symlink(ROOT, join(dir, 'node_modules', 'unplugin-secrets'))
    const local = join(dir, 'node_modules', 'unplugin-secrets', 'dist', 'cli.mjs')
    const setup = (args: string[]) => runProcess(process.execPath, [local, 'git', 'setup', ...args], { cwd: join(dir, 'config'), env: { PATH: process.env.PATH!, ...alice.env, NO_COLOR: '1' } })
    await mkdir(join(dir, 'config'))
    await writeFile(join(dir, '.gitattributes'), '*.png binary')
    const first = await setup(['--store', 'app.enc.json'])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('.gitattributes: added secrets.enc.json, secrets.*.enc.json, /config/app.enc.json')
    expect(first.stdout).toContain(`driver command: '${process.execPath}' 'node_modules/unplugin-secrets/dist/cli.mjs'`)
    expect(first.stdout).toMatch(/Each teammate runs this once in their own clone \(git config is not shared\):\n {2}npx unplugin-secrets git setup\n/)
    expect(first.stdout).toMatch(/Merge buttons on hosting sites do not run merge drivers/)
    const attributes = await readFile(join(dir, '.gitattributes'), 'utf8')
    expect(attributes).toBe([
      '*.png binary',
      'secrets.enc.json merge=unplugin-secrets diff=unplugin-secrets',
      'secrets.*.enc.json merge=unplugin-secrets diff=unplugin-secrets',
      '/config/app.enc.json merge=unplugin-secrets diff=unplugin-secrets',
      '',
    ].join('\n'))
    expect(await git(alice, 'config', '--local', 'merge.unplugin-secrets.driver')).toBe(`'${process.execPath}' 'node_modules/unplugin-secrets/dist/cli.mjs' merge %O %A %B --path %P\n`)
    expect(await git(alice, 'config', '--local', 'merge.unplugin-secrets.recursive')).toBe('binary\n')
    expect(await git(alice, 'config', '--local', 'diff.unplugin-secrets.textconv')).toBe(`'${process.execPath}' 'node_modules/unplugin-secrets/dist/cli.mjs' show\n`)
    expect(await git(alice, 'check-attr', 'merge', 'diff', '--', 'secrets.production.enc.json')).toBe('secrets.production.enc.json: merge: unplugin-secrets\nsecrets.production.enc.json: diff: unplugin-secrets\n')

    const again = await setup(['--store', 'app.enc.json'])
    expect(again.stdout).toMatch(/\.gitattributes: already lists the store files\n {2}\.git\/config: {4}drivers already set\n/)
    expect(await readFile(join(dir, '.gitattributes'), 'utf8')).toBe(attributes)

    // A merge run from a subfolder: git runs the driver in the top folder, where the relative path holds.
    await ok(alice, ['init', '--admin', 'alice'])
    await git(alice, 'add', '.gitattributes', 'secrets.enc.json')
    await git(alice, 'commit', '-q', '-m', 'store')
    await diverge(alice, { ONE: '1' }, { TWO: '2' })
    const merged = await gitRun(alice, ['merge', '--no-edit', 'feature'], join(dir, 'config'))
    expect(merged.code, merged.stderr).toBe(0)
    expect(await value(alice, 'ONE')).toBe('1')
    expect(await value(alice, 'TWO')).toBe('2')
  })

  it('the same secret changed on both branches stops the merge, listing each name and no value; merge --git with a choice finishes it', async () => {
    const { dir, alice, store, diverge } = await repo('conflict-')
    await diverge({ API_TOKEN: 'token-from-feature', OLD_KEY: 'old-key-feature', SHARED: 'shared-feature' }, { API_TOKEN: 'token-from-main', SHARED: 'shared-main' })
    const ours = await readFile(store, 'utf8')
    const stopped = await gitMerge(alice, 'feature')
    expect(stopped.code).toBe(1)
    expect(stopped.output).toMatch(/error: secrets\.enc\.json: both sides changed these in ways that collide; nothing was merged \(your side is unchanged\):\n {2}secret API_TOKEN {2}ours: {3}updated to version 2 \(alice, [^)]+\)\n {20}theirs: updated to version 2 \(alice, [^)]+\)\n {2}secret SHARED {5}ours: {3}created, version 1 \(alice, [^)]+\)\n {20}theirs: created, version 1 \(alice, [^)]+\)\n/)
    expect(stopped.output).toContain(`To finish, choose a side for each secret (--ours NAME keeps yours, --theirs NAME the other side's) and merge again:\n  unplugin-secrets merge --git ${store} --ours API_TOKEN --ours SHARED\n  git add ${store} && git commit\n`)
    expect(stopped.output).toContain('Or leave the merge with: git merge --abort')
    expect(stopped.output).toMatch(/CONFLICT \(content\): Merge conflict in secrets\.enc\.json/)
    for (const secret of ['token-from-feature', 'token-from-main', 'old-key', 'shared-']) expect(stopped.output).not.toContain(secret)
    // The file is our side as it was: a valid store git marks unmerged.
    expect(await readFile(store, 'utf8')).toBe(ours)
    expect(await git(alice, 'status', '--porcelain')).toBe('UU secrets.enc.json\n')
    expect(await value(alice, 'API_TOKEN')).toBe('token-from-main')

    const finished = await cli(alice, ['merge', '--git', 'secrets.enc.json', '--theirs', 'API_TOKEN', '--ours', 'SHARED'])
    expect(finished.code, finished.stderr).toBe(0)
    expect(finished.stdout).toBe('Merged secrets.enc.json: took API_TOKEN, OLD_KEY from theirs; merge entry #6 signed by alice.\n')
    await git(alice, 'add', 'secrets.enc.json')
    await git(alice, 'commit', '-q', '--no-edit')
    expect(await value(alice, 'API_TOKEN')).toBe('token-from-feature')
    expect(await value(alice, 'SHARED')).toBe('shared-main')
    expect(await value(alice, 'OLD_KEY')).toBe('old-key-feature')
    const reviewer = await person(dir, 'reviewer')
    for (const base of ['HEAD^1', 'HEAD^2']) expect((await cli(reviewer, ['verify', '--base', base])).code).toBe(0)
    expect(await ok(alice, ['show', 'secrets.enc.json'])).toMatch(/ merge \(ours #4 [0-9a-f]{12}, theirs #5 [0-9a-f]{12}, base #2 [0-9a-f]{12}; key id [0-9a-f]{16}; chose theirs for API_TOKEN, ours for SHARED\)\n$/)
  })

  it('in a clone without git setup, git leaves conflict markers and merge --git finishes from the index', async () => {
    const { dir, alice, diverge } = await repo('no-setup-', false)
    await diverge({ ONE: '1' }, { TWO: '2' })
    expect((await gitMerge(alice, 'feature')).code).toBe(1)
    expect(await readFile(join(dir, 'secrets.enc.json'), 'utf8')).toContain('<<<<<<<')
    expect(await ok(alice, ['merge', '--git', 'secrets.enc.json'])).toMatch(/^Merged secrets\.enc\.json: took ONE from theirs/)
    await git(alice, 'commit', '-q', '-am', 'merged')
    expect(await value(alice, 'ONE')).toBe('1')
    expect(await value(alice, 'TWO')).toBe('2')
    const outside = await cli(alice, ['merge', '--git', 'secrets.enc.json'])
    expect(outside.code).toBe(2)
    expect(outside.stderr).toMatch(/secrets\.enc\.json is not in an unfinished git merge/)
  })

  it('without an admin key the merge stops, says which key and the command; after key import --admin, merge --git finishes', async () => {
    const { dir, alice, store, diverge } = await repo('no-admin-')
    const laptop = await person(dir, 'alice-laptop')
    await ok(laptop, ['key', 'import'], await ok(alice, ['key', 'export']))
    await diverge({ FEATURE_KEY: 'f' }, { MAIN_KEY: 'm' })
    const ours = await readFile(store, 'utf8')
    const stopped = await gitMerge(laptop, 'feature')
    expect(stopped.code).toBe(1)
    expect(stopped.output).toMatch(/error: Merging secrets\.enc\.json signs a merge entry, which needs your admin key; none was found \(UNPLUGIN_SECRETS_ADMIN_KEY, or the key file .*\.json\)\. Nothing was merged\. Import it once with: unplugin-secrets key import --admin \(or set UNPLUGIN_SECRETS_ADMIN_KEY\), then merge again\.\n/)
    expect(stopped.output).toContain(`git keeps ${store} unmerged. Once the problem above is fixed, finish with:\n  unplugin-secrets merge --git ${store} && git add ${store} && git commit\n`)
    expect(await readFile(store, 'utf8')).toBe(ours)

    const keyFile = JSON.parse(await readFile((await ok(alice, ['key', 'path'])).trim(), 'utf8')) as { adminKey: string }
    await ok(laptop, ['key', 'import', '--admin'], keyFile.adminKey)
    await ok(laptop, ['merge', '--git', store])
    await git(laptop, 'add', store)
    await git(laptop, 'commit', '-q', '--no-edit')
    expect(await value(laptop, 'FEATURE_KEY')).toBe('f')
    expect(await ok(laptop, ['verify'])).toMatch(/last change: #4 merge by alice/)
  })

  it('three branches merged one at a time, then back and forth, and a criss-cross merge keep verifying', async () => {
    const { alice, commit } = await repo('many-')
    for (const branch of ['a', 'b', 'c']) {
      await git(alice, 'switch', '-q', '-c', branch, 'main')
      await commit(`KEY_${branch.toUpperCase()}`, `value-${branch}`)
    }
    await git(alice, 'switch', '-q', 'main')
    for (const branch of ['a', 'b', 'c']) {
      const merged = await gitMerge(alice, branch)
      expect(merged.code, merged.output).toBe(0)
      await ok(alice, ['verify'])
    }
    // Back and forth: b takes main, both go on, main takes b, b takes main again.
    await git(alice, 'switch', '-q', 'b')
    expect((await gitMerge(alice, 'main')).code).toBe(0)
    await commit('KEY_B', 'value-b-2')
    await git(alice, 'switch', '-q', 'main')
    await commit('KEY_MAIN', 'main-2')
    expect((await gitMerge(alice, 'b')).code).toBe(0)
    await git(alice, 'switch', '-q', 'b')
    await commit('KEY_B', 'value-b-3')
    expect((await gitMerge(alice, 'main')).code).toBe(0)
    expect(await value(alice, 'KEY_MAIN')).toBe('main-2')
    expect(await value(alice, 'KEY_B')).toBe('value-b-3')
    await ok(alice, ['verify'])

    // Criss-cross: x and y each merge the other's first commit, go on, then x merges y (two merge bases).
    await git(alice, 'switch', '-q', '-c', 'x', 'main')
    await commit('X_ONE', 'x1')
    const x1 = (await git(alice, 'rev-parse', 'HEAD')).trim()
    await git(alice, 'switch', '-q', '-c', 'y', 'main')
    await commit('Y_ONE', 'y1')
    const y1 = (await git(alice, 'rev-parse', 'HEAD')).trim()
    expect((await gitMerge(alice, x1)).code).toBe(0)
    await commit('Y_TWO', 'y2')
    await git(alice, 'switch', '-q', 'x')
    expect((await gitMerge(alice, y1)).code).toBe(0)
    await commit('X_TWO', 'x2')
    expect((await git(alice, 'merge-base', '--all', 'x', 'y')).trim().split('\n')).toHaveLength(2)
    const criss = await gitMerge(alice, 'y')
    expect(criss.code, criss.output).toBe(0)
    expect(await ok(alice, ['list'])).toMatch(/X_ONE[\s\S]*X_TWO[\s\S]*Y_ONE[\s\S]*Y_TWO/)
    await ok(alice, ['verify', '--base', 'y'])
  })

  it('a rotation on one branch and changes on the other merge when you hold both keys; without the new key the merge names it, and key import on that branch fixes it', async () => {
    const { dir, alice, commit } = await repo('rotate-')
    const bob = await person(dir, 'bob')
    await ok(bob, ['key', 'import'], await ok(alice, ['key', 'export']))
    const bobKey = (await ok(bob, ['admins', 'keygen'])).trim()
    await ok(alice, ['admins', 'add', 'bob', '--public-key', bobKey])
    await git(alice, 'commit', '-q', '-am', 'bob')
    await git(bob, 'switch', '-q', '-c', 'feature')
    await commit('BOB_KEY', 'bob-value', bob)
    await git(alice, 'switch', '-q', 'main')
    await ok(alice, ['rotate'])
    await git(alice, 'commit', '-q', '-am', 'rotate')
    await commit('API_TOKEN', 'token-two')

    // alice has both keys (the key file keeps the retired one): merging feature re-encrypts BOB_KEY.
    await git(alice, 'switch', '-q', '-c', 'alice-merge', 'main')
    const merged = await gitMerge(alice, 'feature')
    expect(merged.code, merged.output).toBe(0)
    expect(merged.output).toMatch(/Merged secrets\.enc\.json: took BOB_KEY from theirs; re-encrypted 1 value under key [0-9a-f]{16}; merge entry #\d+ signed by alice\./)
    expect(await value(alice, 'BOB_KEY')).toBe('bob-value')
    expect(await ok(alice, ['show', 'secrets.enc.json'])).toMatch(/ merge \(ours #\d+ .*; 1 value re-encrypted\)\n$/)

    // bob, on feature, has only the old key: merging main stops on the new one.
    await git(bob, 'switch', '-q', 'feature')
    const stopped = await gitMerge(bob, 'main')
    expect(stopped.code).toBe(1)
    expect(stopped.output).toMatch(/error: Merging secrets\.enc\.json needs store key [0-9a-f]{16} \(the key secrets\.enc\.json \(theirs\) uses since alice rotated it at [^,]+, to seal the result\), which neither UNPLUGIN_SECRETS_KEY nor your key file holds\. Nothing was merged\. Get it from an admin \(unplugin-secrets key export, on a checkout whose store uses key [0-9a-f]{16}\), import it on such a checkout with unplugin-secrets key import, then merge again\./)
    await git(bob, 'merge', '--abort')
    await git(bob, 'switch', '-q', 'main')
    await ok(bob, ['key', 'import'], await ok(alice, ['key', 'export']))
    await git(bob, 'switch', '-q', 'feature')
    const retried = await gitMerge(bob, 'main')
    expect(retried.code, retried.output).toBe(0)
    expect(retried.output).toMatch(/signed by bob\./)
    expect(await value(bob, 'API_TOKEN')).toBe('token-two')
    expect(await value(bob, 'BOB_KEY')).toBe('bob-value')
    await ok(bob, ['verify', '--base', 'main'])
  })
})

describe('the redacted diff', () => {
  it('git diff and git log -p show names, versions and signers, never a value, a ciphertext or long base64', async () => {
    const { alice, store, diverge } = await repo('diff-')
    await diverge({ FEATURE_KEY: 'feature-secret-value' }, { API_TOKEN: 'token-two-value' })
    expect((await gitMerge(alice, 'feature')).code).toBe(0)
    await ok(alice, ['set', 'UNCOMMITTED'], 'uncommitted-value')

    const diff = await git(alice, 'diff')
    expect(diff).toMatch(/^\+ {2}UNCOMMITTED {2}v1 {2}updated by alice at \S+ {2}record [0-9a-f]{12}$/m)
    expect(diff).toMatch(/^\+ {2}#5 {2}\S+ {2}alice {2}create UNCOMMITTED \(record [0-9a-f]{12}\)$/m)
    const log = await git(alice, 'log', '-p', '-m', '--first-parent', '--format=%s')
    expect(log).toMatch(/^\+ {2}#4 {2}\S+ {2}alice {2}merge \(ours #3 [0-9a-f]{12}, theirs #3 [0-9a-f]{12}, base #2 [0-9a-f]{12}; key id [0-9a-f]{16}\)$/m)
    expect(log).toMatch(/^ signatures: ok \(file signed by alice; the seal and the values need the store key\)$/m)

    const ciphertexts = [...(await git(alice, 'log', '-p', '--text', '--no-textconv', '--', 'secrets.enc.json')).matchAll(/"value": "([^"]+)"/g)].map(m => m[1]!)
    ciphertexts.push(...[...(await readFile(store, 'utf8')).matchAll(/"value": "([^"]+)"/g)].map(m => m[1]!))
    expect(ciphertexts.length).toBeGreaterThan(4)
    for (const output of [diff, log]) {
      for (const secret of ['feature-secret-value', 'token-two-value', 'token-one', 'uncommitted-value', ...ciphertexts]) expect(output).not.toContain(secret)
      expect(output).not.toMatch(/[A-Za-z0-9+/]{40,}/)
    }
  })

  it('show: a tampered file says so, an unreadable one is shown as such, control characters are escaped', async () => {
    const { alice, store } = await repo('show-')
    await ok(alice, ['set', 'DESCRIBED', '--description', 'line one\nline two \u202Eevil'], 'x')
    const shown = await ok(alice, ['show', 'secrets.enc.json'])
    expect(shown).toMatch(/^ {2}DESCRIBED {2}v1 .* "line one\\nline two \\u202eevil"$/m)
    const text = await readFile(store, 'utf8')
    await writeFile(join(alice.dir, 'edited.enc.json'), text.replace('"updatedBy": "alice"', '"updatedBy": "mallory"'))
    expect(await ok(alice, ['show', 'edited.enc.json'])).toMatch(/^signatures: BROKEN: edited\.enc\.json: its content does not match the signature of admin "alice"/m)
    await writeFile(join(alice.dir, 'conflict.enc.json'), `<<<<<<< ours\n${text}=======\n`)
    expect(await ok(alice, ['show', 'conflict.enc.json'])).toMatch(/^conflict\.enc\.json: not a readable store: conflict\.enc\.json:1:1: the store is not valid JSON .*\n\d+ lines, sha256 [0-9a-f]{12}\n$/)
  })
})

describe('the pull-request check on merged stores', () => {
  it('verify --base refuses a store resolved by hand and a merge that dropped one side', async () => {
    const { dir, alice, store, diverge } = await repo('pr-')
    await diverge({ API_TOKEN: 'token-feature' }, { API_TOKEN: 'token-main' })
    const reviewer = await person(dir, 'reviewer')

    // Resolved by hand: our file with their API_TOKEN block pasted in.
    expect((await gitMerge(alice, 'feature')).code).toBe(1)
    const theirs = await git(alice, 'show', ':3:secrets.enc.json')
    const block = /\n {4}"API_TOKEN": \{[^}]*\}/
    await writeFile(store, (await readFile(store, 'utf8')).replace(block, block.exec(theirs)![0]))
    await git(alice, 'commit', '-q', '-am', 'resolved by hand')
    for (const who of [alice, reviewer]) {
      const result = await cli(who, ['verify', '--base', 'feature'])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/does not match the signature of admin "alice"/)
    }

    // A side dropped: the conflict "resolved" by taking ours as it is.
    await git(alice, 'reset', '-q', '--hard', 'HEAD~1')
    expect((await gitMerge(alice, 'feature')).code).toBe(1)
    await git(alice, 'checkout', '--ours', 'secrets.enc.json')
    await git(alice, 'commit', '-q', '-am', 'took ours')
    for (const who of [alice, reviewer]) {
      const result = await cli(who, ['verify', '--base', 'feature'])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/does not extend .* at feature: its newest change there \(revision 3, #3 update API_TOKEN by alice .*\) is missing here/)
    }
  })
})

describe('one person on two branches, with the rollback memory', () => {
  it('write on a, switch to b and write, merge a into b and back: every open is accepted and a later revert is still caught', async () => {
    const { alice, commit } = await repo('two-branches-')
    await git(alice, 'switch', '-q', '-c', 'a')
    await commit('ON_A', 'a-1')
    await git(alice, 'switch', '-q', '-c', 'b', 'main')
    await commit('ON_B', 'b-1')
    expect((await gitMerge(alice, 'a')).code).toBe(0)
    expect(await value(alice, 'ON_A')).toBe('a-1')
    await commit('ON_B', 'b-2')
    await git(alice, 'switch', '-q', 'a')
    expect(await value(alice, 'ON_A')).toBe('a-1')
    await commit('ON_A', 'a-2')
    expect((await gitMerge(alice, 'b')).code).toBe(0)
    expect(await value(alice, 'ON_B')).toBe('b-2')
    expect(await value(alice, 'ON_A')).toBe('a-2')
    await commit('AFTER', 'after')
    // Going back on a (to before the merge) is still a rollback.
    await git(alice, 'checkout', 'HEAD~2', '--', 'secrets.enc.json')
    const refused = await cli(alice, ['get', 'ON_A'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/STORE_ROLLBACK|this machine has seen revision \d+ of this store on branch a/)
  })
})
