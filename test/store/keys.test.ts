import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/core/errors'
import { randomBytes } from 'node:crypto'
import { hchacha, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { adminPublicKey, dataKeyId, decryptNative, decryptValue, encryptValue, hchacha20, nobleXChaCha, randomKey, signMessage, valueAad, verifyMessage } from '../../src/core/store/crypto'
import { fromBase64, fromBase64Url, sha256Hex } from '../../src/core/store/encoding'
import { auditSignedContent, canonicalEntry, signedDigest, unsignedJson } from '../../src/core/store/format'
import { tempDir } from '../helpers'
import { makeStore, readStore } from './fixtures'
import { formatAdminKey, formatPublicKey, formatStoreKey, generateAdminKey, parseAdminKey, parsePublicKey, parseStoreKey } from '../../src/core/store/keys'

describe('key strings', () => {
  it('round-trip with a recognisable prefix', () => {
    const storeKey = { dataKey: randomKey(), trustRoot: randomKey() }
    const text = formatStoreKey(storeKey)
    expect(text).toMatch(/^usec_store_[\w-]{92}$/)
    expect(parseStoreKey(text)).toEqual(storeKey)
    expect(parseStoreKey(`  ${text}\n`)).toEqual(storeKey)
    const admin = generateAdminKey()
    expect(formatAdminKey(admin)).toMatch(/^usec_admin_/)
    expect(parseAdminKey(formatAdminKey(admin))).toEqual(admin)
    expect(parsePublicKey(formatPublicKey(admin.publicKey))).toEqual(admin.publicKey)
  })

  it('catch every single-character typo with the checksum, and never echo the key', () => {
    const text = formatStoreKey({ dataKey: randomKey(), trustRoot: randomKey() })
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    for (let i = 'usec_store_'.length; i < text.length; i++) {
      const replacement = alphabet[(alphabet.indexOf(text[i]!) + 1) % alphabet.length]!
      const typo = text.slice(0, i) + replacement + text.slice(i + 1)
      let error: unknown
      try {
        parseStoreKey(typo, 'UNPLUGIN_SECRETS_KEY')
      }
      catch (caught) {
        error = caught
      }
      expect(error, `position ${i}`).toBeInstanceOf(SecretsError)
      expect((error as SecretsError).code).toBe('KEY_INVALID')
      expect((error as SecretsError).message).toMatch(/^UNPLUGIN_SECRETS_KEY is not a store key/)
      expect((error as SecretsError).message).not.toContain(typo.slice(11, 30))
    }
  })

  it('rejects keys of another kind, other lengths and non-strings', () => {
    const admin = formatAdminKey(generateAdminKey())
    expect(() => parseStoreKey(admin)).toThrow(/another kind \(usec_admin_/)
    expect(() => parseAdminKey(formatPublicKey(generateAdminKey().publicKey))).toThrow(/another kind \(usec_pub_/)
    expect(() => parseAdminKey(`${admin}AA`)).toThrow(/wrong length/)
    expect(() => parseAdminKey(admin.replace(/.$/, '!'))).toThrow(/base64url/)
    expect(() => parseStoreKey(undefined)).toThrow(SecretsError)
  })
})

describe('crypto', () => {
  it('decrypts only with the same key and associated data', () => {
    const key = randomKey()
    const aad = valueAad('store', dataKeyId(key), 'NAME', 1)
    const sealed = encryptValue(key, aad, new TextEncoder().encode('plain'))
    expect(new TextDecoder().decode(decryptValue(key, aad, sealed))).toBe('plain')
    expect(decryptValue(randomKey(), aad, sealed)).toBeUndefined()
    expect(decryptValue(key, valueAad('store', dataKeyId(key), 'OTHER', 1), sealed)).toBeUndefined()
    expect(decryptValue(key, valueAad('store', dataKeyId(key), 'NAME', 2), sealed)).toBeUndefined()
    expect(decryptValue(key, valueAad('other', dataKeyId(key), 'NAME', 1), sealed)).toBeUndefined()
    expect(decryptValue(key, aad, 'not base64!')).toBeUndefined()
    expect(decryptValue(key, aad, '')).toBeUndefined()
  })

  it('HChaCha20 gives the draft-irtf-cfrg-xchacha test vector (2.2.1)', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i)
    const input = Buffer.from('000000090000004a0000000031415927', 'hex')
    expect(Buffer.from(hchacha20(key, input)).toString('hex')).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc')
  })

  it('HChaCha20 equals noble\'s, and native encryption is noble\'s XChaCha20-Poly1305', () => {
    const words = (bytes: Uint8Array) => new Uint32Array(bytes.slice().buffer)
    const SIGMA = new Uint32Array([0x61707865, 0x3320646E, 0x79622D32, 0x6B206574])
    for (let i = 0; i < 200; i++) {
      const key = randomKey()
      const input = new Uint8Array(randomBytes(16))
      const expected = new Uint32Array(8)
      hchacha(SIGMA, words(key), words(input), expected)
      expect(hchacha20(key, input)).toEqual(new Uint8Array(expected.buffer))
      const aad = new Uint8Array(randomBytes(i % 40))
      const plaintext = new Uint8Array(randomBytes((i * 37) % 3000))
      const sealed = fromBase64(encryptValue(key, aad, plaintext))!
      expect(xchacha20poly1305(key, sealed.subarray(0, 24), aad).decrypt(sealed.subarray(24))).toEqual(plaintext)
    }
  })

  it('the fallback for a node without ChaCha20-Poly1305 loads noble on demand and reads and writes the same bytes', () => {
    const key = randomKey()
    const aad = valueAad('id', 'key', 'NAME', 1)
    const plaintext = new Uint8Array(randomBytes(100))
    const sealed = fromBase64(encryptValue(key, aad, plaintext))!
    const fallback = nobleXChaCha(key, sealed.subarray(0, 24), aad)
    expect(fallback.decrypt(sealed.subarray(24))).toEqual(plaintext)
    const nonce = new Uint8Array(randomBytes(24))
    expect(decryptNative(key, nonce, aad, nobleXChaCha(key, nonce, aad).encrypt(plaintext))).toEqual(plaintext)
  })

  it('the native decryption path gives noble\'s bytes, and rejects what noble rejects', () => {
    for (let i = 0; i < 200; i++) {
      const key = randomKey()
      const nonce = new Uint8Array(randomBytes(24))
      const aad = new Uint8Array(randomBytes(i % 40))
      const plaintext = new Uint8Array(randomBytes((i * 37) % 3000))
      const sealed = xchacha20poly1305(key, nonce, aad).encrypt(plaintext)
      expect(decryptNative(key, nonce, aad, sealed)).toEqual(plaintext)
      const damaged = sealed.slice()
      damaged[i % damaged.length]! ^= 1
      expect(() => decryptNative(key, nonce, aad, damaged)).toThrow()
      expect(() => xchacha20poly1305(key, nonce, aad).decrypt(damaged)).toThrow()
    }
  })

  it('separates signature domains: an audit signature is not a store signature', () => {
    const admin = generateAdminKey()
    const sig = signMessage(admin.secretKey, 'audit', 'message')
    expect(verifyMessage(admin.publicKey, 'audit', 'message', sig)).toBe(true)
    expect(verifyMessage(admin.publicKey, 'store', 'message', sig)).toBe(false)
    expect(verifyMessage(admin.publicKey, 'audit', 'messagE', sig)).toBe(false)
    expect(verifyMessage(generateAdminKey().publicKey, 'audit', 'message', sig)).toBe(false)
    expect(verifyMessage(admin.publicKey, 'audit', 'message', 'short')).toBe(false)
  })
})

/** The signed form's definition: JSON with object keys sorted at every level, undefined left out, no whitespace. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.keys(value)
    .filter(key => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map(key => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
  return `{${entries.join(',')}}`
}

describe('signed bytes', () => {
  it('Ed25519 keys derive as RFC 8032 says (test vector 1): admin keys made by earlier versions keep working', () => {
    const secret = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex')
    expect(Buffer.from(adminPublicKey(secret)).toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
  })

  it('the store digest and audit texts are the canonical JSON of the records (every optional field in use)', async () => {
    const dir = await tempDir('usec-canonical-')
    const { path, store } = await makeStore(dir)
    await store.set('ALPHA', 'changed', { description: 'with "quotes" and ünïcode' })
    await store.delete('BETA')
    await store.addAdmin('bob', formatPublicKey(generateAdminKey().publicKey))
    await store.rotate({ saveKey: () => {} })
    const file = await readStore(path)
    expect(new Set(file.audit.map(entry => entry.action))).toEqual(new Set(['init', 'create', 'update', 'delete', 'admin-add', 'rotate']))
    for (const entry of file.audit) {
      expect(canonicalEntry(entry)).toBe(canonicalJson(entry))
      expect(auditSignedContent(entry)).toBe(canonicalJson({ ...entry, sig: undefined }))
    }
    expect(signedDigest(file)).toBe(sha256Hex(canonicalJson(unsignedJson(file))))
  })

  it('the store digest of a file far larger than one hashed piece (64 KiB) is its canonical JSON\'s', async () => {
    const dir = await tempDir('usec-canonical-')
    const { path } = await makeStore(dir)
    const file = await readStore(path)
    const record = file.secrets.get('ALPHA')!
    for (let i = 0; i < 2000; i++) file.secrets.set(`BULK_${i}`, { ...record, description: `ü${'d'.repeat(i % 97)}` })
    file.audit.push(...Array.from({ length: 500 }, (_, i) => ({ ...file.audit.at(-1)!, seq: 100 + i })))
    expect(canonicalJson(unsignedJson(file)).length).toBeGreaterThan(8 * 65_536)
    expect(signedDigest(file)).toBe(sha256Hex(canonicalJson(unsignedJson(file))))
  })
})

describe('encoding', () => {
  it('canonical JSON (the test oracle) sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: null }], e: undefined, __proto__: 2 })).toBe('{"a":[{"c":null,"d":"x"}],"b":1}')
    expect(canonicalJson(JSON.parse('{"__proto__":{"z":1,"y":2}}'))).toBe('{"__proto__":{"y":2,"z":1}}')
  })

  it('base64 decoding is strict', () => {
    expect(fromBase64('AAAA')).toEqual(new Uint8Array(3))
    for (const bad of ['AAA', 'AA=A', 'AAA*', 'AAB=']) expect(fromBase64(bad), bad).toBeUndefined()
    expect(fromBase64Url('AAAA')).toEqual(new Uint8Array(3))
    expect(fromBase64Url('AA+A')).toBeUndefined()
  })
})
