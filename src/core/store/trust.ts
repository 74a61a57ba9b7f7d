/**
 * Whether a reader may trust a store file: its key, its trust root, its
 * replayed audit trail, every entry's signature and the file's own signature.
 */
import { SecretsError } from '../errors'
import type { AdminKey, StoreKey } from './keys'
import { parsePublicKey } from './keys'
import { dataKeyId, macMatches, revisionMac, signMessage, verifyMessage, verifyMessageAsync } from './crypto'
import { bytesEqual, sha256, sha256Hex } from './encoding'
import type { AuditEntry, CanonicalTexts, StoreFile } from './format'
import {
  auditSignedContent,
  canonicalEntry,
  readerRecordHash,
  secretRecordHash,
  signedDigest,
  STORE_FORMAT_V1,
  storeAdmins,
} from './format'
import type { PendingSignature, Trail, TrailState } from './replay'
import { replayTrail, tampered, untrusted } from './replay'

/** The fingerprint a store key carries: SHA-256 of the signed genesis entry. */
export const trustRootOf = (genesis: AuditEntry): Uint8Array => sha256(canonicalEntry(genesis))

export const entryHash = (entry: AuditEntry, text = canonicalEntry(entry)): string => sha256Hex(text)

export const signAuditEntry = (key: AdminKey, entry: Omit<AuditEntry, 'sig'>): AuditEntry =>
  ({ ...entry, sig: signMessage(key.secretKey, 'audit', auditSignedContent(entry)) })

/** Signs a revision as `admin` and seals it with the data key. */
export function signStore(
  key: AdminKey,
  admin: string,
  dataKey: Uint8Array,
  file: Omit<StoreFile, 'signature'>,
): StoreFile {
  const digest = signedDigest(file)
  return {
    ...file,
    signature: { admin, sig: signMessage(key.secretKey, 'store', digest), mac: revisionMac(dataKey, file.id, digest) },
  }
}

export interface VerifyOptions {
  /** Check every audit entry's signature, also those verified on this machine before (what `verify` does). */
  full?: boolean
  /** How messages name the key, e.g. "The store key in UNPLUGIN_SECRETS_KEY". */
  keySource?: string
  /** Audit heads this machine verified before: their entries' signatures are not checked again. */
  verified?: Iterable<string>
}

/**
 * Decides whether a reader holding `storeKey` may trust `file`: the key
 * matches, the audit trail descends from the key's trust root and replays
 * to exactly the admins, secrets and readers in the file (each change signed
 * by an admin of that moment), and a current admin signed and sealed the
 * whole file. Returns the trail (entry hashes and head) for the rollback check.
 */
export function verifyStore(file: StoreFile, storeKey: StoreKey, path: string, options: VerifyOptions = {}): Trail {
  const { replay, known } = replayForKey(file, storeKey, path, options)
  checkSignatures(file, replay.signatures, path)
  checkAgainstTrail(file, replay.state, path, known, storeKey)
  return replay.trail
}

/** verifyStore with the entry signatures checked in node's thread pool (in parallel): what opening a store does. */
export async function verifyStoreAsync(
  file: StoreFile,
  storeKey: StoreKey,
  path: string,
  options: VerifyOptions = {},
): Promise<Trail> {
  const { replay, known } = replayForKey(file, storeKey, path, options)
  await checkSignaturesAsync(file, replay.signatures, path)
  checkAgainstTrail(file, replay.state, path, known, storeKey)
  return replay.trail
}

function replayForKey(file: StoreFile, storeKey: StoreKey, path: string, options: VerifyOptions) {
  checkKey(file, storeKey, path, options.keySource ?? 'The store key')
  const known: CanonicalTexts = new Map()
  return { replay: replayTrail(file, path, known, options.full ? [] : options.verified), known }
}

/**
 * The checks that need no key, for reviewers and pull-request checks: the
 * trail (its graph, its replay, every entry's signature), the admins'
 * signature over the file and every record against the trail. Not the seal
 * (it needs the data key), not the ciphertexts, and not the trust root: the
 * caller compares the genesis entry with a version it trusts.
 */
export function verifyWithoutKey(file: StoreFile, path: string): Trail {
  const known: CanonicalTexts = new Map()
  const { trail, state, signatures } = replayTrail(file, path, known)
  checkSignatures(file, signatures, path)
  checkAgainstTrail(file, state, path, known)
  return trail
}

