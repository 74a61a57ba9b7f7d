/**
 * `unplugin-secrets identity new | show` through the built CLI in child processes, with each
 * person's config folder in a temp folder (XDG_CONFIG_HOME), checked with the real age tools.
 */
import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RunResult } from '../helpers'
import { runCli, tempDir } from '../helpers'

const TMP = await tempDir('usec-identity-')
const exec = promisify(execFile)

interface Person {
  home: string
  env: Record<string, string>
  /** Where identity new writes when no variable says otherwise. */
  defaultFile: string
}

async function person(): Promise<Person> {
  const home = await mkdtemp(join(TMP, 'p-'))
  const config = join(home, '.config')
  return { home, env: { HOME: home, XDG_CONFIG_HOME: config }, defaultFile: join(config, 'unplugin-secrets', 'identity.txt') }
}

const run = (who: Person, args: string[], env: Record<string, string> = {}): Promise<RunResult> =>
  runCli(args, { cwd: who.home, env: { ...who.env, ...env } })

const ageKeygenRecipient = async (file: string) => (await exec('age-keygen', ['-y', file])).stdout.trim()
const modeOf = async (path: string) => (await stat(path)).mode & 0o777

function expectFailure(result: RunResult, code: 1 | 2, message: string | RegExp): void {
  expect(result.code, result.stderr).toBe(code)
  expect(result.stdout).toBe('')
  expect(result.stderr).toMatch(/^error: [^\n]+\n$/)
  if (typeof message === 'string') expect(result.stderr).toBe(`error: ${message}\n`)
  else expect(result.stderr).toMatch(message)
}

let canaryFile: string
let canarySecret: string
let sshKey: string

beforeAll(async () => {
  canaryFile = join(TMP, 'canary.txt')
  sshKey = join(TMP, 'id_ed25519')
  await Promise.all([
    exec('age-keygen', ['-o', canaryFile]),
    exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob@laptop', '-f', sshKey]),
    exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', join(TMP, 'locked')]),
  ])
  canarySecret = (await readFile(canaryFile, 'utf8')).split('\n').find(line => line.startsWith('AGE-SECRET-KEY-1'))!
})

describe('identity new', () => {
  it('creates the default identity file (0600, in a 0700 folder) in age-keygen\'s format and prints its recipient', async () => {
    const who = await person()
    const result = await run(who, ['identity', 'new'])
    expect(result.code, result.stderr).toBe(0)
    const recipient = await ageKeygenRecipient(who.defaultFile)
    expect(result.stdout).toBe(`${recipient}\n`)
    expect(result.stderr).toBe([
      `Saved your new age identity to ${who.defaultFile} (mode 0600). Keep it private and backed up.`,
      'Send the recipient above to an admin of the store, who adds you as a reader:',
      `  unplugin-secrets readers add <your-name> ${recipient}`,
      '',
    ].join('\n'))
    expect(await modeOf(who.defaultFile)).toBe(0o600)
    expect(await modeOf(join(who.defaultFile, '..'))).toBe(0o700)
    expect(await readFile(who.defaultFile, 'utf8')).toMatch(new RegExp(`^# created: \\S+Z\\n# public key: ${recipient}\\nAGE-SECRET-KEY-1[0-9A-Z]{58}\\n$`))
    const { stdout: armored } = await exec('age', ['-e', '-a', '-r', recipient, canaryFile])
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/)
  })

  it('never overwrites: a second run fails with IDENTITY_EXISTS and leaves the file byte-identical', async () => {
    const who = await person()
    expect((await run(who, ['identity', 'new'])).code).toBe(0)
    const before = await readFile(who.defaultFile)
    expectFailure(await run(who, ['identity', 'new']), 1, [
      `There is already an identity file at ${who.defaultFile}; identity new never replaces one.`,
      'unplugin-secrets identity show prints its recipient. To start over, move it away first:',
      'stores wrapped for it open only with it.',
    ].join(' '))
    expect(await readFile(who.defaultFile)).toEqual(before)
  })

  it('writes beside the key files when UNPLUGIN_SECRETS_KEY_DIR is set', async () => {
    const who = await person()
    const keyDir = join(who.home, 'keys')
    const result = await run(who, ['identity', 'new'], { UNPLUGIN_SECRETS_KEY_DIR: keyDir })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe(`${await ageKeygenRecipient(join(keyDir, 'identity.txt'))}\n`)
    expect(await stat(who.defaultFile).catch(() => undefined)).toBeUndefined()
  })

  it('writes to the file UNPLUGIN_SECRETS_AGE_KEY_FILE names, and says when UNPLUGIN_SECRETS_AGE_KEY overrides the file', async () => {
    const who = await person()
    const named = join(who.home, 'ci', 'reader.txt')
    const result = await run(who, ['identity', 'new'], { UNPLUGIN_SECRETS_AGE_KEY_FILE: named })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe(`${await ageKeygenRecipient(named)}\n`)
    expect(await modeOf(named)).toBe(0o600)

    const shadowed = await run(who, ['identity', 'new'], { UNPLUGIN_SECRETS_AGE_KEY: canarySecret })
    expect(shadowed.code, shadowed.stderr).toBe(0)
    expect(shadowed.stderr).toContain('While UNPLUGIN_SECRETS_AGE_KEY is set, it is used instead of this file.')
    expect(shadowed.stdout + shadowed.stderr).not.toContain(canarySecret)
  })
})

