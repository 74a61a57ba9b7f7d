import { createDecipheriv, createHmac, getCiphers, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { hchacha, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
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
  const nonce = bytes.subarray(0, NONCE_BYTES)
  const sealed = bytes.subarray(NONCE_BYTES)
  try {
    return NATIVE_XCHACHA ? decryptNative(dataKey, nonce, aad, sealed) : xchacha20poly1305(dataKey, nonce, aad).decrypt(sealed)
  }
  catch {
    return undefined
  }
}

const SIGMA = new Uint32Array([0x61707865, 0x3320646E, 0x79622D32, 0x6B206574])
/** HChaCha20 works on little-endian words; node has ChaCha20-Poly1305 unless built without it. */
const NATIVE_XCHACHA = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 && getCiphers().includes('chacha20-poly1305')

const words = (bytes: Uint8Array): Uint32Array => new Uint32Array(bytes.slice().buffer)

/**
 * XChaCha20-Poly1305 decryption as noble's HChaCha20 subkey plus node's native
 * ChaCha20-Poly1305 (~1.8x faster here; the same bytes, tested against noble):
 * the subkey from the key and the first 16 nonce bytes, then IETF
 * ChaCha20-Poly1305 with 4 zero bytes and the last 8 nonce bytes as its nonce.
 */
export function decryptNative(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  const subkey = new Uint32Array(8)
  const keyWords = words(key)
  hchacha(SIGMA, keyWords, words(nonce.subarray(0, 16)), subkey)
  const iv = new Uint8Array(12)
  iv.set(nonce.subarray(16, NONCE_BYTES), 4)
  const decipher = createDecipheriv('chacha20-poly1305', new Uint8Array(subkey.buffer), iv, { authTagLength: TAG_BYTES })
  // The cipher holds its own copy: wipe ours (best effort, see the README's Reliability section).
  keyWords.fill(0)
  subkey.fill(0)
  decipher.setAAD(aad, { plaintextLength: sealed.length - TAG_BYTES })
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
  const head = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES))
  try {
    const tail = decipher.final() // throws when authentication fails: head is then unauthenticated text, wiped below
    const plaintext = new Uint8Array(head.length + tail.length)
    plaintext.set(head)
    plaintext.set(tail, head.length)
    tail.fill(0)
    return plaintext
  }
  finally {
    head.fill(0) // node's buffers may come from a shared pool: leave no plaintext there
  }
}

/**
 * Seals a store revision with the data key: readers accept only revisions
 * written by someone who holds the current store key. An admin signature
 * alone does not prove that (a removed admin still has their signing key).
 */
export function revisionMac(dataKey: Uint8Array, storeId: string, digest: string): string {
  const macKey = new Uint8Array(hkdfSync('sha256', dataKey, utf8(storeId), utf8('unplugin-secrets/revision-mac'), KEY_BYTES))
  const hmac = createHmac('sha256', macKey)
  macKey.fill(0)
  return hmac.update(digest).digest('base64')
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