/** What a verified file's trail gives: its graph, the state it replays to, and the states asked for. */
export interface Verified {
  trail: Trail
  state: TrailState
  /** The state as of each entry in `keep` (by hash): a merge's base. */
  kept: Map<string, TrailState>
}

/**
 * verifyStore (given `storeKey`) or verifyWithoutKey (without), returning the
 * replayed states too: a merge reads its sides' and its base's states here.
 */
export function verifyReplayed(
  file: StoreFile,
  path: string,
  options: VerifyOptions & { storeKey?: StoreKey, keep?: Iterable<string> } = {},
): Verified {
  if (options.storeKey) checkKey(file, options.storeKey, path, options.keySource ?? 'The store key')
  const known: CanonicalTexts = new Map()
  const { trail, state, signatures, kept } = replayTrail(
    file,
    path,
    known,
    options.full ? [] : options.verified,
    options.keep,
  )
  checkSignatures(file, signatures, path)
  checkAgainstTrail(file, state, path, known, options.storeKey)
  return { trail, state, kept }
}

function checkKey(file: StoreFile, storeKey: StoreKey, path: string, keySource: string): void {
  const keyId = dataKeyId(storeKey.dataKey)
  const genesis = file.audit[0]!
  const genesisOk = genesis.action === 'init' && bytesEqual(trustRootOf(genesis), storeKey.trustRoot)
  if (keyId !== file.keyId) {
    const retired = file.audit.find(entry => entry.keyId === keyId)
    if (retired && genesisOk) {
      const rotation = file.audit.find(entry => entry.action === 'rotate' && entry.seq > retired.seq)
      throw new SecretsError('WRONG_KEY', [
        `${keySource} was retired${rotation ? ` when ${rotation.admin} rotated the store at ${rotation.at}` : ''}.`,
        `It no longer opens ${path};`,
        `get the current key from an admin (${storeAdmins(file)}: unplugin-secrets key export)`,
        'and update UNPLUGIN_SECRETS_KEY or run unplugin-secrets key import.',
      ].join(' '))
    }
    throw new SecretsError('WRONG_KEY', [
      `${keySource} does not open ${path}: it belongs to another store or was mistyped.`,
      `Use this store's key (store id ${file.id}):`,
      `an admin (${storeAdmins(file)}) can print it with unplugin-secrets key export.`,
    ].join(' '))
  }
  if (!genesisOk) {
    throw untrusted(path, [
      'its first audit entry is not the trust root this store key was made for',
      '(the admin list was replaced)',
    ].join(' '))
  }
}

function publicKeyOf(text: string, entry: AuditEntry, index: number, path: string): Uint8Array {
  try {
    return parsePublicKey(text)
  }
  catch {
    throw untrusted(path, `audit entry ${index + 1} (${entry.action}) holds a malformed public key`)
  }
}

/** Checks the queued audit entry signatures, in file order (the first bad one is reported). */
export function checkSignatures(file: StoreFile, signatures: PendingSignature[], path: string): void {
  const keyOf = signerKeys(file, path)
  for (const signature of signatures) {
    if (!verifyMessage(keyOf(signature), 'audit', signature.content, signature.sig))
      throw badSignature(file, signature, path)
  }
}

/** Below this many, the thread pool's overhead is not worth it. */
const PARALLEL_SIGNATURES = 32

async function checkSignaturesAsync(file: StoreFile, signatures: PendingSignature[], path: string): Promise<void> {
  if (signatures.length < PARALLEL_SIGNATURES) return checkSignatures(file, signatures, path)
  const keyOf = signerKeys(file, path)
  const results = await Promise.all(signatures.map(signature =>
    verifyMessageAsync(keyOf(signature), 'audit', signature.content, signature.sig)))
  const bad = results.indexOf(false)
  if (bad >= 0) throw badSignature(file, signatures[bad]!, path)
}

/** Each signer's public key, parsed once. */
function signerKeys(file: StoreFile, path: string): (signature: PendingSignature) => Uint8Array {
  const keys = new Map<string, Uint8Array>()
  return ({ index, publicKey }) => {
    let key = keys.get(publicKey)
    if (!key) keys.set(publicKey, key = publicKeyOf(publicKey, file.audit[index]!, index, path))
    return key
  }
}

function badSignature(file: StoreFile, { index }: PendingSignature, path: string) {
  const entry = file.audit[index]!
  return untrusted(path, [
    `the signature of audit entry ${index + 1}`,
    `(${entry.action} by "${entry.admin}") does not verify`,
  ].join(' '))
}