describe('identity show', () => {
  it('prints the recipient of the default identity file and where it came from', async () => {
    const who = await person()
    const made = await run(who, ['identity', 'new'])
    expect(await run(who, ['identity', 'show'])).toEqual({ code: 0, stdout: made.stdout, stderr: `From ${who.defaultFile}.\n` })
  })

  it('UNPLUGIN_SECRETS_AGE_KEY_FILE comes first, then UNPLUGIN_SECRETS_AGE_KEY, then the default file', async () => {
    const who = await person()
    await run(who, ['identity', 'new'])
    const canaryRecipient = await ageKeygenRecipient(canaryFile)
    const sshLine = (await readFile(`${sshKey}.pub`, 'utf8')).replace(/ bob@laptop\n$/, '')

    const fromFile = await run(who, ['identity', 'show'], { UNPLUGIN_SECRETS_AGE_KEY_FILE: sshKey, UNPLUGIN_SECRETS_AGE_KEY: canarySecret })
    expect(fromFile).toEqual({ code: 0, stdout: `${sshLine}\n`, stderr: `From UNPLUGIN_SECRETS_AGE_KEY_FILE=${sshKey}.\n` })

    const fromVariable = await run(who, ['identity', 'show'], { UNPLUGIN_SECRETS_AGE_KEY: await readFile(canaryFile, 'utf8') })
    expect(fromVariable).toEqual({ code: 0, stdout: `${canaryRecipient}\n`, stderr: 'From UNPLUGIN_SECRETS_AGE_KEY.\n' })
  })

  it('no identity anywhere: IDENTITY_MISSING, saying how to make one', async () => {
    const who = await person()
    expectFailure(await run(who, ['identity', 'show']), 1, [
      `No age identity: neither UNPLUGIN_SECRETS_AGE_KEY_FILE nor UNPLUGIN_SECRETS_AGE_KEY is set, and ${who.defaultFile} does not exist.`,
      'Make one with unplugin-secrets identity new, or point the variable at an age-keygen file or an SSH ed25519 key.',
    ].join(' '))
    const missing = join(who.home, 'nope.txt')
    expectFailure(await run(who, ['identity', 'show'], { UNPLUGIN_SECRETS_AGE_KEY_FILE: 'nope.txt' }), 1, `UNPLUGIN_SECRETS_AGE_KEY_FILE names ${missing}, which does not exist. Correct the variable, or create the file: unplugin-secrets identity new`)
  })

  it('an identity file others can read is refused, as key files are, and nothing of it is printed', async () => {
    const who = await person()
    await mkdir(join(who.defaultFile, '..'), { recursive: true })
    await writeFile(who.defaultFile, await readFile(canaryFile))
    await chmod(who.defaultFile, 0o644)
    const result = await run(who, ['identity', 'show'])
    expectFailure(result, 1, `The identity file ${who.defaultFile} can be read by other users (mode 644). Make it private: chmod 600 ${who.defaultFile}`)
    expect(result.stderr).not.toContain(canarySecret)
    await chmod(who.defaultFile, 0o600)
    expect((await run(who, ['identity', 'show'])).code).toBe(0)
  })

  it('a passphrase-protected SSH key or a malformed variable: IDENTITY_INVALID, no key text printed', async () => {
    const who = await person()
    const locked = join(TMP, 'locked')
    const result = await run(who, ['identity', 'show'], { UNPLUGIN_SECRETS_AGE_KEY_FILE: locked })
    expectFailure(result, 1, new RegExp(`^error: ${locked}: an SSH ed25519 key protected by a passphrase\\. .*unplugin-secrets identity new`))
    const lines = (await readFile(locked, 'utf8')).split('\n')
    expect(result.stderr).not.toContain(lines[2])

    const bad = await run(who, ['identity', 'show'], { UNPLUGIN_SECRETS_AGE_KEY: `${canarySecret}\n${canarySecret.slice(0, -1)}` })
    expectFailure(bad, 1, /^error: UNPLUGIN_SECRETS_AGE_KEY:2: an AGE-SECRET-KEY-1… line with a bad checksum or length\. Accepted: /)
    expect(bad.stderr).not.toContain(canarySecret.slice(16, 40))
  })
})

describe('identity usage', () => {
  it('an unknown or missing subcommand is a usage error (exit 2)', async () => {
    const who = await person()
    expectFailure(await run(who, ['identity', 'rotate']), 2, 'Unknown identity command "rotate": use new, show. See: unplugin-secrets identity --help')
    expectFailure(await run(who, ['identity']), 2, /identity needs an argument: identity new \| identity show/)
  })

  it('--help says where the identity is read from', async () => {
    const who = await person()
    const result = await run(who, ['identity', '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('$UNPLUGIN_SECRETS_AGE_KEY_FILE (a path to an age identity file or an')
    expect(result.stdout).toContain(`for CI), else ${who.defaultFile}.`)
  })
})
