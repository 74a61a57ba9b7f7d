/**
 * The store's cryptography: data keys and their ids, XChaCha20-Poly1305 for
 * values, the revision MAC, and Ed25519 signatures for admins.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  getCiphers,
  hkdfSync,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { createRequire } from 'node:module'
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

/**
 * XChaCha20-Poly1305 = HChaCha20 subkey from the key and the first 16 nonce
 * bytes, then IETF ChaCha20-Poly1305 with 4 zero bytes and the last 8 nonce
 * bytes as its nonce: HChaCha20 below, the AEAD in node:crypto (OpenSSL);
 * without node's ChaCha20-Poly1305, @noble/ciphers does the whole thing
 * (loaded only then). Tests
 * check the two give the same bytes.
 */
const NATIVE = getCiphers().includes('chacha20-poly1305')
const SIGMA = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]

let noble: typeof import('@noble/ciphers/chacha.js') | undefined
/** The fallback cipher, loaded on first use (exported for the test that checks it against the native path). */
export const nobleXChaCha = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array) =>
  (noble ??= createRequire(import.meta.url)('@noble/ciphers/chacha.js') as typeof import('@noble/ciphers/chacha.js'))
    .xchacha20poly1305(key, nonce, aad)

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n))

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha, 2.2): the ChaCha20 block function's 20
 * rounds over the constants, the key and 16 input bytes, without the final
 * addition; words 0-3 and 12-15 are the subkey. Written out, on local
 * variables as noble does (as fast as noble's): @noble/ciphers has it, but
 * loading that costs a CLI `get` ~12 ms, and node has no HChaCha20. Tested
 * against noble's and the draft's test vector.
 */
/* eslint-disable style/max-statements-per-line -- the 20 rounds read as the draft's quarter-rounds, one per line */
export function hchacha20(key: Uint8Array, input: Uint8Array): Uint8Array {
  const k = Buffer.from(key.buffer, key.byteOffset, 32)
  const n = Buffer.from(input.buffer, input.byteOffset, 16)
  let x0 = SIGMA[0]!; let x1 = SIGMA[1]!; let x2 = SIGMA[2]!; let x3 = SIGMA[3]!
  let x4 = k.readUInt32LE(0); let x5 = k.readUInt32LE(4); let x6 = k.readUInt32LE(8); let x7 = k.readUInt32LE(12)
  let x8 = k.readUInt32LE(16); let x9 = k.readUInt32LE(20); let x10 = k.readUInt32LE(24); let x11 = k.readUInt32LE(28)
  let x12 = n.readUInt32LE(0); let x13 = n.readUInt32LE(4); let x14 = n.readUInt32LE(8); let x15 = n.readUInt32LE(12)
  for (let round = 0; round < 10; round++) {
    // Columns
    x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 16); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 12)
    x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 8); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 7)
    x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 16); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 12)
    x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 8); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 7)
    x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 16); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 12)
    x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 8); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 7)
    x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 16); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 12)
    x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 8); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 7)
    // Diagonals
    x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 16); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 12)
    x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 8); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 7)
    x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 16); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 12)
    x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 8); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 7)
    x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 16); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 12)
    x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 8); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 7)
    x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 16); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 12)
    x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 8); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 7)
  }
  const out = Buffer.alloc(32)
  ;[x0, x1, x2, x3, x12, x13, x14, x15].forEach((word, i) => out.writeUInt32LE(word >>> 0, i * 4))
  return new Uint8Array(out.buffer, out.byteOffset, 32)
}
/* eslint-enable style/max-statements-per-line */

function nativeParts(key: Uint8Array, nonce: Uint8Array): { subkey: Uint8Array, iv: Uint8Array } {
  const iv = new Uint8Array(12)
  iv.set(nonce.subarray(16, NONCE_BYTES), 4)
  return { subkey: hchacha20(key, nonce.subarray(0, 16)), iv }
}

