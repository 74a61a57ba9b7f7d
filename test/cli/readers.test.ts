/**
 * Readers: people who open the store with their own age key, through the
 * real CLI, with keys made by the real age-keygen and ssh-keygen, and entries
 * opened by the real age.
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { openStoreSync } from '../../src/core/store/store'
import type { RunResult } from '../helpers'
import { ROOT, runCli, runNode, tempDir } from '../helpers'

const TMP = await tempDir('usec-readers-')
const exec = promisify(execFile)
const VALUE = 'reader-visible-value-7c1d'

interface Person {
  env: Record<string, string>
}

/** Someone with a config folder of their own (no key files unless they make them). */
async function person(name: string, extra: Record<string, string> = {}): Promise<Person> {
  const home = await mkdtemp(join(TMP, `${name}-`))
  return { env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), ...extra } }
}

let dir: string
let alice: Person
const cli = (who: Person, args: string[], input = ''): Promise<RunResult> => runCli(args, { cwd: dir, env: who.env, input })
async function ok(who: Person, args: string[], input = ''): Promise<string> {
  const result = await cli(who, args, input)
  expect(result.code, result.stderr).toBe(0)
  return result.stdout
}
const storeText = () => readFile(join(dir, 'secrets.enc.json'), 'utf8')
const wrapOf = async (name: string) => (JSON.parse(await storeText()) as { readers: Record<string, { wrap: string }> }).readers[name]!.wrap

/** An age identity made by the real age-keygen: its file and its recipient. */
async function ageKeygen(name: string): Promise<{ file: string, recipient: string }> {
  const file = join(TMP, `${name}.txt`)
  await exec('age-keygen', ['-o', file])
  const recipient = (await exec('age-keygen', ['-y', file])).stdout.trim()
  return { file, recipient }
}

beforeAll(async () => {
  dir = await mkdtemp(join(TMP, 'project-'))
  alice = await person('alice')
  await ok(alice, ['init', '--admin', 'alice'])
  await ok(alice, ['set', 'SHARED'], VALUE)
})

describe('a reader with an age-keygen identity', () => {
  let bob: { file: string, recipient: string }
  beforeAll(async () => {
    bob = await ageKeygen('bob')
    await ok(alice, ['readers', 'add', 'bob', bob.recipient])
  })

  it('reads with their identity (file or variable) and no store key; list shows them', async () => {
    const viaFile = await person('bob', { UNPLUGIN_SECRETS_AGE_KEY_FILE: bob.file })
    expect(await ok(viaFile, ['get', 'SHARED'])).toBe(`${VALUE}\n`)
    const viaVariable = await person('bob-ci', { UNPLUGIN_SECRETS_AGE_KEY: await readFile(bob.file, 'utf8') })
    expect(await ok(viaVariable, ['get', 'SHARED'])).toBe(`${VALUE}\n`)
    expect(await ok(alice, ['readers', 'list'])).toMatch(new RegExp(`^bob +\\S+ +alice +${bob.recipient}$`, 'm'))
    expect(await ok(viaFile, ['verify'])).toMatch(/^OK /)
  })

  it('the real age opens their entry: it holds the store key', async () => {
    const entry = join(TMP, 'bob-entry.age')
    await writeFile(entry, await wrapOf('bob'))
    const { stdout } = await exec('age', ['-d', '-i', bob.file, entry])
    expect(stdout.trim()).toBe((await ok(alice, ['key', 'export'])).trim())
  })

  it('start-up code (synchronous) opens the entry too, in a worker thread it waits for', async () => {
    const script = `
      import { resolveConfig } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/runtime.mjs')).href)}
      const config = resolveConfig({ token: '' }, { store: ${JSON.stringify(join(dir, 'secrets.enc.json'))}, file: 'config.yaml', refs: [[['token'], [{ secret: 'SHARED' }]]] })
      process.stdout.write(config.token)
    `
    const reader = await person('bob-server', { UNPLUGIN_SECRETS_AGE_KEY_FILE: bob.file })
    const result = await runNode(script, { cwd: dir, env: { ...reader.env, UNPLUGIN_SECRETS_KEY_DIR: join(TMP, 'no-keys') } })
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe(VALUE)
  })

  it('where the worker file is not beside the code (the package bundled into a server), start-up code says to use UNPLUGIN_SECRETS_KEY', async () => {
    const keyDir = process.env.UNPLUGIN_SECRETS_KEY_DIR
    process.env.UNPLUGIN_SECRETS_KEY_DIR = join(TMP, 'no-keys')
    process.env.UNPLUGIN_SECRETS_AGE_KEY_FILE = bob.file
    try {
      // The source module has no reader-worker.mjs beside it, as a bundled copy would not.
      expect(() => openStoreSync({ path: join(dir, 'secrets.enc.json'), readOnly: true })).toThrow(/the age identity cannot be used from here \(the package was bundled into the server\)\. Set UNPLUGIN_SECRETS_KEY/)
    }
    finally {
      process.env.UNPLUGIN_SECRETS_KEY_DIR = keyDir
      delete process.env.UNPLUGIN_SECRETS_AGE_KEY_FILE
    }
  })
})