/**
 * The file as signed (and sealed, given the key) must be what the trail says:
 * admins, secrets and readers, key id, revision.
 */
function checkAgainstTrail(
  file: StoreFile,
  state: TrailState,
  path: string,
  known: CanonicalTexts,
  storeKey?: StoreKey,
): void {
  const sameAdmins = file.admins.size === state.admins.size
    && [...state.admins].every(([name, admin]) => file.admins.get(name)?.publicKey === admin.publicKey)
  if (!sameAdmins)
    throw untrusted(path, 'its admin list differs from the admin changes signed in its audit trail')

  const signer = state.admins.get(file.signature.admin)
  if (!signer) throw untrusted(path, `it was signed by "${file.signature.admin}", who is not one of its admins`)
  const digest = signedDigest(file, known)
  if (!verifyMessage(parsePublicKey(signer.publicKey), 'store', digest, file.signature.sig)) {
    throw tampered(path, [
      `its content does not match the signature of admin "${file.signature.admin}"`,
      '(a value, a name, metadata or the audit trail was changed, or entries were spliced from two versions)',
    ].join(' '))
  }
  if (storeKey && !macMatches(revisionMac(storeKey.dataKey, file.id, digest), file.signature.mac)) {
    throw untrusted(path, [
      `this revision was signed by "${file.signature.admin}" without the current store key`,
      '(a fork by someone who lacks it, such as an admin removed before the last rotation)',
    ].join(' '))
  }
  if (state.keyId !== file.keyId)
    throw tampered(path, 'its key id differs from the one its last rotation recorded')
  checkRecords(file, state, path, known)
}

/**
 * Every admin, secret and reader record must be the one its last audit entry
 * wrote: same metadata, and (from format v2 on) the same bytes, by hash.
 */
export function checkRecords(file: StoreFile, state: TrailState, path: string, known?: CanonicalTexts): void {
  for (const [name, admin] of state.admins) {
    const record = file.admins.get(name)!
    if (record.addedAt !== admin.addedAt || record.addedBy !== admin.addedBy)
      throw tampered(path, `admin ${name}'s addedAt or addedBy differs from the audit entry that added them`)
  }
  const v2 = file.format !== STORE_FORMAT_V1
  if (v2 && state.legacy)
    throw tampered(path, 'its audit trail was never upgraded to format v2, yet the file is in that format')
  for (const name of file.secrets.keys()) {
    if (!state.secrets.has(name)) throw tampered(path, `secret ${name} is in the file, but no audit entry created it`)
  }
  for (const [name, expected] of state.secrets) {
    const record = file.secrets.get(name)
    if (!record) throw tampered(path, `secret ${name} was removed without an audit entry`)
    if (
      record.version !== expected.version
      || record.createdAt !== expected.createdAt
      || record.updatedAt !== expected.updatedAt
      || record.updatedBy !== expected.updatedBy
    ) {
      throw tampered(path, [
        `secret ${name}'s version, dates or updatedBy differ from its audit entries`,
        '(a change without an entry, or metadata rewritten)',
      ].join(' '))
    }
    if (v2 && secretRecordHash(record, known) !== expected.hash) {
      throw tampered(path, [
        `secret ${name}'s value or description is not the one its last audit entry signed`,
        '(changed without an audit entry)',
      ].join(' '))
    }
  }
  for (const name of file.readers.keys()) {
    if (!state.readers.has(name)) throw tampered(path, `reader ${name} is in the file, but no audit entry added them`)
  }
  for (const [name, expected] of state.readers) {
    const record = file.readers.get(name)
    if (!record) throw tampered(path, `reader ${name} was removed without an audit entry`)
    if (
      record.recipient !== expected.recipient
      || record.addedAt !== expected.addedAt
      || record.addedBy !== expected.addedBy
      || readerRecordHash(record, known) !== expected.hash
    ) {
      throw tampered(path, [
        `reader ${name}'s entry is not the one its last audit entry signed`,
        '(changed without an audit entry)',
      ].join(' '))
    }
  }
  const last = file.audit.at(-1)!
  if (v2 ? file.revision !== last.seq : file.revision > last.seq) {
    throw tampered(path, [
      `its revision ${file.revision} does not match its audit trail`,
      `(the newest entry is #${last.seq})`,
    ].join(' '))
  }
}
