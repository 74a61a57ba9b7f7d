import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { concatBytes, fromBase64, sha256, toBase64, toHex, utf8 } from './encoding'

export const KEY_BYTES = 32
const NONCE_BYTES = 24
const TAG_BYTES = 16

export const randomKey = (): Uint8Array => new Uint8Array(randomBytes(KEY_BYTES))

/** Public, non-reversible label of a data key: tells which key a store needs. */
export function dataKeyId(dataKey: Uint8Array): string {
  return toHex(sha256(concatBytes(utf8('unplugin-secrets/key-id\0'), dataKey)).subarray(0, 8))
}

/**
 * What a ciphertext is bound to: the store, the key generation, the name and
 * the version. Moving a ciphertext to another name or back to an older version
 * fails authentication.
 */
export function valueAad(storeId: string, keyId: string, name: string, version: number): Uint8Array {
  return utf8(`unplugin-secrets/value\0${storeId}\0${keyId}\0${name}\0${version}`)
}

/** XChaCha20-Poly1305 with a fresh random nonce; returns base64(nonce || ciphertext || tag). */
export function encryptValue(dataKey: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): string {
  const nonce = new Uint8Array(randomBytes(NONCE_BYTES))
  const sealed = xchacha20poly1305(dataKey, nonce, aad).encrypt(plaintext)
  return toBase64(concatBytes(nonce, sealed))
}

/** Returns the plaintext bytes, or undefined when authentication fails. */
export function decryptValue(dataKey: Uint8Array, aad: Uint8Array, encoded: string): Uint8Array | undefined {
  const bytes = fromBase64(encoded)
  if (!bytes || bytes.length < NONCE_BYTES + TAG_BYTES) return undefined
  try {
    return xchacha20poly1305(dataKey, bytes.subarray(0, NONCE_BYTES), aad).decrypt(bytes.subarray(NONCE_BYTES))
  }
  catch {
    return undefined
  }
}

/**
 * Seals a store revision with the data key: readers accept only revisions
 * written by someone who holds the current store key. An admin signature
 * alone does not prove that (a removed admin still has their signing key).
 */
export function revisionMac(dataKey: Uint8Array, storeId: string, digest: string): string {
  const macKey = new Uint8Array(hkdfSync('sha256', dataKey, utf8(storeId), utf8('unplugin-secrets/revision-mac'), KEY_BYTES))
  return createHmac('sha256', macKey).update(digest).digest('base64')
}

export function macMatches(expected: string, actual: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(actual)
  return a.length === b.length && timingSafeEqual(a, b)
}

export const adminPublicKey = (secretKey: Uint8Array): Uint8Array => ed25519.getPublicKey(secretKey)
export const randomAdminSecret = (): Uint8Array => ed25519.utils.randomSecretKey()

/** Ed25519 over a domain-separated message, so a signature can never be reused in another role. */
export function signMessage(secretKey: Uint8Array, domain: string, message: string): string {
  return toBase64(ed25519.sign(utf8(`unplugin-secrets/${domain}\0${message}`), secretKey))
}

export function verifyMessage(publicKey: Uint8Array, domain: string, message: string, signature: string): boolean {
  const sig = fromBase64(signature)
  if (!sig || sig.length !== 64) return false
  try {
    return ed25519.verify(sig, utf8(`unplugin-secrets/${domain}\0${message}`), publicKey, { zip215: false })
  }
  catch {
    return false
  }
}
