/**
 * Readers' age keys against the real tools: `age`, `age-keygen` and `ssh-keygen` (Debian's
 * age and openssh-client packages, installed by .ci/run). Every wrap we make is opened by
 * `age -d`, and every file `age -e` makes is opened by us, for X25519 and ssh-ed25519 keys.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { armor } from 'age-encryption'
import { beforeAll, describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/core/errors'
import type { AgeIdentity } from '../../src/core/store/age'
import { newIdentityFile, parseIdentities, parseRecipient, unwrapWithIdentities, wrapForRecipient } from '../../src/core/store/age'
import type { RunResult } from '../helpers'
import { runProcess, tempDir } from '../helpers'

const DIR = await tempDir('usec-age-')

const tool = (command: string, args: string[], input = ''): Promise<RunResult> => runProcess(command, args, { cwd: DIR, env: process.env, input })

async function ok(command: string, args: string[], input = ''): Promise<string> {
  const result = await tool(command, args, input)
  expect(result.code, `${command} ${args.join(' ')}: ${result.stderr}`).toBe(0)
  return result.stdout
}

const path = (name: string) => join(DIR, name)
const text = (name: string) => readFile(path(name), 'utf8')

/** Runs `act` and returns the SecretsError it throws (failing the test if it throws anything else or nothing). */
async function refusal(act: () => unknown): Promise<SecretsError> {
  try {
    await act()
  }
  catch (error) {
    expect(error).toBeInstanceOf(SecretsError)
    return error as SecretsError
  }
  throw new Error('expected a SecretsError')
}

/**
 * No run of 16 characters of `input` appears in `message`: the input may be a secret pasted
 * by mistake. An SSH line's leading type name (ssh-rsa, ecdsa-sha2-nistp256) may be named.
 */
function expectNoEcho(message: string, input: string): void {
  const data = input.replace(/^[\w.@-]+ /, '')
  for (let i = 0; i + 16 <= data.length; i++) expect(message).not.toContain(data.slice(i, i + 16))
}

const PLAINTEXT = 'usec_store_example-store-key-text ✓'

beforeAll(async () => {
  await Promise.all([
    ok('age-keygen', ['-o', path('alice.txt')]),
    ok('age-keygen', ['-o', path('mallory.txt')]),
    ok('age-keygen', ['-o', path('canary.txt')]),
    ok('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob@laptop', '-f', path('bob')]),
    ok('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path('carol')]),
    ok('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', path('locked')]),
    ok('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', path('rsa')]),
    ok('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-m', 'PEM', '-f', path('rsa-pem')]),
    ok('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', path('ecdsa')]),
  ])
})

const recipientOf = async (identityFile: string) => (await ok('age-keygen', ['-y', path(identityFile)])).trim()
const identitiesOf = async (file: string): Promise<AgeIdentity[]> => parseIdentities(await text(file), path(file))