describe('a reader with an SSH ed25519 key', () => {
  it('added by their .pub line, reads with the private key; the real age opens the entry with it', async () => {
    const key = join(TMP, 'carol_ed25519')
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'carol@laptop', '-f', key])
    await ok(alice, ['readers', 'add', 'carol', (await readFile(`${key}.pub`, 'utf8')).trim()])
    const carol = await person('carol', { UNPLUGIN_SECRETS_AGE_KEY_FILE: key })
    expect(await ok(carol, ['get', 'SHARED'])).toBe(`${VALUE}\n`)
    const entry = join(TMP, 'carol-entry.age')
    await writeFile(entry, await wrapOf('carol'))
    expect((await exec('age', ['-d', '-i', key, entry])).stdout).toMatch(/^usec_store_/)
  })
})

describe('revocation', () => {
  it('after readers rm and rotate, the reader\'s identity opens nothing new; an old copy of the store still opens (rotate the real credentials)', async () => {
    const dave = await ageKeygen('dave')
    await ok(alice, ['readers', 'add', 'dave', dave.recipient])
    const who = await person('dave', { UNPLUGIN_SECRETS_AGE_KEY_FILE: dave.file })
    expect(await ok(who, ['get', 'SHARED'])).toBe(`${VALUE}\n`)
    const before = await storeText()

    const removed = await cli(alice, ['readers', 'rm', 'dave'])
    expect(removed.stderr).toMatch(/Removed reader dave\. .* run unplugin-secrets rotate now/)
    await ok(alice, ['rotate'])
    await ok(alice, ['set', 'AFTER'], 'set-after-dave-left')
    // Remaining readers were given the new key by the rotation.
    expect(await ok(await person('bob-again', { UNPLUGIN_SECRETS_AGE_KEY_FILE: join(TMP, 'bob.txt') }), ['get', 'AFTER'])).toBe('set-after-dave-left\n')
    const refused = await cli(who, ['get', 'AFTER'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/Your age identity \(UNPLUGIN_SECRETS_AGE_KEY_FILE=.*dave\.txt, recipient age1\w+\) is not a reader of .* unplugin-secrets readers add <your-name> age1/)

    const old = await mkdtemp(join(TMP, 'old-checkout-'))
    await writeFile(join(old, 'secrets.enc.json'), before)
    expect((await runCli(['get', 'SHARED'], { cwd: old, env: who.env })).stdout).toBe(`${VALUE}\n`)
  })
})

describe('bad input leaves the store byte-identical', () => {
  it('an invalid recipient, a name or recipient twice, an unknown reader, no admin key', async () => {
    const before = await storeText()
    const cases: [string[], Person, number, RegExp][] = [
      [['readers', 'add', 'eve', 'age1notarecipient'], alice, 1, /RECIPIENT_INVALID|bad checksum or length/],
      [['readers', 'add', 'eve', 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ'], alice, 1, /Accepted: an age recipient/],
      [['readers', 'add', 'bob', 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'], alice, 1, /bob is already a reader/],
      [['readers', 'rm', 'nobody'], alice, 1, /"nobody" is not a reader of .* readers list/],
      [['readers', 'add', 'eve'], alice, 2, /readers add needs NAME and RECIPIENT/],
    ]
    const bob = (await readFile(join(TMP, 'bob.txt'), 'utf8'))
    const bobRecipient = /# public key: (age1\w+)/.exec(bob)![1]!
    cases.push([['readers', 'add', 'bob2', bobRecipient], alice, 1, /That recipient already belongs to reader bob/])
    const reader = await person('reader', { UNPLUGIN_SECRETS_AGE_KEY_FILE: join(TMP, 'bob.txt') })
    cases.push([['readers', 'add', 'eve', bobRecipient], reader, 1, /needs an admin key/])
    for (const [args, who, code, message] of cases) {
      const result = await cli(who, args)
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code)
      expect(result.stderr).toMatch(message)
      expect(await storeText()).toBe(before)
    }
  })

  it('a truncated or edited reader entry is refused before anything is decrypted; a wrong identity is not a reader', async () => {
    const path = join(dir, 'secrets.enc.json')
    const good = await storeText()
    const wrap = await wrapOf('bob')
    const bob = await person('bob-edit', { UNPLUGIN_SECRETS_AGE_KEY_FILE: join(TMP, 'bob.txt') })
    try {
      for (const damaged of [good.replace(JSON.stringify(wrap), JSON.stringify(wrap.slice(0, 200))), good.replace(JSON.stringify(wrap), JSON.stringify(wrap.replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA')))]) {
        expect(damaged).not.toBe(good)
        await writeFile(path, damaged)
        const result = await cli(bob, ['get', 'SHARED'])
        expect(result.code).toBe(1)
        expect(result.stderr).toMatch(/its content does not match the signature of admin "alice"/)
        expect(await storeText()).toBe(damaged)
      }
    }
    finally {
      await writeFile(path, good)
    }
    const stranger = await ageKeygen('stranger')
    const result = await cli(await person('stranger', { UNPLUGIN_SECRETS_AGE_KEY_FILE: stranger.file }), ['get', 'SHARED'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`is not a reader of .*Ask one of its admins \\(alice\\) to run: unplugin-secrets readers add <your-name> ${stranger.recipient}`))
    expect(result.stderr).not.toContain(VALUE)
  })

  it('the log records reader changes, and no command output holds a wrap', async () => {
    const log = await ok(alice, ['log'])
    expect(log).toMatch(/reader-add +bob/)
    expect(log).toMatch(/reader-remove +dave/)
    expect(log).not.toMatch(/BEGIN AGE/)
    await mkdir(join(TMP, 'x'), { recursive: true })
  })
})
