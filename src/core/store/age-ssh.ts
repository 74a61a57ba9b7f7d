/**
 * age's ssh-ed25519 recipient type (agessh in age's Go code), which typage lacks: SSH ed25519
 * public key lines, unencrypted OpenSSH private keys, and the stanza that wraps a file key to them.
 */
import { hkdfSync, randomBytes } from 'node:crypto'
import type { Identity, Recipient, Stanza } from 'age-encryption'
import { chacha, curves, typage } from './age-lib'
import { bytesEqual, concatBytes, fromBase64, fromBase64Raw, sha256, toBase64, toBase64Raw, utf8 } from './encoding'

const SSH_ED25519 = 'ssh-ed25519'
const LABEL = utf8('age-encryption.org/v1/ssh-ed25519')
const ZERO_NONCE = new Uint8Array(12)
/** A 16-byte file key and its 16-byte Poly1305 tag. */
const WRAPPED_FILE_KEY_BYTES = 32
const OPENSSH_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----'
const OPENSSH_END = '-----END OPENSSH PRIVATE KEY-----'
const OPENSSH_MAGIC = utf8('openssh-key-v1\0')

/** Why a key was refused, as a phrase ("an SSH RSA key (ssh-rsa)"); age.ts says where it came from. */
export class KeyRejected extends Error {
  constructor(readonly phrase: string, readonly hint?: string) {
    super(phrase)
  }
}

/** A stanza addressed to our key that cannot be right: the age file was edited. */
export class StanzaDamaged extends Error {}

export interface SshEd25519PublicKey {
  /** The SSH wire encoding (string "ssh-ed25519", string key): what age hashes and tweaks with. */
  blob: Uint8Array
  key: Uint8Array
  /** `ssh-ed25519 AAAA…` without the comment. */
  line: string
}

export interface SshEd25519PrivateKey {
  seed: Uint8Array
  publicKey: SshEd25519PublicKey
}

/** Reads RFC 4251 fields (uint32 big-endian lengths) front to back; any overrun is `damaged`. */
class WireReader {
  private offset = 0
  constructor(private readonly bytes: Uint8Array, private readonly damaged: string) {}

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw new KeyRejected(this.damaged)
    this.offset += length
    return this.bytes.subarray(this.offset - length, this.offset)
  }

  uint32(): number {
    const bytes = this.take(4)
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0)
  }

  string(): Uint8Array {
    return this.take(this.uint32())
  }

  text(): string {
    return Buffer.from(this.string()).toString('latin1')
  }

  rest(): Uint8Array {
    return this.take(this.bytes.length - this.offset)
  }
}

/** Names a key type from an SSH line or key file without echoing anything that is not a type name. */
function describeSshKeyType(type: string): string {
  if (type === 'ssh-rsa') return 'an SSH RSA key (ssh-rsa)'
  if (type === 'ssh-dss') return 'an SSH DSA key (ssh-dss)'
  if (type.startsWith('ecdsa-sha2-')) return `an SSH ECDSA key (${type})`
  if (type.startsWith('sk-')) return `an SSH security-key (FIDO) key (${type})`
  return /^[\w.@-]{1,40}$/.test(type) ? `an SSH key of type ${type}` : 'an SSH key of an unknown type'
}

/**
 * Checks the 32 key bytes are an Ed25519 point whose X25519 form can be wrapped to:
 * age's Wrap fails on low-order points, so they are refused here instead.
 */
function checkedMontgomery(key: Uint8Array, damaged: string): Uint8Array {
  try {
    const montgomery = curves().ed25519.utils.toMontgomery(key)
    curves().x25519.scalarMult(new Uint8Array(32).fill(1), montgomery)
    return montgomery
  }
  catch {
    throw new KeyRejected(damaged)
  }
}

function ed25519PublicKeyFromBlob(blob: Uint8Array, damaged: string): SshEd25519PublicKey {
  const reader = new WireReader(blob, damaged)
  const type = reader.text()
  if (type !== SSH_ED25519) throw new KeyRejected(describeSshKeyType(type))
  const key = reader.string()
  if (key.length !== 32 || reader.rest().length !== 0) throw new KeyRejected(damaged)
  checkedMontgomery(key, damaged)
  return { blob, key, line: `${SSH_ED25519} ${toBase64(blob)}` }
}

/** `ssh-ed25519 AAAA… [comment]`, as in `id_ed25519.pub` and `authorized_keys` (without options). */
export function parseSshPublicKeyLine(line: string): SshEd25519PublicKey {
  const [type = '', data = ''] = line.split(/[ \t]+/)
  if (type !== SSH_ED25519) throw new KeyRejected(describeSshKeyType(type))
  const damaged = 'an ssh-ed25519 line whose key data is damaged (not the base64 of an Ed25519 public key)'
  const blob = fromBase64(data)
  if (!blob) throw new KeyRejected(damaged)
  return ed25519PublicKeyFromBlob(blob, damaged)
}

const PASSPHRASE_HINT = [
  'unplugin-secrets reads keys without a prompt (builds run unattended), so it cannot use it.',
  'Make an age identity instead (unplugin-secrets identity new, or age-keygen) and have an admin add its recipient.',
].join(' ')

