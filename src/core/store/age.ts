/**
 * Readers' own keys, in age's format: parse recipients and identities, wrap a text to one
 * recipient as an ASCII-armored age file (the real `age -d` opens it), and unwrap it again.
 * Built on typage (age-encryption); the ssh-ed25519 type is ours, in age-ssh.ts.
 */
import type { Identity, Recipient } from 'age-encryption'
import { SecretsError } from '../errors'
import { typage } from './age-lib'
import { UTF8_STRICT } from '../names'
import {
  KeyRejected,
  parseOpenSshPrivateKey,
  parseSshPublicKeyLine,
  sshEd25519Identity,
  sshEd25519Recipient,
  StanzaDamaged,
} from './age-ssh'

export type AgeKeyType = 'X25519' | 'ssh-ed25519'

/** A reader's public key, checked. Only parseRecipient makes one. */
export interface AgeRecipient {
  readonly type: AgeKeyType
  /** The form to record in the store: `age1…` in lower case, or `ssh-ed25519 AAAA…` without its comment. */
  readonly text: string
}

/** A reader's secret key. It holds no key material itself (printing it shows only the recipient). */
export interface AgeIdentity {
  readonly type: AgeKeyType
  /** The recipient this identity opens, in AgeRecipient's `text` form. */
  readonly recipient: string
}

// What typage needs, kept out of the objects callers hold, log and pass around.
const typageRecipients = new WeakMap<AgeRecipient, string | Recipient>()
const typageIdentities = new WeakMap<AgeIdentity, string | Identity>()

const ACCEPTED_RECIPIENTS = [
  'Accepted: an age recipient (age1…, printed by unplugin-secrets identity new or age-keygen)',
  'or an SSH ed25519 public key line (ssh-ed25519 AAAA…, the contents of ~/.ssh/id_ed25519.pub).',
].join(' ')

const ACCEPTED_IDENTITIES = [
  'Accepted: an age identity file (AGE-SECRET-KEY-1… lines, # comments and blank lines, as',
  'unplugin-secrets identity new and age-keygen write them) or an unencrypted OpenSSH ed25519',
  'private key (-----BEGIN OPENSSH PRIVATE KEY-----).',
].join(' ')

const IDENTITY_IS_SECRET = [
  'Give its recipient instead: unplugin-secrets identity show (or age-keygen -y FILE) prints it.',
  'If you pasted the identity where others can see it, make a new one.',
].join(' ')

const PRIVATE_KEY_IS_SECRET = [
  'Give its public key instead: the .pub file beside it (ssh-keygen -y -f KEY prints it).',
  'If you pasted the private key where others can see it, make a new one.',
].join(' ')

/** Enough to recognise a mistake, never the whole input (it may be a value pasted by mistake). */
function describeUnknownText(text: string): string {
  const shown = text.slice(0, Math.min(4, Math.floor(text.length / 4)))
  const start = shown ? ` starting "${JSON.stringify(shown).slice(1, -1)}…"` : ''
  return `text of ${text.length} characters${start} that is neither`
}

function classifyAgeRecipient(text: string): string {
  const lower = text.toLowerCase()
  if (text !== lower && text !== text.toUpperCase())
    return 'an age recipient in mixed case (a character was changed in copying)'
  const prefix = lower.slice(0, lower.lastIndexOf('1'))
  if (prefix === 'age1pq')
    return 'a post-quantum age recipient (age1pq1…), which age 1.1 and this package do not read yet'
  if (prefix === 'age1tag' || prefix === 'age1tagpq')
    return 'an age hardware-tag recipient (age1tag…), which needs an age plugin to open'
  if (prefix !== 'age') {
    return `an age plugin recipient${
      /^age1[a-z0-9]{1,20}$/.test(prefix) ? ` (${prefix}1…)` : ''
    }; plugins are not supported`
  }
  return ''
}

function x25519Recipient(text: string): AgeRecipient {
  const refusal = classifyAgeRecipient(text)
  if (refusal) throw new KeyRejected(refusal)
  const lower = text.toLowerCase()
  try {
    new (typage().Encrypter)().addRecipient(lower) // checks the bech32 checksum and the key length
  }
  catch {
    throw new KeyRejected('an age recipient with a bad checksum or length (a character was lost or changed in copying)')
  }
  return remember(typageRecipients, { type: 'X25519', text: lower }, lower)
}

