/**
 * Printable key strings: a prefix that secret scanners and people recognise, a
 * format version byte, the key bytes and a 4-byte checksum that catches typos
 * and truncated copies.
 */
import { SecretsError } from '../errors'
import { adminPublicKey, KEY_BYTES, randomAdminSecret } from './crypto'
import { bytesEqual, concatBytes, fromBase64Url, sha256, toBase64Url, utf8 } from './encoding'

const FORMAT_VERSION = 1
const CHECKSUM_BYTES = 4

export const STORE_KEY_PREFIX = 'usec_store_'
export const ADMIN_KEY_PREFIX = 'usec_admin_'
export const PUBLIC_KEY_PREFIX = 'usec_pub_'

/** Reading a store needs its data key and the fingerprint of its trust root. */
export interface StoreKey {
  dataKey: Uint8Array
  /** SHA-256 of the store's genesis record: the admins a reader trusts first. */
  trustRoot: Uint8Array
}

function checksum(prefix: string, body: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8(prefix), body)).subarray(0, CHECKSUM_BYTES)
}

function encodeKey(prefix: string, ...parts: Uint8Array[]): string {
  const body = concatBytes(new Uint8Array([FORMAT_VERSION]), ...parts)
  return prefix + toBase64Url(concatBytes(body, checksum(prefix, body)))
}

function decodeKey(prefix: string, text: unknown, length: number, label: string, what: string): Uint8Array {
  const a = /^[aeiou]/.test(what) ? 'an' : 'a'
  const hint = `Copy the whole ${what} again (it starts with ${prefix}).`
  if (typeof text !== 'string')
    throw new SecretsError('KEY_INVALID', `${label} is not ${a} ${what}. ${hint}`)
  const trimmed = text.trim()
  if (!trimmed.startsWith(prefix)) {
    const other = [STORE_KEY_PREFIX, ADMIN_KEY_PREFIX, PUBLIC_KEY_PREFIX].find(
      p => p !== prefix && trimmed.startsWith(p),
    )
    const why = other ? `it holds a key of another kind (${other}…)` : `it does not start with ${prefix}`
    throw new SecretsError('KEY_INVALID', `${label} is not ${a} ${what}: ${why}. ${hint}`)
  }
  const bytes = fromBase64Url(trimmed.slice(prefix.length))
  const bodyLength = 1 + length
  if (!bytes || bytes.length !== bodyLength + CHECKSUM_BYTES) {
    throw new SecretsError('KEY_INVALID', [
      `${label} is not ${a} ${what}: it has the wrong length or characters outside base64url.`,
      hint,
    ].join(' '))
  }
  const body = bytes.subarray(0, bodyLength)
  if (!bytesEqual(bytes.subarray(bodyLength), checksum(prefix, body))) {
    throw new SecretsError('KEY_INVALID', [
      `${label} is not ${a} ${what}: its checksum does not match (a typo or a truncated copy).`,
      hint,
    ].join(' '))
  }
  if (body[0] !== FORMAT_VERSION) {
    throw new SecretsError('KEY_INVALID', [
      `${label} is ${a} ${what} of format version ${body[0]},`,
      'which this version of unplugin-secrets cannot read. Upgrade unplugin-secrets.',
    ].join(' '))
  }
  return body.slice(1)
}

export const formatStoreKey = (key: StoreKey): string => encodeKey(STORE_KEY_PREFIX, key.dataKey, key.trustRoot)

export function parseStoreKey(text: unknown, label = 'The store key'): StoreKey {
  const bytes = decodeKey(STORE_KEY_PREFIX, text, KEY_BYTES * 2, label, 'store key')
  return { dataKey: bytes.slice(0, KEY_BYTES), trustRoot: bytes.slice(KEY_BYTES) }
}

/** An admin's Ed25519 signing key. */
export interface AdminKey {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

export function generateAdminKey(): AdminKey {
  const secretKey = randomAdminSecret()
  return { secretKey, publicKey: adminPublicKey(secretKey) }
}

export const formatAdminKey = (key: AdminKey): string => encodeKey(ADMIN_KEY_PREFIX, key.secretKey)

export function parseAdminKey(text: unknown, label = 'The admin key'): AdminKey {
  const secretKey = decodeKey(ADMIN_KEY_PREFIX, text, KEY_BYTES, label, 'admin key')
  return { secretKey, publicKey: adminPublicKey(secretKey) }
}

export const formatPublicKey = (publicKey: Uint8Array): string => encodeKey(PUBLIC_KEY_PREFIX, publicKey)

export function parsePublicKey(text: unknown, label = 'The public key'): Uint8Array {
  return decodeKey(PUBLIC_KEY_PREFIX, text, KEY_BYTES, label, 'admin public key')
}