describe('X25519 recipients and identities (age-keygen)', () => {
  it('reads an age-keygen file: one identity whose recipient is the one age-keygen -y prints', async () => {
    const identities = await identitiesOf('alice.txt')
    expect(identities).toEqual([{ type: 'X25519', recipient: await recipientOf('alice.txt') }])
  })

  it('wraps so that age -d -i identity.txt prints the plaintext', async () => {
    const recipient = parseRecipient(await recipientOf('alice.txt'), 'alice')
    const armored = await wrapForRecipient(PLAINTEXT, recipient)
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+\n-----END AGE ENCRYPTED FILE-----\n$/)
    expect(await ok('age', ['-d', '-i', path('alice.txt')], armored)).toBe(PLAINTEXT)
    expect(await unwrapWithIdentities(armored, await identitiesOf('alice.txt'))).toBe(PLAINTEXT)
  })

  it('opens what age -e -a -r age1… wrote', async () => {
    const armored = await ok('age', ['-e', '-a', '-r', await recipientOf('alice.txt')], PLAINTEXT)
    expect(await unwrapWithIdentities(armored, await identitiesOf('alice.txt'))).toBe(PLAINTEXT)
  })

  it('accepts an upper-case recipient, as age does, and records it in lower case', async () => {
    const lower = await recipientOf('alice.txt')
    expect(parseRecipient(`  ${lower.toUpperCase()}\n`, 'alice')).toEqual({ type: 'X25519', text: lower })
  })

  it('makes identity files in age-keygen\'s format that age reads', async () => {
    const { text: file, recipient } = await newIdentityFile(new Date('2025-01-02T03:04:05.678Z'))
    const lines = file.split('\n')
    expect(lines[0]).toBe('# created: 2025-01-02T03:04:05Z')
    expect(lines[1]).toBe(`# public key: ${recipient}`)
    expect(lines[2]).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/)
    expect(lines.slice(3)).toEqual([''])
    await writeFile(path('ours.txt'), file, { mode: 0o600 })
    expect(await recipientOf('ours.txt')).toBe(recipient)
    const armored = await wrapForRecipient(PLAINTEXT, parseRecipient(recipient, 'ours'))
    expect(await ok('age', ['-d', '-i', path('ours.txt')], armored)).toBe(PLAINTEXT)
  })

  it('reads several identities from one file, with comments, blank lines and CRLF', async () => {
    const combined = `# team file\r\n\r\n${await text('mallory.txt')}\n\n   \n${await text('alice.txt')}`
    const identities = await parseIdentities(combined, 'combined.txt')
    expect(identities.map(identity => identity.recipient)).toEqual([await recipientOf('mallory.txt'), await recipientOf('alice.txt')])
    const armored = await ok('age', ['-e', '-a', '-r', await recipientOf('alice.txt')], PLAINTEXT)
    expect(await unwrapWithIdentities(armored, identities)).toBe(PLAINTEXT)
  })
})

describe('ssh-ed25519 recipients and identities (ssh-keygen)', () => {
  it('reads a .pub line as a recipient, recorded without its comment', async () => {
    const line = (await text('bob.pub')).trim()
    expect(line).toMatch(/ bob@laptop$/)
    expect(parseRecipient(line, 'bob')).toEqual({ type: 'ssh-ed25519', text: line.replace(/ bob@laptop$/, '') })
  })

  it('wraps to id_ed25519.pub so that age -d -i id_ed25519 prints the plaintext', async () => {
    const armored = await wrapForRecipient(PLAINTEXT, parseRecipient(await text('bob.pub'), 'bob'))
    expect(await ok('age', ['-d', '-i', path('bob')], armored)).toBe(PLAINTEXT)
  })

  it('opens what age -e -a -R id_ed25519.pub wrote, with the private key', async () => {
    const armored = await ok('age', ['-e', '-a', '-R', path('bob.pub')], PLAINTEXT)
    const identities = await identitiesOf('bob')
    expect(identities).toEqual([{ type: 'ssh-ed25519', recipient: parseRecipient(await text('bob.pub'), 'bob').text }])
    expect(await unwrapWithIdentities(armored, identities)).toBe(PLAINTEXT)
  })

  it('finds its own stanza among other readers\' in a file age wrote to several', async () => {
    const armored = await ok('age', ['-e', '-a', '-R', path('carol.pub'), '-r', await recipientOf('alice.txt'), '-R', path('bob.pub')], PLAINTEXT)
    expect(await unwrapWithIdentities(armored, await identitiesOf('bob'))).toBe(PLAINTEXT)
    expect(await unwrapWithIdentities(armored, await identitiesOf('carol'))).toBe(PLAINTEXT)
    expect(await unwrapWithIdentities(armored, await identitiesOf('alice.txt'))).toBe(PLAINTEXT)
  })

  it('opens a wrap with the SSH key in UNPLUGIN_SECRETS_AGE_KEY form (the key text, not a path)', async () => {
    const armored = await wrapForRecipient(PLAINTEXT, parseRecipient(await text('bob.pub'), 'bob'))
    expect(await unwrapWithIdentities(armored, await parseIdentities(await text('bob'), 'UNPLUGIN_SECRETS_AGE_KEY'))).toBe(PLAINTEXT)
  })
})

