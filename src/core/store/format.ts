import { SecretsError, formatLocation } from '../errors'
import { lineStarts, locate } from '../locate'
import { ADMIN_NAME_PATTERN, SECRET_NAME_PATTERN } from '../names'
import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { createRequire } from 'node:module'

export const STORE_FORMAT = 'unplugin-secrets/v1'

export interface AdminRecord {
  publicKey: string
  addedAt: string
  addedBy: string
}

export interface SecretRecord {
  description?: string
  version: number
  createdAt: string
  updatedAt: string
  updatedBy: string
  /** base64(nonce || XChaCha20-Poly1305 ciphertext || tag) */
  value: string
}

export type AuditAction = 'init' | 'create' | 'update' | 'delete' | 'rotate' | 'admin-add' | 'admin-remove'
const AUDIT_ACTIONS: readonly AuditAction[] = ['init', 'create', 'update', 'delete', 'rotate', 'admin-add', 'admin-remove']

/** One signed, hash-chained line of the audit trail. Never holds a value. */
export interface AuditEntry {
  seq: number
  at: string
  admin: string
  action: AuditAction
  /** The secret, or for admin-add / admin-remove / init the admin, the entry is about. */
  name?: string
  /** init and admin-add: the admin's public key. */
  publicKey?: string
  /** init: the store id. */
  store?: string
  /** init and rotate: the id of the data key from then on. */
  keyId?: string
  /** hex SHA-256 of the canonical previous entry; empty for the first. */
  prev: string
  sig: string
}

export interface StoreSignature {
  admin: string
  sig: string
  /** HMAC of the same digest under a key derived from the data key. */
  mac: string
}

/** The store file, parsed and shape-checked but not yet trusted. */
export interface StoreFile {
  format: typeof STORE_FORMAT
  id: string
  revision: number
  keyId: string
  admins: Map<string, AdminRecord>
  secrets: Map<string, SecretRecord>
  audit: AuditEntry[]
  signature: StoreSignature
}

/** An audit entry names a secret or an admin. */
const AUDIT_NAME = new RegExp(`${SECRET_NAME_PATTERN.source}|${ADMIN_NAME_PATTERN.source}`)
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/
const HEX = /^[0-9a-f]*$/

class ShapeChecker {
  constructor(private readonly file: string) {}

  fail(path: string, expected: string): never {
    throw new SecretsError('STORE_MALFORMED', `${this.file}: ${path} ${expected}. The file was hand-edited or damaged; restore it from git (git checkout -- ${this.file}).`)
  }

  object(value: unknown, path: string, keys: { required: string[], optional?: string[] }): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, 'must be an object')
    const record = value as Record<string, unknown>
    for (const key of keys.required) {
      if (!Object.hasOwn(record, key)) this.fail(`${path}.${key}`, 'is missing')
    }
    for (const key of Object.keys(record)) {
      if (!keys.required.includes(key) && !keys.optional?.includes(key)) this.fail(`${path}[${JSON.stringify(key)}]`, 'is not a field of the store format')
    }
    return record
  }

  string(value: unknown, path: string, pattern?: RegExp): string {
    if (typeof value !== 'string' || (pattern && !pattern.test(value))) this.fail(path, pattern ? `must be a string matching ${pattern}` : 'must be a string')
    return value
  }

  count(value: unknown, path: string, min: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) this.fail(path, `must be a whole number ≥ ${min}`)
    return value
  }

  map<T>(value: unknown, path: string, keyPattern: RegExp, item: (v: unknown, p: string) => T): Map<string, T> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, 'must be an object')
    const out = new Map<string, T>()
    for (const [key, entry] of Object.entries(value)) {
      if (!keyPattern.test(key)) this.fail(`${path}[${JSON.stringify(key)}]`, `has a key that is not a valid name`)
      out.set(key, item(entry, `${path}.${key}`))
    }
    return out
  }
}

/** `file:line:col` of `offset` in a store's text (only errors need it). */
const at = (text: string, file: string, offset: number): string => formatLocation(locate(lineStarts(text), file, offset))