function sshRecipient(line: string): AgeRecipient {
  const publicKey = parseSshPublicKeyLine(line)
  return remember(typageRecipients, { type: 'ssh-ed25519', text: publicKey.line }, sshEd25519Recipient(publicKey))
}

function remember<T extends object, V>(map: WeakMap<T, V>, object: T, value: V): T {
  map.set(Object.freeze(object), value)
  return object
}

function recipientForText(text: string): AgeRecipient {
  if (text === '') throw new KeyRejected('empty')
  // Secret keys first, wherever they stand: they get advice of their own and must never be echoed.
  if (/AGE-(?:SECRET-KEY|PLUGIN)-/i.test(text))
    throw new KeyRejected('an age identity: a secret key, not a recipient', IDENTITY_IS_SECRET)
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
    throw new KeyRejected('a private key, not a public key line', PRIVATE_KEY_IS_SECRET)
  if (/[\r\n]/.test(text)) throw new KeyRejected('several lines (give one recipient)')
  if (/^age1/i.test(text)) return x25519Recipient(text)
  if (/^(?:ssh-|ecdsa-|sk-)/.test(text)) return sshRecipient(text)
  if (text.startsWith('usec_'))
    throw new KeyRejected('an unplugin-secrets key (usec_…); readers are added with their own age recipient')
  throw new KeyRejected(describeUnknownText(text))
}

/**
 * Checks a reader's recipient: `age1…` (X25519) or an `ssh-ed25519 AAAA… [comment]` line.
 * `label` names it in errors ("The recipient for reader bob"); the input itself is never echoed whole.
 */
export function parseRecipient(text: string, label: string): AgeRecipient {
  try {
    return recipientForText(text.trim())
  }
  catch (error) {
    if (!(error instanceof KeyRejected)) throw error
    throw new SecretsError('RECIPIENT_INVALID', `${label} is ${error.phrase}. ${error.hint ?? ACCEPTED_RECIPIENTS}`)
  }
}

/** Encrypts `plaintext` to one recipient: an ASCII-armored age file (`-----BEGIN AGE ENCRYPTED FILE-----`). */
export async function wrapForRecipient(plaintext: string, recipient: AgeRecipient): Promise<string> {
  const target = typageRecipients.get(recipient)
  if (target === undefined) throw new TypeError('wrapForRecipient takes a recipient from parseRecipient')
  const encrypter = new (typage().Encrypter)()
  encrypter.addRecipient(target)
  return typage().armor.encode(await encrypter.encrypt(plaintext))
}

const ENCRYPTED_IDENTITY_HINT = [
  'unplugin-secrets cannot prompt for its passphrase. Use an unencrypted identity file with mode 600',
  '(unplugin-secrets identity new, or age-keygen -o FILE), or pass the identity in UNPLUGIN_SECRETS_AGE_KEY.',
].join(' ')

function pemIdentity(text: string): AgeIdentity {
  const label = /^-----BEGIN ([A-Z0-9 ]{1,40})-----/.exec(text)?.[1]
  if (label === 'AGE ENCRYPTED FILE')
    throw new KeyRejected('a passphrase-encrypted age identity file', ENCRYPTED_IDENTITY_HINT)
  if (label !== 'OPENSSH PRIVATE KEY') {
    const kind = label ? `a PEM "${label}" key` : 'a PEM file that is not a key'
    throw new KeyRejected(`${kind}, not an OpenSSH ed25519 private key (ssh-keygen -t ed25519)`)
  }
  const privateKey = parseOpenSshPrivateKey(text)
  return remember(
    typageIdentities,
    { type: 'ssh-ed25519', recipient: privateKey.publicKey.line },
    sshEd25519Identity(privateKey),
  )
}

async function identityLine(line: string): Promise<AgeIdentity> {
  if (line.startsWith('AGE-SECRET-KEY-PQ-'))
    throw new KeyRejected('a post-quantum age identity, which age 1.1 and this package do not read yet')
  if (line.startsWith('AGE-PLUGIN-')) throw new KeyRejected('an age plugin identity; plugins are not supported')
  if (/^(?:age1|ssh-|ecdsa-|sk-)/i.test(line))
    throw new KeyRejected('a recipient (a public key), not an identity: use the secret key file it belongs to')
  if (!line.startsWith('AGE-SECRET-KEY-1')) throw new KeyRejected('not an age identity')
  let recipient: string
  try {
    recipient = await typage().identityToRecipient(line)
  }
  catch {
    throw new KeyRejected('an AGE-SECRET-KEY-1… line with a bad checksum or length')
  }
  return remember(typageIdentities, { type: 'X25519', recipient }, line)
}