/** XChaCha20-Poly1305 with a fresh random nonce; returns base64(nonce || ciphertext || tag). */
export function encryptValue(dataKey: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): string {
  const nonce = new Uint8Array(randomBytes(NONCE_BYTES))
  if (!NATIVE) return toBase64(concatBytes(nonce, nobleXChaCha(dataKey, nonce, aad).encrypt(plaintext)))
  const { subkey, iv } = nativeParts(dataKey, nonce)
  const cipher = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES })
  subkey.fill(0)
  cipher.setAAD(aad, { plaintextLength: plaintext.length })
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]).toString('base64')
}

/** Returns the plaintext bytes, or undefined when authentication fails. */
export function decryptValue(dataKey: Uint8Array, aad: Uint8Array, encoded: string): Uint8Array | undefined {
  const bytes = fromBase64(encoded)
  if (!bytes || bytes.length < NONCE_BYTES + TAG_BYTES) return undefined
  const nonce = bytes.subarray(0, NONCE_BYTES)
  const sealed = bytes.subarray(NONCE_BYTES)
  try {
    return NATIVE ? decryptNative(dataKey, nonce, aad, sealed) : nobleXChaCha(dataKey, nonce, aad).decrypt(sealed)
  }
  catch {
    return undefined
  }
}

/** The native path of {@link decryptValue}; throws when authentication fails. */
export function decryptNative(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  const { subkey, iv } = nativeParts(key, nonce)
  const decipher = createDecipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES })
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
  const macKey = new Uint8Array(
    hkdfSync('sha256', dataKey, utf8(storeId), utf8('unplugin-secrets/revision-mac'), KEY_BYTES),
  )
  const hmac = createHmac('sha256', macKey)
  macKey.fill(0) // the HMAC holds its own copy
  return hmac.update(digest).digest('base64')
}

export function macMatches(expected: string, actual: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(actual)
  return a.length === b.length && timingSafeEqual(a, b)
}

/*
 * Ed25519 through node:crypto (OpenSSL): verifying is ~10x faster than a
 * JavaScript implementation, and nothing is loaded at start-up. Raw 32-byte
 * keys are wrapped in their fixed PKCS#8 / SPKI DER prefixes.
 */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex')

function privateKey(secretKey: Uint8Array): KeyObject {
  const der = Buffer.concat([PKCS8_ED25519, secretKey])
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  }
  finally {
    der.fill(0) // a copy of the admin key, maybe in node's shared buffer pool
  }
}

/** A store's few admin keys verify thousands of audit entries: parse each once. */
const publicKeys = new Map<string, KeyObject>()
function publicKey(raw: Uint8Array): KeyObject {
  const id = toHex(raw)
  let key = publicKeys.get(id)
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' })
    publicKeys.set(id, key)
  }
  return key
}

export const adminPublicKey = (secretKey: Uint8Array): Uint8Array =>
  new Uint8Array(
    createPublicKey(privateKey(secretKey)).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length),
  )
/** An Ed25519 secret key is 32 random bytes (RFC 8032 5.1.5). */
export const randomAdminSecret = (): Uint8Array => randomKey()

/** Ed25519 over a domain-separated message, so a signature can never be reused in another role. */
export function signMessage(secretKey: Uint8Array, domain: string, message: string): string {
  return toBase64(sign(null, utf8(`unplugin-secrets/${domain}\0${message}`), privateKey(secretKey)))
}

/** verifyMessage in node's thread pool: a store's thousands of entry signatures are checked in parallel on open. */
export function verifyMessageAsync(
  raw: Uint8Array,
  domain: string,
  message: string,
  signature: string,
): Promise<boolean> {
  const sig = fromBase64(signature)
  if (!sig || sig.length !== 64 || raw.length !== 32) return Promise.resolve(false)
  return new Promise((resolve) => {
    try {
      verify(
        null,
        utf8(`unplugin-secrets/${domain}\0${message}`),
        publicKey(raw),
        sig,
        (error, ok) => resolve(!error && ok),
      )
    }
    catch {
      resolve(false)
    }
  })
}

export function verifyMessage(raw: Uint8Array, domain: string, message: string, signature: string): boolean {
  const sig = fromBase64(signature)
  if (!sig || sig.length !== 64 || raw.length !== 32) return false
  try {
    return verify(null, utf8(`unplugin-secrets/${domain}\0${message}`), publicKey(raw), sig)
  }
  catch {
    return false
  }
}