/**
 * The first key that appears twice in one object of a valid JSON text, and
 * where. JSON.parse keeps the last of two equal keys, so unsigned
 * text could sit before the signed one and mislead a reviewer. A scan of the
 * text: jsonc-parser's full tokenizer costs ~5x more on a 10,000-secret store.
 */
function duplicateKey(text: string): { key: string, offset: number } | undefined {
  const objects: Set<string>[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 123 /* { */) objects.push(new Set())
    else if (c === 125 /* } */) objects.pop()
    else if (c === 34 /* " */) {
      let end = i + 1
      let escapes = false
      for (let d = text.charCodeAt(end); d !== 34; d = text.charCodeAt(end)) {
        if (d === 92 /* \ */) {
          escapes = true
          end++
        }
        end++
      }
      let next = end + 1
      for (let d = text.charCodeAt(next); d === 32 || d === 10 || d === 13 || d === 9; d = text.charCodeAt(next)) next++
      if (text.charCodeAt(next) === 58 /* : */) {
        const key = escapes ? JSON.parse(text.slice(i, end + 1)) as string : text.slice(i + 1, end)
        const seen = objects.at(-1)!
        if (seen.has(key)) return { key, offset: i }
        seen.add(key)
      }
      i = end
    }
  }
  return undefined
}

/** JSON.parse with errors that say where: syntax errors located by jsonc-parser (loaded only then), duplicate keys. */
function parseJsonText(text: string, file: string): unknown {
  const restore = `Restore it from git (git checkout -- ${file}).`
  let json: unknown
  try {
    json = JSON.parse(text)
  }
  catch {
    let failure: SecretsError | undefined
    let visit: typeof import('jsonc-parser').visit = () => {} // bundled into a server where jsonc-parser is not installed: no position
    try {
      visit = (createRequire(import.meta.url)('jsonc-parser') as typeof import('jsonc-parser')).visit
    }
    catch {}
    try {
      visit(text, {
        onError(_code, offset, length) {
          failure ??= offset + length >= text.trimEnd().length
            ? new SecretsError('STORE_MALFORMED', `${file}: the file ends before its JSON is complete (truncated or half-written). ${restore}`)
            : new SecretsError('STORE_MALFORMED', `${at(text, file, offset)}: the store is not valid JSON (a merge conflict or a hand edit?). ${restore}`)
        },
      }, { disallowComments: true, allowTrailingComma: false })
    }
    catch (error) {
      // jsonc-parser recurses once per level: thousands of nested [ or { overflow the stack.
      if (!(error instanceof RangeError)) throw error
      failure ??= new SecretsError('STORE_MALFORMED', `${file}: the file nests arrays or objects thousands of levels deep, which a store never does. ${restore}`)
    }
    throw failure ?? new SecretsError('STORE_MALFORMED', `${file}: the store is not valid JSON (a merge conflict or a hand edit?). ${restore}`)
  }
  const duplicate = duplicateKey(text)
  if (duplicate)
    throw new SecretsError('STORE_MALFORMED', `${at(text, file, duplicate.offset)}: the key ${JSON.stringify(duplicate.key)} appears twice in one object (a bad merge or a hand edit). ${restore}`)
  return json
}