async function identityFileLines(text: string, source: string): Promise<AgeIdentity[]> {
  const identities: AgeIdentity[] = []
  const lines = text.split(/\r?\n/)
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    try {
      identities.push(await identityLine(line))
    }
    catch (error) {
      if (!(error instanceof KeyRejected)) throw error
      throw identityInvalid(`${source}:${index + 1}`, error)
    }
  }
  if (identities.length === 0) throw identityInvalid(source, new KeyRejected('empty: it holds no identity'))
  return identities
}

const identityInvalid = (where: string, error: KeyRejected): SecretsError =>
  new SecretsError('IDENTITY_INVALID', `${where}: ${error.phrase}. ${error.hint ?? ACCEPTED_IDENTITIES}`)

/**
 * Reads an age identity file (as age-keygen writes it) or an unencrypted OpenSSH ed25519 private key.
 * `source` names it in errors (a file path, an environment variable), never the key text.
 */
export async function parseIdentities(text: string, source: string): Promise<AgeIdentity[]> {
  const trimmed = text.trim()
  if (!trimmed.startsWith('-----BEGIN')) return identityFileLines(text, source) // untrimmed: line numbers stay right
  try {
    return [pemIdentity(trimmed)]
  }
  catch (error) {
    if (!(error instanceof KeyRejected)) throw error
    throw identityInvalid(source, error)
  }
}

const damaged = (label: string, why: string): SecretsError =>
  new SecretsError('READER_ENTRY_DAMAGED', [
    `${label} is damaged: ${why}.`,
    'Restore it from version control, or have an admin add the reader again.',
  ].join(' '))

/**
 * Opens an armored age file with the first identity that matches. `undefined` when none does
 * (the file is for someone else); a damaged file (truncated, edited, not age) is READER_ENTRY_DAMAGED.
 * An edited X25519 stanza also reads as "none matched": age's X25519 stanzas do not say whom they are for.
 */
export async function unwrapWithIdentities(
  armored: string,
  identities: readonly AgeIdentity[],
  label = 'The age file',
): Promise<string | undefined> {
  const decrypter = new (typage().Decrypter)()
  for (const identity of identities) {
    const secret = typageIdentities.get(identity)
    if (secret === undefined) throw new TypeError('unwrapWithIdentities takes identities from parseIdentities')
    decrypter.addIdentity(secret)
  }
  // typage asks identities in order and stops at the first that returns a key, so this last
  // one is asked only when the header parsed and no identity matched.
  let noneMatched = false
  decrypter.addIdentity({
    unwrapFileKey: () => {
      noneMatched = true
      return null
    },
  })
  let file: Uint8Array
  try {
    file = typage().armor.decode(armored)
  }
  catch {
    throw damaged(
      label,
      'it is not an ASCII-armored age file (its BEGIN/END AGE ENCRYPTED FILE lines or base64 are broken)',
    )
  }
  let plaintext: Uint8Array
  try {
    plaintext = await decrypter.decrypt(file)
  }
  catch (error) {
    if (noneMatched) return undefined
    throw damaged(
      label,
      error instanceof StanzaDamaged
        ? error.message
        : 'its header or content does not authenticate (truncated or edited)',
    )
  }
  try {
    return UTF8_STRICT.decode(plaintext)
  }
  catch {
    throw damaged(label, 'it decrypts to bytes that are not UTF-8 text')
  }
}

/** A new X25519 identity in age-keygen's file format, and its recipient. */
export async function newIdentityFile(now = new Date()): Promise<{ text: string, recipient: string }> {
  const identity = await typage().generateX25519Identity()
  const recipient = await typage().identityToRecipient(identity)
  const created = now.toISOString().replace(/\.\d{3}Z$/, 'Z')
  return { text: `# created: ${created}\n# public key: ${recipient}\n${identity}\n`, recipient }
}