describe('an identity that does not match', () => {
  it('is undefined, not an error, for X25519 and SSH keys alike', async () => {
    const toAlice = await wrapForRecipient(PLAINTEXT, parseRecipient(await recipientOf('alice.txt'), 'alice'))
    const toBob = await ok('age', ['-e', '-a', '-R', path('bob.pub')], PLAINTEXT)
    const strangers = [...await identitiesOf('mallory.txt'), ...await identitiesOf('carol')]
    expect(await unwrapWithIdentities(toAlice, strangers)).toBeUndefined()
    expect(await unwrapWithIdentities(toBob, strangers)).toBeUndefined()
    expect(await unwrapWithIdentities(toBob, [])).toBeUndefined()
  })
})

describe('a damaged age file', () => {
  const LABEL = 'The reader entry for alice in secrets.enc.json'

  async function expectDamaged(armored: string, identities: AgeIdentity[], why: RegExp) {
    const error = await refusal(() => unwrapWithIdentities(armored, identities, LABEL))
    expect(error.code).toBe('READER_ENTRY_DAMAGED')
    expect(error.message).toMatch(new RegExp(`^${LABEL} is damaged: `))
    expect(error.message).toMatch(why)
    expect(error.message).toMatch(/Restore it from version control, or have an admin add the reader again\.$/)
    expect(error.message).not.toContain(PLAINTEXT)
  }

  /** The raw age file behind an armored one, edited and armored again. */
  const reArmored = (armored: string, edit: (bytes: Uint8Array) => Uint8Array) => armor.encode(edit(armor.decode(armored)))
  const flipByte = (at: (bytes: Uint8Array) => number) => (bytes: Uint8Array) => {
    const copy = bytes.slice()
    copy[at(copy)]! ^= 0x01
    return copy
  }
  /** Another base64 character in the header's text, so the header still parses and only its meaning changes. */
  const otherBase64Char = (at: (bytes: Uint8Array) => number) => (bytes: Uint8Array) => {
    const copy = bytes.slice()
    const i = at(copy)
    copy[i] = copy[i] === 0x41 ? 0x42 : 0x41 // 'A' ↔ 'B'
    return copy
  }
  /** Offset of the 4th base64 character of the body line after the stanza that starts with `stanza`. */
  const stanzaBody = (stanza: string) => (bytes: Uint8Array) => Buffer.from(bytes).indexOf('\n', Buffer.from(bytes).indexOf(stanza)) + 4
  const headerEnd = (bytes: Uint8Array) => Buffer.from(bytes).indexOf('\n---') + 1

  it('cut short in the armor', async () => {
    const armored = await wrapForRecipient(PLAINTEXT, parseRecipient(await recipientOf('alice.txt'), 'alice'))
    await expectDamaged(armored.slice(0, armored.length / 2), await identitiesOf('alice.txt'), /not an ASCII-armored age file/)
  })

  it('cut short in the payload', async () => {
    const armored = await wrapForRecipient(PLAINTEXT, parseRecipient(await recipientOf('alice.txt'), 'alice'))
    await expectDamaged(reArmored(armored, bytes => bytes.slice(0, -5)), await identitiesOf('alice.txt'), /does not authenticate/)
  })

  it('edited in the payload, in the header MAC, or in the armor', async () => {
    const armored = await wrapForRecipient(PLAINTEXT, parseRecipient(await recipientOf('alice.txt'), 'alice'))
    const identities = await identitiesOf('alice.txt')
    await expectDamaged(reArmored(armored, flipByte(bytes => bytes.length - 3)), identities, /does not authenticate/)
    await expectDamaged(reArmored(armored, otherBase64Char(bytes => headerEnd(bytes) + 6)), identities, /does not authenticate/)
    const line = armored.split('\n')[2]!
    await expectDamaged(armored.replace(line, `${line.slice(0, 10)}*${line.slice(11)}`), identities, /not an ASCII-armored age file/)
  })

  it('edited in the ssh-ed25519 stanza addressed to the identity', async () => {
    const armored = await ok('age', ['-e', '-a', '-R', path('bob.pub')], PLAINTEXT)
    await expectDamaged(reArmored(armored, otherBase64Char(stanzaBody('-> ssh-ed25519'))), await identitiesOf('bob'), /the ssh-ed25519 stanza for this key does not decrypt/)
  })

  it('not an age file at all', async () => {
    await expectDamaged('hello', await identitiesOf('alice.txt'), /not an ASCII-armored age file/)
    await expectDamaged(armor.encode(new TextEncoder().encode('age-encryption.org/v1\n-> X25519\n')), await identitiesOf('alice.txt'), /does not authenticate/)
  })

  it('reads as "not for this identity" when an X25519 stanza is edited: age\'s X25519 stanzas do not say whom they are for', async () => {
    const armored = await wrapForRecipient(PLAINTEXT, parseRecipient(await recipientOf('alice.txt'), 'alice'))
    expect(await unwrapWithIdentities(reArmored(armored, otherBase64Char(stanzaBody('-> X25519'))), await identitiesOf('alice.txt'))).toBeUndefined()
  })
})

