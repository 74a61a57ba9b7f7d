/** Byte helpers for the store: UTF-8, SHA-256, strict base64 and hex, constant-time comparison. */
import { createHash, hash } from 'node:crypto'

const ENCODER = new TextEncoder()
export const utf8 = (text: string): Uint8Array => ENCODER.encode(text)

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

/**
 * One-shot hashing (node ≥ 20.12): ~3x faster than a Hash object for the small texts a store hashes
 * by the thousand.
 */
export const sha256Hex = (data: Uint8Array | string): string => hash('sha256', data, 'hex')

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
export const toBase64Url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url')
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

const BASE64URL = /^[\w-]*$/

/**
 * Strict decoding: Buffer.from silently skips bad characters, so only text
 * that the decoded bytes encode back to exactly is accepted.
 */
export function fromBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined
}

/** age writes base64 without padding, and rejects any other spelling of the same bytes. */
export const toBase64Raw = (bytes: Uint8Array): string => toBase64(bytes).replace(/=+$/, '')

export function fromBase64Raw(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text)) return undefined
  const bytes = Buffer.from(text, 'base64')
  return toBase64Raw(bytes) === text ? new Uint8Array(bytes) : undefined
}

export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!BASE64URL.test(text)) return undefined
  const bytes = Buffer.from(text, 'base64url')
  return bytes.toString('base64url') === text ? new Uint8Array(bytes) : undefined
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
