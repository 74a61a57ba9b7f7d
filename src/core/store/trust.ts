import { SecretsError } from '../errors'
import type { AdminKey, StoreKey } from './keys'
import { formatPublicKey, parsePublicKey } from './keys'
import { dataKeyId, macMatches, revisionMac, signMessage, verifyMessage } from './crypto'
import { bytesEqual, sha256, sha256Hex } from './encoding'
import type { AuditEntry, StoreFile } from './format'
import { auditSignedContent, canonicalEntry, signedDigest } from './format'

/** The fingerprint a store key carries: SHA-256 of the signed genesis entry. */
export const trustRootOf = (genesis: AuditEntry): Uint8Array => sha256(canonicalEntry(genesis))

export const entryHash = (entry: AuditEntry, text = canonicalEntry(entry)): string => sha256Hex(text)

export const signAuditEntry = (key: AdminKey, entry: Omit<AuditEntry, 'sig'>): AuditEntry =>
  ({ ...entry, sig: signMessage(key.secretKey, 'audit', auditSignedContent(entry)) })

/** Signs a revision as `admin` and seals it with the data key. */
export function signStore(key: AdminKey, admin: string, dataKey: Uint8Array, file: Omit<StoreFile, 'signature'>): StoreFile {
  const digest = signedDigest(file)
  return { ...file, signature: { admin, sig: signMessage(key.secretKey, 'store', digest), mac: revisionMac(dataKey, file.id, digest) } }
}

const tampered = (file: string, what: string) =>
  new SecretsError('STORE_TAMPERED', `${file}: ${what}. The file was changed outside unplugin-secrets; restore it from git (git log -p -- ${file}) and have an admin re-apply the change.`)

const untrusted = (file: string, what: string) =>
  new SecretsError('UNTRUSTED_ADMIN', `${file}: ${what}, so the file is refused. Only a current admin's key can change a store; restore it from git (git log -p -- ${file}) and review who changed it.`)

/**
 * Decides whether a reader holding `storeKey` may trust `file`:
 * the key matches, the audit trail descends from the key's trust root, every
 * admin change was signed by an admin of that moment, the admin list is the
 * one that replay produces, and a current admin signed the whole file.
 * `full` also checks the signature of every audit entry (what `verify` does).
 */
export function verifyStore(file: StoreFile, storeKey: StoreKey, path: string, { full = false, keySource = 'The store key' } = {}): void {
  const keyId = dataKeyId(storeKey.dataKey)
  const genesis = file.audit[0]!
  const genesisOk = genesis.action === 'init' && bytesEqual(trustRootOf(genesis), storeKey.trustRoot)
  if (keyId !== file.keyId) {
    const retired = file.audit.find(entry => entry.keyId === keyId)
    if (retired && genesisOk) {
      const rotation = file.audit.find(entry => entry.action === 'rotate' && entry.seq > retired.seq)
      throw new SecretsError('WRONG_KEY', `${keySource} was retired${rotation ? ` when ${rotation.admin} rotated the store at ${rotation.at}` : ''}. It no longer opens ${path}; get the current key from an admin (unplugin-secrets key export) and update UNPLUGIN_SECRETS_KEY or run unplugin-secrets key import.`)
    }
    throw new SecretsError('WRONG_KEY', `${keySource} does not open ${path}: it belongs to another store or was mistyped. Use this store's key (store id ${file.id}): an admin can print it with unplugin-secrets key export.`)
  }
  if (!genesisOk)
    throw untrusted(path, 'its first audit entry is not the trust root this store key was made for (the admin list was replaced)')

  const admins = new Map<string, Uint8Array>()
  const adminKeyOf = (entry: AuditEntry, index: number): Uint8Array => {
    const key = admins.get(entry.admin)
    if (!key) throw untrusted(path, `audit entry ${index + 1} (${entry.action}) was made by "${entry.admin}", who was not an admin at that point`)
    return key
  }
  const publicKeyIn = (entry: AuditEntry, index: number): Uint8Array => {
    try {
      return parsePublicKey(entry.publicKey)
    }
    catch {
      throw untrusted(path, `audit entry ${index + 1} (${entry.action}) holds a malformed public key`)
    }
  }
  const checkEntrySignature = (entry: AuditEntry, index: number, key: Uint8Array) => {
    if (!verifyMessage(key, 'audit', auditSignedContent(entry), entry.sig))
      throw untrusted(path, `the signature of audit entry ${index + 1} (${entry.action} by "${entry.admin}") does not verify`)
  }

  let prev = ''
  const texts = new WeakMap<object, string>()
  file.audit.forEach((entry, index) => {
    if (entry.seq !== index + 1 || entry.prev !== prev)
      throw tampered(path, `the audit trail is broken at entry ${index + 1} (an entry was removed, reordered or spliced from another version)`)
    const text = canonicalEntry(entry)
    texts.set(entry, text)
    prev = entryHash(entry, text)
    if (index === 0) {
      if (entry.store !== file.id || entry.name !== entry.admin || entry.publicKey === undefined || entry.keyId === undefined)
        throw untrusted(path, 'its genesis entry does not name this store and its first admin')
      const key = publicKeyIn(entry, index)
      checkEntrySignature(entry, index, key)
      admins.set(entry.admin, key)
      return
    }
    if (entry.action === 'init') throw tampered(path, `audit entry ${index + 1} is a second init`)
    const signer = adminKeyOf(entry, index)
    const changesAdmins = entry.action === 'admin-add' || entry.action === 'admin-remove'
    if (full || changesAdmins) checkEntrySignature(entry, index, signer)
    if (entry.action === 'admin-add') {
      if (!entry.name || !entry.publicKey || admins.has(entry.name))
        throw untrusted(path, `audit entry ${index + 1} adds an admin without a new name and public key`)
      admins.set(entry.name, publicKeyIn(entry, index))
    }
    else if (entry.action === 'admin-remove') {
      if (!entry.name || !admins.delete(entry.name) || admins.size === 0)
        throw untrusted(path, `audit entry ${index + 1} removes an admin who is not listed or the last one`)
    }
  })

  const sameAdmins = file.admins.size === admins.size && [...admins].every(([name, key]) => file.admins.get(name)?.publicKey === formatPublicKey(key))
  if (!sameAdmins)
    throw untrusted(path, 'its admin list differs from the admin changes signed in its audit trail')

  const signer = admins.get(file.signature.admin)
  if (!signer) throw untrusted(path, `it was signed by "${file.signature.admin}", who is not one of its admins`)
  const digest = signedDigest(file, texts)
  if (!verifyMessage(signer, 'store', digest, file.signature.sig))
    throw tampered(path, `its content does not match the signature of admin "${file.signature.admin}" (a value, a name, metadata or the audit trail was changed, or entries were spliced from two versions)`)
  if (!macMatches(revisionMac(storeKey.dataKey, file.id, digest), file.signature.mac))
    throw untrusted(path, `this revision was signed by "${file.signature.admin}" without the current store key (a fork by someone who lacks it, such as an admin removed before the last rotation)`)
  if (file.audit.findLast(entry => entry.keyId !== undefined)?.keyId !== file.keyId)
    throw tampered(path, 'its key id differs from the one its last rotation recorded')
}