/** Parses and shape-checks a store file. Trust is decided later, by verifyStore. */
export function parseStoreFile(source: string, file: string): StoreFile {
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source // an editor's byte order mark
  const json = parseJsonText(text, file)
  const check: ShapeChecker = new ShapeChecker(file)
  if (json !== null && typeof json === 'object' && 'format' in json && json.format !== STORE_FORMAT && typeof json.format === 'string' && json.format.startsWith('unplugin-secrets/'))
    throw new SecretsError('STORE_UNSUPPORTED', `${file} is in format ${JSON.stringify(json.format)}; this version of unplugin-secrets reads ${STORE_FORMAT}. Upgrade unplugin-secrets.`)
  const root = check.object(json, 'the file', { required: ['format', 'id', 'revision', 'keyId', 'admins', 'secrets', 'audit', 'signature'] })
  if (root.format !== STORE_FORMAT) check.fail('format', `must be "${STORE_FORMAT}" (is this a store file?)`)

  const audit = root.audit
  if (!Array.isArray(audit) || audit.length === 0) check.fail('audit', 'must be a non-empty array')
  const signature = check.object(root.signature, 'signature', { required: ['admin', 'sig', 'mac'] })

  return {
    format: STORE_FORMAT,
    id: check.string(root.id, 'id', /^[0-9a-f]{32}$/),
    revision: check.count(root.revision, 'revision', 1),
    keyId: check.string(root.keyId, 'keyId', /^[0-9a-f]{16}$/),
    admins: check.map(root.admins, 'admins', ADMIN_NAME_PATTERN, (value, path) => {
      const record = check.object(value, path, { required: ['publicKey', 'addedAt', 'addedBy'] })
      return {
        publicKey: check.string(record.publicKey, `${path}.publicKey`),
        addedAt: check.string(record.addedAt, `${path}.addedAt`, TIMESTAMP),
        addedBy: check.string(record.addedBy, `${path}.addedBy`, ADMIN_NAME_PATTERN),
      }
    }),
    secrets: check.map(root.secrets, 'secrets', SECRET_NAME_PATTERN, (value, path) => {
      const record = check.object(value, path, { required: ['version', 'createdAt', 'updatedAt', 'updatedBy', 'value'], optional: ['description'] })
      return {
        ...(record.description === undefined ? {} : { description: check.string(record.description, `${path}.description`) }),
        version: check.count(record.version, `${path}.version`, 1),
        createdAt: check.string(record.createdAt, `${path}.createdAt`, TIMESTAMP),
        updatedAt: check.string(record.updatedAt, `${path}.updatedAt`, TIMESTAMP),
        updatedBy: check.string(record.updatedBy, `${path}.updatedBy`, ADMIN_NAME_PATTERN),
        value: check.string(record.value, `${path}.value`),
      }
    }),
    audit: audit.map((value: unknown, index: number): AuditEntry => {
      const path = `audit[${index}]`
      const entry = check.object(value, path, { required: ['seq', 'at', 'admin', 'action', 'prev', 'sig'], optional: ['name', 'publicKey', 'store', 'keyId'] })
      if (!AUDIT_ACTIONS.includes(entry.action as AuditAction)) check.fail(`${path}.action`, `must be one of ${AUDIT_ACTIONS.join(', ')}`)
      return {
        seq: check.count(entry.seq, `${path}.seq`, 1),
        at: check.string(entry.at, `${path}.at`, TIMESTAMP),
        admin: check.string(entry.admin, `${path}.admin`, ADMIN_NAME_PATTERN),
        action: entry.action as AuditAction,
        ...(entry.name === undefined ? {} : { name: check.string(entry.name, `${path}.name`, AUDIT_NAME) }),
        ...(entry.publicKey === undefined ? {} : { publicKey: check.string(entry.publicKey, `${path}.publicKey`) }),
        ...(entry.store === undefined ? {} : { store: check.string(entry.store, `${path}.store`) }),
        ...(entry.keyId === undefined ? {} : { keyId: check.string(entry.keyId, `${path}.keyId`, /^[0-9a-f]{16}$/) }),
        prev: check.string(entry.prev, `${path}.prev`, HEX),
        sig: check.string(entry.sig, `${path}.sig`),
      }
    }),
    signature: {
      admin: check.string(signature.admin, 'signature.admin', ADMIN_NAME_PATTERN),
      sig: check.string(signature.sig, 'signature.sig'),
      mac: check.string(signature.mac, 'signature.mac'),
    },
  }
}

const sortedRecord = <T>(map: Map<string, T>): Record<string, T> =>
  Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/** The plain JSON value of a store file, without its signature. */
export function unsignedJson(file: Omit<StoreFile, 'signature'>) {
  return {
    format: file.format,
    id: file.id,
    revision: file.revision,
    keyId: file.keyId,
    admins: sortedRecord(file.admins),
    secrets: sortedRecord(file.secrets),
    audit: file.audit,
  }
}