/** `ssh-keygen -t ed25519 -N ''` output (the openssh-key-v1 format), unencrypted. */
export function parseOpenSshPrivateKey(pem: string): SshEd25519PrivateKey {
  const damaged = 'an OpenSSH private key that is damaged or truncated'
  const lines = pem.trim().split(/\r?\n/)
  const armored = lines[0] === OPENSSH_BEGIN && lines.at(-1) === OPENSSH_END
  const bytes = armored ? fromBase64(lines.slice(1, -1).join('')) : undefined
  if (!bytes) throw new KeyRejected(damaged)
  const reader = new WireReader(bytes, damaged)
  if (!bytesEqual(reader.take(OPENSSH_MAGIC.length), OPENSSH_MAGIC)) throw new KeyRejected(damaged)
  const cipher = reader.text()
  const kdf = reader.text()
  reader.string() // kdf options
  if (reader.uint32() !== 1) throw new KeyRejected(damaged) // ssh-keygen writes one key per file
  const publicKey = ed25519PublicKeyFromBlob(reader.string(), damaged)
  if (cipher !== 'none' || kdf !== 'none')
    throw new KeyRejected('an SSH ed25519 key protected by a passphrase', PASSPHRASE_HINT)
  const seed = readUnencryptedSection(new WireReader(reader.string(), damaged), publicKey.key, damaged)
  if (reader.rest().length !== 0 || !bytesEqual(curves().ed25519.getPublicKey(seed), publicKey.key))
    throw new KeyRejected(damaged)
  return { seed, publicKey }
}

/** checkint ×2, type, public key, seed ‖ public key, comment, padding 1 2 3 … */
function readUnencryptedSection(section: WireReader, publicKey: Uint8Array, damaged: string): Uint8Array {
  const checks = [section.uint32(), section.uint32()]
  const type = section.text()
  const pub = section.string()
  const priv = section.string()
  section.string() // comment
  const padding = section.rest()
  const consistent = checks[0] === checks[1] && type === SSH_ED25519 && priv.length === 64
    && bytesEqual(pub, publicKey) && bytesEqual(priv.subarray(32), publicKey)
    && padding.every((byte, i) => byte === i + 1)
  if (!consistent) throw new KeyRejected(damaged)
  return priv.slice(0, 32)
}

const hkdf32 = (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Uint8Array =>
  new Uint8Array(hkdfSync('sha256', ikm, salt, info, 32))

/** The first 4 bytes of SHA-256 of the key's wire form: lets an identity skip stanzas for other keys. */
const stanzaTag = (blob: Uint8Array): string => toBase64Raw(sha256(blob).subarray(0, 4))

/**
 * age's tweak: the X25519 shared secret is multiplied by a scalar derived from the SSH key,
 * so the wrap is bound to that SSH key and not only to its X25519 form. Then the wrapping key
 * is HKDF of it, salted with the ephemeral share and the recipient's X25519 key.
 */
function wrappingKey(shared: Uint8Array, blob: Uint8Array, share: Uint8Array, recipient: Uint8Array): Uint8Array {
  const tweak = hkdf32(new Uint8Array(0), blob, LABEL) // no input key: the SSH key is the salt
  return hkdf32(curves().x25519.scalarMult(tweak, shared), concatBytes(share, recipient), LABEL)
}

export function sshEd25519Recipient(publicKey: SshEd25519PublicKey): Recipient {
  const theirs = curves().ed25519.utils.toMontgomery(publicKey.key)
  return {
    wrapFileKey(fileKey) {
      const ephemeral = new Uint8Array(randomBytes(32))
      const share = curves().x25519.scalarMultBase(ephemeral)
      const key = wrappingKey(curves().x25519.scalarMult(ephemeral, theirs), publicKey.blob, share, theirs)
      const body = chacha().chacha20poly1305(key, ZERO_NONCE).encrypt(fileKey)
      return [new (typage().Stanza)([SSH_ED25519, stanzaTag(publicKey.blob), toBase64Raw(share)], body)]
    },
  }
}

export function sshEd25519Identity(privateKey: SshEd25519PrivateKey): Identity {
  const secret = curves().ed25519.utils.toMontgomerySecret(privateKey.seed)
  const ours = curves().x25519.scalarMultBase(secret)
  const { blob } = privateKey.publicKey
  const tag = stanzaTag(blob)
  const unwrap = (stanza: Stanza): Uint8Array | null => {
    const [, stanzaTagText, shareText = ''] = stanza.args
    const share = fromBase64Raw(shareText)
    // Checked before the tag, as age does: a malformed ssh-ed25519 stanza is an error for every identity.
    if (stanza.args.length !== 3 || share?.length !== 32) throw new StanzaDamaged('an ssh-ed25519 stanza is malformed')
    if (stanzaTagText !== tag) return null
    let shared: Uint8Array
    try {
      shared = curves().x25519.scalarMult(secret, share)
    }
    catch {
      throw new StanzaDamaged('the ssh-ed25519 stanza for this key holds an invalid ephemeral key')
    }
    const key = wrappingKey(shared, blob, share, ours)
    try {
      if (stanza.body.length !== WRAPPED_FILE_KEY_BYTES) throw new Error('length')
      return chacha().chacha20poly1305(key, ZERO_NONCE).decrypt(stanza.body)
    }
    catch {
      throw new StanzaDamaged('the ssh-ed25519 stanza for this key does not decrypt')
    }
  }
  return {
    unwrapFileKey(stanzas) {
      for (const stanza of stanzas) {
        if (stanza.args[0] !== SSH_ED25519) continue
        const fileKey = unwrap(stanza)
        if (fileKey) return fileKey
      }
      return null
    },
  }
}
