/**
 * `show FILE`: a store as stable, redacted text, for reviewers and for git's
 * textconv (git diff, git log -p). No key, no rollback check, never a value.
 */
import { basename } from 'node:path'
import { SecretsError } from '../../core/errors'
import { readTextFile } from '../../core/store/files'
import type { AuditEntry, StoreFile } from '../../core/store/format'
import { canonicalEntry, parseStoreFile, secretRecordHash } from '../../core/store/format'
import { sha256Hex, toHex } from '../../core/store/encoding'
import { parsePublicKey } from '../../core/store/keys'
import { readMemory, verifiedHeads } from '../../core/store/history'
import { verifyReplayed } from '../../core/store/trust'
import type { Command } from '../command'
import { printable } from '../io'

export const show: Command = {
  name: 'show',
  summary: 'print a store as redacted text: '
    + 'names, versions, admins and the audit trail, never a value (git\'s diff driver)',
  usage: 'show FILE',
  details: [
    '  Prints the store id, revision, admins, readers, one line per secret and one',
    '  per audit entry; hashes and keys are shortened hex. Needs no key and makes',
    '  no rollback check (git runs it on every old version); checks the signatures',
    '  it can check without a key and says whether they hold. A damaged file is',
    '  shown as damaged. Exit 0 unless FILE cannot be read.',
  ].join('\n'),
  example: 'unplugin-secrets show secrets.enc.json',
  options: {},
  positionals: [1, 1],
  async run({ positionals }) {
    const path = positionals[0]!
    const text = await readTextFile(path)
    if (text === undefined) throw new SecretsError('STORE_NOT_FOUND', `No file at ${path} to show.`)
    // git passes temporary copies: name the file by its base name, so the text is the same for every copy.
    process.stdout.write(`${redactedStore(text, basename(path)).join('\n')}\n`)
  },
}

/** Hex shortened to what a reviewer compares by eye. */
const short = (hex: string | undefined): string => (hex ? hex.slice(0, 12) : '-')

/** The store as lines of escaped text; whatever the file holds, this returns (a broken file says so). */
export function redactedStore(text: string, label: string): string[] {
  let file: StoreFile
  try {
    file = parseStoreFile(text, label)
  }
  catch (error) {
    return [
      `${label}: not a readable store: ${printable((error as Error).message)}`,
      `${text.split('\n').length} lines, sha256 ${short(sha256Hex(text))}`,
    ]
  }
  try {
    return storeLines(file, label)
  }
  catch (error) {
    return [`${label}: a store this version cannot show: ${printable((error as Error).message)}`]
  }
}

function storeLines(file: StoreFile, label: string): string[] {
  const hashes = new Map(file.audit.map(entry => [sha256Hex(canonicalEntry(entry)), entry]))
  return [
    `store ${file.id}  format ${printable(file.format)}  revision ${file.revision}  key id ${file.keyId}`,
    `signatures: ${signatureStatus(file, label)}`,
    'admins:',
    ...[...file.admins].sort(byName).map(([name, admin]) =>
      [
        `  ${printable(name)}  key ${publicKeyHex(admin.publicKey)}`,
        ` added by ${printable(admin.addedBy)} at ${admin.addedAt}`,
      ].join(' ')),
    `readers:${file.readers.size ? '' : ' none'}`,
    ...[...file.readers].sort(byName).map(([name, reader]) =>
      `  ${printable(name)}  ${printable(shortRecipient(reader.recipient))}`
      + `  added by ${printable(reader.addedBy)} at ${reader.addedAt}`),
    `secrets:${file.secrets.size ? '' : ' none'}`,
    ...[...file.secrets].sort(byName).map(([name, secret]) =>
      `  ${printable(name)}  v${secret.version}  updated by ${printable(secret.updatedBy)} at ${secret.updatedAt}`
      + `  record ${short(secretRecordHash(secret))}`
      + `${secret.description === undefined ? '' : `  ${printable(JSON.stringify(secret.description))}`}`),
    'audit:',
    ...file.audit.map(
      entry => `  #${entry.seq}  ${entry.at}  ${printable(entry.admin)}  ${printable(entryLine(entry, hashes))}`,
    ),
  ]
}

const byName = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0)

/** What a reviewer without a key can know: the trail, every entry's signature, the admins' signature over the file. */
function signatureStatus(file: StoreFile, label: string): string {
  try {
    // Signatures this machine checked before (up to a head it remembers) are not checked again: git
    // log -p runs this per version.
    verifyReplayed(file, label, { verified: verifiedHeads(readMemory(file.id)) })
    return `ok (file signed by ${printable(file.signature.admin)}; the seal and the values need the store key)`
  }
  catch (error) {
    return `BROKEN: ${printable((error as Error).message)}`
  }
}

function publicKeyHex(text: string): string {
  try {
    return short(toHex(parsePublicKey(text)))
  }
  catch {
    return '(malformed)'
  }
}

/** An age recipient or SSH key line, cut to its kind and a short prefix (enough to tell two apart). */
const shortRecipient = (recipient: string): string => {
  const [kind = '', body = ''] = recipient.startsWith('age1') ? ['age', recipient.slice(4)] : recipient.split(' ')
  return `${kind} ${body.slice(0, 12)}…`
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`

/** One audit entry in words: the action, its name, and for a rotate, upgrade or merge what it did. */
function entryLine(entry: AuditEntry, hashes: Map<string, AuditEntry>): string {
  const name = entry.name === undefined ? '' : ` ${entry.name}`
  const reencrypted = `${count(Object.keys(entry.records ?? {}).length, 'value')} re-encrypted${
    entry.readers && Object.keys(entry.readers).length
      ? `, ${count(Object.keys(entry.readers).length, 'reader')} re-wrapped`
      : ''
  }`
  switch (entry.action) {
    case 'init':
      return `init${name} (store ${short(entry.store)}, key id ${entry.keyId})`
    case 'rotate':
      return `rotate (key id ${entry.keyId}, ${reencrypted})`
    case 'upgrade':
      return `upgrade to format v2 (${count(Object.keys(entry.records ?? {}).length, 'record')} committed)`
    case 'merge': {
      const side = (hash: string | undefined) => `#${hashes.get(hash ?? '')?.seq ?? '?'} ${short(hash)}`
      const chose = Object.entries(entry.choose ?? {}).sort(byName).map(([secret, choice]) => `${choice} for ${secret}`)
      const rekeyed = entry.records || entry.readers ? `; ${reencrypted}` : ''
      return [
        `merge (ours ${side(entry.prev)}, theirs ${side(entry.merged)}, base ${side(entry.base)};`,
        `key id ${entry.keyId}${rekeyed}${chose.length ? `; chose ${chose.join(', ')}` : ''})`,
      ].join(' ')
    }
    case 'admin-add':
      return `admin-add${name} (key ${publicKeyHex(entry.publicKey ?? '')})`
    case 'reader-add':
      return `reader-add${name} (${shortRecipient(entry.recipient ?? '')})`
    default:
      return `${entry.action}${name}${entry.record ? ` (record ${short(entry.record)})` : ''}`
  }
}