/*
 * Canonical JSON (keys sorted, undefined left out) of the records a store
 * holds: JSON.stringify of each record rebuilt with its fields in sorted
 * order (undefined fields are left out by JSON.stringify), natively and ~10x
 * faster than a generic sorting serializer on 10,000 secrets. A test checks
 * these against the generic definition.
 */
const canonicalAdmin = ({ addedAt, addedBy, publicKey }: AdminRecord): string => JSON.stringify({ addedAt, addedBy, publicKey })
const canonicalSecret = ({ createdAt, description, updatedAt, updatedBy, value, version }: SecretRecord): string =>
  JSON.stringify({ createdAt, description, updatedAt, updatedBy, value, version })

/** Canonical JSON of an audit entry. */
export const canonicalEntry = ({ action, admin, at, keyId, name, prev, publicKey, seq, sig, store }: Omit<AuditEntry, 'sig'> & { sig?: string | undefined }): string =>
  JSON.stringify({ action, admin, at, keyId, name, prev, publicKey, seq, sig, store })

/** The bytes an audit entry signature covers: its canonical JSON without `sig`. */
export const auditSignedContent = (entry: Omit<AuditEntry, 'sig'> & { sig?: string }): string => canonicalEntry({ ...entry, sig: undefined })

/** Feeds the canonical JSON of a name-to-record map to `hash`, names sorted. */
function hashMap<T>(hash: Hash, map: Map<string, T>, canonical: (record: T) => string): void {
  const names = [...map.keys()].sort()
  hash.update('{')
  names.forEach((name, index) => hash.update(`${index ? ',' : ''}${JSON.stringify(name)}:${canonical(map.get(name)!)}`))
  hash.update('}')
}

/**
 * What a store signature covers: the SHA-256 of the canonical form of
 * everything in the file but the signature (hashing first keeps Ed25519 fast
 * on multi-megabyte stores). `known` may hold the audit entries' canonical texts.
 */
export function signedDigest(file: Omit<StoreFile, 'signature'>, known?: WeakMap<object, string>): string {
  // Hashed piece by piece: the text of a 10,000-secret store is never built whole.
  const hash = createHash('sha256').update('{"admins":')
  hashMap(hash, file.admins, canonicalAdmin)
  hash.update(',"audit":[')
  file.audit.forEach((entry, index) => hash.update(`${index ? ',' : ''}${known?.get(entry) ?? canonicalEntry(entry)}`))
  hash.update(`],"format":${JSON.stringify(file.format)},"id":${JSON.stringify(file.id)},"keyId":${JSON.stringify(file.keyId)},"revision":${JSON.stringify(file.revision)},"secrets":`)
  hashMap(hash, file.secrets, canonicalSecret)
  return hash.update('}').digest('hex')
}


/** Field order for people reading the file; signatures use the canonical (sorted) form. */
function orderedEntry({ seq, at, admin, action, name, publicKey, store, keyId, prev, sig }: AuditEntry): AuditEntry {
  return { seq, at, admin, action, name, publicKey, store, keyId, prev, sig }
}

const indent = (json: string, by: string): string => json.replace(/\n/g, `\n${by}`)

/**
 * Pretty JSON for review in git: one secret or admin block per name, sorted,
 * and one line per audit entry, so a change shows as a few lines of diff.
 */
export function serializeStoreFile(file: StoreFile): string {
  const json = unsignedJson(file)
  const auditLines = file.audit.map(entry => `    ${JSON.stringify(orderedEntry(entry))}`).join(',\n')
  return [
    '{',
    `  "format": ${JSON.stringify(json.format)},`,
    `  "id": ${JSON.stringify(json.id)},`,
    `  "revision": ${json.revision},`,
    `  "keyId": ${JSON.stringify(json.keyId)},`,
    `  "admins": ${indent(JSON.stringify(json.admins, null, 2), '  ')},`,
    `  "secrets": ${indent(JSON.stringify(json.secrets, null, 2), '  ')},`,
    `  "audit": [\n${auditLines}\n  ],`,
    `  "signature": ${JSON.stringify(file.signature)}`,
    '}',
    '',
  ].join('\n')
}