describe('invalid recipients', () => {
  const ACCEPTED = /Accepted: an age recipient \(age1…, printed by unplugin-secrets identity new or age-keygen\) or an SSH ed25519 public key line \(ssh-ed25519 AAAA…, the contents of ~\/\.ssh\/id_ed25519\.pub\)\.$/
  const ed25519Line = (key: Uint8Array) => {
    const field = (bytes: Uint8Array) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes])
    return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(key)]).toString('base64')}`
  }

  const upperFirstLetter = (recipient: string) => `age1${recipient.slice(4).replace(/[a-z]/, c => c.toUpperCase())}`

  it.each([
    ['empty', () => '', /^The recipient for reader bob is empty\. /],
    ['blank', () => ' \n\t ', /is empty\./],
    ['garbage', () => 'hunter2-my-database-password-9f8e7d', /is text of 35 characters starting "hunt…" that is neither\. /],
    ['an SSH RSA key', async () => text('rsa.pub'), /is an SSH RSA key \(ssh-rsa\)\. /],
    ['an SSH ECDSA key', async () => text('ecdsa.pub'), /is an SSH ECDSA key \(ecdsa-sha2-nistp256\)\. /],
    ['a FIDO key', () => 'sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIA== me', /is an SSH security-key \(FIDO\) key \(sk-ssh-ed25519@openssh\.com\)\. /],
    ['ssh-ed25519 with broken base64', () => 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI!!!', /is an ssh-ed25519 line whose key data is damaged/],
    ['ssh-ed25519 with an RSA blob', async () => (await text('rsa.pub')).replace('ssh-rsa', 'ssh-ed25519'), /is an SSH RSA key \(ssh-rsa\)\. /],
    ['ssh-ed25519 with a short key', () => ed25519Line(new Uint8Array(31).fill(7)), /key data is damaged/],
    ['ssh-ed25519 with a low-order point', () => ed25519Line(new Uint8Array(32)), /key data is damaged/],
    ['ssh-ed25519 with the identity point', () => ed25519Line(Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0))), /key data is damaged/],
    ['an age recipient with a typo', async () => (await recipientOf('alice.txt')).replace(/.$/, c => (c === 'q' ? 'p' : 'q')), /bad checksum or length/],
    ['an age recipient in mixed case', async () => upperFirstLetter(await recipientOf('alice.txt')), /in mixed case/],
    ['a post-quantum recipient', () => `age1pq1${'q'.repeat(1900)}`, /is a post-quantum age recipient \(age1pq1…\), which age 1\.1 and this package do not read yet\. /],
    ['a tag recipient', () => `age1tag1${'q'.repeat(60)}`, /hardware-tag recipient/],
    ['a plugin recipient', () => `age1yubikey1${'q'.repeat(60)}`, /is an age plugin recipient \(age1yubikey1…\); plugins are not supported\. /],
    ['a store key', () => `usec_store_${'A'.repeat(92)}`, /is an unplugin-secrets key \(usec_…\); readers are added with their own age recipient\. /],
    ['two recipients', async () => `${await recipientOf('alice.txt')}\n${await recipientOf('mallory.txt')}`, /is several lines \(give one recipient\)\. /],
  ])('%s: RECIPIENT_INVALID, says what is accepted, echoes no more than a prefix', async (_, input, why) => {
    const value = await input()
    const error = await refusal(() => parseRecipient(value, 'The recipient for reader bob'))
    expect(error.code).toBe('RECIPIENT_INVALID')
    expect(error.message).toMatch(/^The recipient for reader bob is /)
    expect(error.message).toMatch(why)
    expect(error.message).toMatch(ACCEPTED)
    expectNoEcho(error.message, value)
  })

  it('an age identity pasted by mistake: says to give its recipient and to replace it, never shows it', async () => {
    const canary = (await text('canary.txt')).split('\n').find(line => line.startsWith('AGE-SECRET-KEY-1'))!
    for (const input of [canary, canary.toLowerCase(), await text('canary.txt')]) {
      const error = await refusal(() => parseRecipient(input, 'The recipient for reader bob'))
      expect(error.code).toBe('RECIPIENT_INVALID')
      expect(error.message).toContain('is an age identity: a secret key, not a recipient.')
      expect(error.message).toContain('unplugin-secrets identity show (or age-keygen -y FILE) prints it. If you pasted the identity where others can see it, make a new one.')
      expect(error.message).not.toContain(canary.slice(16, 32))
      expectNoEcho(error.message.toUpperCase(), canary)
    }
  })

  it('a private key pasted instead of the .pub: says to give the .pub, never shows it', async () => {
    const key = await text('bob')
    const error = await refusal(() => parseRecipient(key, 'The recipient for reader bob'))
    expect(error.code).toBe('RECIPIENT_INVALID')
    expect(error.message).toBe([
      'The recipient for reader bob is a private key, not a public key line.',
      'Give its public key instead: the .pub file beside it (ssh-keygen -y -f KEY prints it).',
      'If you pasted the private key where others can see it, make a new one.',
    ].join(' '))
  })
})

describe('invalid identities', () => {
  const ACCEPTED = 'Accepted: an age identity file (AGE-SECRET-KEY-1… lines, # comments and blank lines, as unplugin-secrets identity new and age-keygen write them) or an unencrypted OpenSSH ed25519 private key (-----BEGIN OPENSSH PRIVATE KEY-----).'
  let canary: string

  beforeAll(async () => {
    canary = (await text('canary.txt')).split('\n').find(line => line.startsWith('AGE-SECRET-KEY-1'))!
  })

  async function expectInvalid(input: string, source: string, message: string | RegExp) {
    const error = await refusal(() => parseIdentities(input, source))
    expect(error.code).toBe('IDENTITY_INVALID')
    if (typeof message === 'string') expect(error.message).toBe(message)
    else expect(error.message).toMatch(message)
    expect(error.message).not.toContain(canary.slice(16))
    return error
  }

  it('a passphrase-protected SSH key: says why and what to use instead, shows no key', async () => {
    const key = await text('locked')
    const error = await expectInvalid(key, path('locked'), [
      `${path('locked')}: an SSH ed25519 key protected by a passphrase.`,
      'unplugin-secrets reads keys without a prompt (builds run unattended), so it cannot use it.',
      'Make an age identity instead (unplugin-secrets identity new, or age-keygen) and have an admin add its recipient.',
    ].join(' '))
    expectNoEcho(error.message, key)
  })

  it.each([
    ['an RSA key in OpenSSH format', 'rsa', /^\S+: an SSH RSA key \(ssh-rsa\)\. Accepted: /],
    ['an ECDSA key', 'ecdsa', /^\S+: an SSH ECDSA key \(ecdsa-sha2-nistp256\)\. Accepted: /],
    ['an RSA key in PEM format', 'rsa-pem', /^\S+: a PEM "RSA PRIVATE KEY" key, not an OpenSSH ed25519 private key \(ssh-keygen -t ed25519\)\. Accepted: /],
  ])('%s: IDENTITY_INVALID', async (_, file, why) => {
    await expectInvalid(await text(file), path(file), why)
  })

  it('a truncated or edited SSH key: damaged, nothing echoed', async () => {
    const key = await text('bob')
    const lines = key.trim().split('\n')
    const truncated = [...lines.slice(0, 3), lines.at(-1)!].join('\n')
    const line = lines[3]!
    const edited = key.replace(line, `${line.slice(0, 8)}${line[8] === 'A' ? 'B' : 'A'}${line.slice(9)}`)
    for (const input of [truncated, edited]) {
      const error = await expectInvalid(input, 'UNPLUGIN_SECRETS_AGE_KEY', /^UNPLUGIN_SECRETS_AGE_KEY: an OpenSSH private key that is damaged or truncated\. Accepted: /)
      expectNoEcho(error.message, input.replace(/-----[A-Z ]+-----/g, ''))
    }
  })

  it('a public key where the identity belongs', async () => {
    await expectInvalid(await text('bob.pub'), 'id.txt', `id.txt:1: a recipient (a public key), not an identity: use the secret key file it belongs to. ${ACCEPTED}`)
    await expectInvalid(`# mine\n${await recipientOf('alice.txt')}\n`, 'id.txt', /^id\.txt:2: a recipient \(a public key\)/)
  })

  it('a bad line names its line number and never shows the identity lines around it', async () => {
    await expectInvalid(`# created\n${canary}\nnot-a-key\n`, 'id.txt', `id.txt:3: not an age identity. ${ACCEPTED}`)
    await expectInvalid(`\n\n  \n${canary}\r\nnot-a-key\n`, 'id.txt', /^id\.txt:5: not an age identity\./)
    const typo = canary.replace(/.$/, c => (c === 'Q' ? 'P' : 'Q'))
    await expectInvalid(`${canary}\n${typo}\n`, 'UNPLUGIN_SECRETS_AGE_KEY', `UNPLUGIN_SECRETS_AGE_KEY:2: an AGE-SECRET-KEY-1… line with a bad checksum or length. ${ACCEPTED}`)
    await expectInvalid(canary.toLowerCase(), 'id.txt', /^id\.txt:1: not an age identity\./)
  })

  it.each([
    ['empty', '', /^id\.txt: empty: it holds no identity\. Accepted: /],
    ['comments only', '# created: now\n# public key: age1…\n', /^id\.txt: empty: it holds no identity\./],
    ['a post-quantum identity', `AGE-SECRET-KEY-PQ-1${'Q'.repeat(58)}`, /^id\.txt:1: a post-quantum age identity, which age 1\.1 and this package do not read yet\./],
    ['a plugin identity', `AGE-PLUGIN-YUBIKEY-1${'Q'.repeat(58)}`, /^id\.txt:1: an age plugin identity; plugins are not supported\./],
    ['a passphrase-encrypted identity file', '-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----', /^id\.txt: a passphrase-encrypted age identity file\. unplugin-secrets cannot prompt for its passphrase\. Use an unencrypted identity file with mode 600 \(unplugin-secrets identity new, or age-keygen -o FILE\), or pass the identity in UNPLUGIN_SECRETS_AGE_KEY\.$/],
    ['a PEM certificate', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', /^id\.txt: a PEM "CERTIFICATE" key, not an OpenSSH ed25519 private key/],
  ])('%s: IDENTITY_INVALID', async (_, input, why) => {
    await expectInvalid(input, 'id.txt', why)
  })

  it('identities hold no key material where they can be printed', async () => {
    const identities = await parseIdentities(`${canary}\n${await text('alice.txt')}`, 'id.txt')
    for (const shown of [JSON.stringify(identities), inspect(identities, { showHidden: true, depth: 10 }), String(identities)]) {
      expect(shown).not.toContain(canary.slice(16, 40))
      expect(shown).not.toContain('AGE-SECRET-KEY')
    }
    const ssh = await identitiesOf('bob')
    expect(inspect(ssh, { showHidden: true, depth: 10 })).not.toMatch(/seed|Uint8Array/)
  })

  it('a recipient or identity object not made by this module is refused', async () => {
    await expect(wrapForRecipient('x', { type: 'X25519', text: await recipientOf('alice.txt') })).rejects.toThrow(/takes a recipient from parseRecipient/)
    await expect(unwrapWithIdentities('x', [{ type: 'X25519', recipient: 'age1' }])).rejects.toThrow(/takes identities from parseIdentities/)
  })
})
