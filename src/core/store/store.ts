/**
 * The store API: open or create a store with its keys, read and change secrets, admins and
 * readers, each change signed, audited and written atomically.
 */
import { randomBytes } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { SecretsError } from '../errors'
import { assertAdminName, assertSecretName, encodeSecretValue, UTF8_STRICT } from '../names'
import { dataKeyId, decryptValue, encryptValue, randomKey, valueAad } from './crypto'
import { bytesEqual } from './encoding'
import {
  crashPoint,
  ensureFolder,
  fileMode,
  readTextFile,
  readTextFileSync,
  withFileLock,
  writeFileAtomic,
} from './files'
import type { AuditAction, AuditEntry, SecretRecord, StoreFile } from './format'
import {
  parseStoreFile,
  readerRecordHash,
  secretRecordHash,
  serializeStoreFile,
  STORE_FORMAT,
  STORE_FORMAT_V1,
  storeAdmins,
} from './format'
import type { AdminKey, StoreKey } from './keys'
import {
  formatAdminKey,
  formatPublicKey,
  formatStoreKey,
  generateAdminKey,
  parseAdminKey,
  parsePublicKey,
  parseStoreKey,
} from './keys'
import type { KeyFile } from './keyfile'
import { readKeyFile, readKeyFileSync, updateKeyFile, withStoreKey } from './keyfile'
import type { FoundKeys, KeySource } from './key-sources'
import { findStoreKeys, findStoreKeysSync, STORE_KEY_ENV } from './key-sources'
import { readerIdentityKey } from './reader-key'
import { parseRecipient, wrapForRecipient } from './age'
import { entryHash, signAuditEntry, signStore, trustRootOf, verifyStore, verifyStoreAsync } from './trust'
import type { Line, Memory, SeenRevision } from './history'
import {
  acceptRevision,
  belowMinimum,
  describeChange,
  lineOf,
  readMemory,
  remember,
  rollbackError,
  seenRevision,
  verifiedHeads,
} from './history'
import type { Trail } from './replay'
import { buildTrail } from './replay'
import { DEFAULT_STORE_PATH, storeNotFound } from './locate'

export { STORE_KEY_ENV } from './key-sources'
export { DEFAULT_STORE_PATH, findStore } from './locate'
export const ADMIN_KEY_ENV = 'UNPLUGIN_SECRETS_ADMIN_KEY'

export interface OpenStoreOptions {
  /** Open for reading only: no admin key is looked for (start-up code). */
  readOnly?: boolean
  /** Store file. Default: `secrets.enc.json` in the current directory. */
  path?: string
  /** Store key (`usec_store_…`). Default: `UNPLUGIN_SECRETS_KEY`, then the key file. */
  key?: string
  /**
   * Admin key (`usec_admin_…`), needed to change the store. Default: `UNPLUGIN_SECRETS_ADMIN_KEY`,
   * then the key file.
   */
  adminKey?: string
  /**
   * Refuse a store below this revision (STORE_ROLLBACK), for deploy
   * pipelines that know the newest one. Default: `UNPLUGIN_SECRETS_MIN_REVISION`.
   */
  minRevision?: number
}

export interface CreateStoreOptions {
  /** Store file to create (missing folders are created). Default: `secrets.enc.json`. */
  path?: string
  /** Name of the first admin, e.g. `alice` or `alice@example.com`. */
  admin: string
  /** Use an existing admin key instead of generating one. */
  adminKey?: string
  /**
   * Called with the new keys before the store file is written; if it throws,
   * nothing is written. Save the keys here so a crash cannot leave a store
   * nobody can open.
   */
  saveKeys?: (keys: { id: string, storeKey: string, adminKey: string }) => void | Promise<void>
}

/** Metadata of one secret. Never the value. */
export interface SecretInfo {
  name: string
  version: number
  createdAt: string
  updatedAt: string
  updatedBy: string
  description?: string
}

export interface AuditRecord {
  seq: number
  at: string
  admin: string
  action: AuditAction
  name?: string
}

export interface AdminInfo {
  name: string
  publicKey: string
  addedAt: string
  addedBy: string
}

/** A reader: someone who opens the store with their own age identity. */
export interface ReaderInfo {
  name: string
  /** Their age recipient (`age1…`) or SSH ed25519 public key (`ssh-ed25519 AAAA…`). */
  recipient: string
  addedAt: string
  addedBy: string
}

export interface VerifyReport {
  path: string
  id: string
  revision: number
  keyId: string
  secrets: number
  admins: string[]
  lastChange: AuditRecord
}

/**
 * Conditions a write checks against the store file as re-read under the
 * lock, so two writers that read the same state cannot both win.
 */
export interface WriteCondition {
  /** Only when the store has no secret of this name; else SECRET_EXISTS. */
  ifAbsent?: boolean
  /**
   * Only when the secret is at this version (the one you read); else
   * SECRET_CHANGED, or SECRET_NOT_FOUND from `set` when it is gone.
   */
  ifVersion?: number
}

export interface SetOptions extends WriteCondition {
  /** Free text shown by `list`; kept when omitted on an update. */
  description?: string
}

export interface RotateOptions {
  /**
   * Called with the new store key before the rotated store is written; if it
   * throws, nothing is written. Save the key here so a crash cannot lock you
   * out. Without it, the new key goes to the key file (as it does whenever
   * the store key came from there).
   */
  saveKey?: (storeKey: string) => void | Promise<void>
}

function assertCondition(name: string, { ifAbsent, ifVersion }: WriteCondition): void {
  if (ifAbsent !== undefined && typeof ifAbsent !== 'boolean')
    throw new SecretsError('USAGE', `ifAbsent for ${name} must be true or false; got ${JSON.stringify(ifAbsent)}.`)
  if (ifVersion !== undefined && !(Number.isSafeInteger(ifVersion) && ifVersion > 0)) {
    throw new SecretsError('USAGE', [
      `ifVersion for ${name} must be a whole number above 0 (a version from list());`,
      `got ${JSON.stringify(ifVersion)}.`,
    ].join(' '))
  }
  if (ifAbsent && ifVersion !== undefined) {
    throw new SecretsError(
      'USAGE',
      `Give ${name} either ifAbsent or ifVersion, not both: a secret cannot be absent and at a version.`,
    )
  }
}

const toAuditRecord = ({ seq, at, admin, action, name }: AuditEntry): AuditRecord => ({
  seq,
  at,
  admin,
  action,
  ...(name === undefined ? {} : { name }),
})

async function readStoreFile(path: string): Promise<StoreFile> {
  const text = await readTextFile(path)
  if (text === undefined) throw storeNotFound(path)
  return parseStoreFile(text, path)
}

/** Accumulates one change: copies of the maps, signed audit entries, then the signed file. */
class Change {
  readonly secrets: Map<string, SecretRecord>
  readonly admins: StoreFile['admins']
  readonly readers: StoreFile['readers']
  readonly audit: AuditEntry[]
  readonly at = new Date().toISOString()
  keyId: string

  constructor(
    readonly base: StoreFile,
    readonly admin: string,
    private readonly adminKey: AdminKey,
    public dataKey: Uint8Array,
  ) {
    this.secrets = new Map(base.secrets)
    this.admins = new Map(base.admins)
    this.readers = new Map(base.readers)
    this.audit = [...base.audit]
    this.keyId = base.keyId
  }

  get changed(): boolean {
    return this.audit.length > this.base.audit.length
  }

  record(action: AuditAction, fields: Omit<AuditEntry, 'seq' | 'at' | 'admin' | 'action' | 'prev' | 'sig'> = {}): void {
    // A v1 store's first write commits every record as it stands (format v2), then changes it.
    if (!this.changed && this.base.format === STORE_FORMAT_V1) this.#append('upgrade', recordHashes(this.base))
    this.#append(action, fields)
  }

  /** Sets a secret's record and the audit entry that commits to it. */
  writeSecret(action: 'create' | 'update', name: string, record: SecretRecord): void {
    this.secrets.set(name, record)
    this.record(action, { name, record: secretRecordHash(record) })
  }

  #append(action: AuditAction, fields: Omit<AuditEntry, 'seq' | 'at' | 'admin' | 'action' | 'prev' | 'sig'>): void {
    const last = this.audit.at(-1)!
    this.audit.push(
      signAuditEntry(this.adminKey, {
        seq: last.seq + 1,
        at: this.at,
        admin: this.admin,
        action,
        ...fields,
        prev: entryHash(last),
      }),
    )
  }

  seal(): StoreFile {
    return signStore(this.adminKey, this.admin, this.dataKey, {
      format: STORE_FORMAT,
      id: this.base.id,
      revision: this.audit.at(-1)!.seq,
      keyId: this.keyId,
      admins: this.admins,
      secrets: this.secrets,
      readers: this.readers,
      audit: this.audit,
    })
  }
}

/** A rotation gives every reader an entry holding the new store key. */
async function rewrapReaders(change: Change, storeKey: string): Promise<void> {
  if (change.readers.size === 0) return
  for (const [name, reader] of change.readers) {
    change.readers.set(name, {
      ...reader,
      wrap: await wrapForRecipient(storeKey, parseRecipient(reader.recipient, `The recipient of reader ${name}`)),
    })
  }
}

/** The hash of every secret and reader record: what rotate and upgrade entries commit to. */
interface RecordHashes { records: Record<string, string>, readers: Record<string, string> }
const recordHashes = (file: Pick<StoreFile, 'secrets' | 'readers'>): RecordHashes => ({
  records: Object.fromEntries([...file.secrets].map(([name, record]) => [name, secretRecordHash(record)])),
  readers: Object.fromEntries([...file.readers].map(([name, record]) => [name, readerRecordHash(record)])),
})

/** An opened, verified store. Obtain one with {@link openStore} or {@link createStore}. */
export class SecretStore {
  #file: StoreFile
  #trail: Trail
  #storeKey: StoreKey
  readonly #keySource: KeySource
  readonly #keyLabel: string
  readonly #adminKey: AdminKey | undefined
  readonly #history: HistoryCheck

  /** @internal */
  constructor(readonly path: string, opened: Opened, adminKey: AdminKey | undefined, history: HistoryCheck) {
    this.#file = opened.file
    this.#trail = opened.trail
    this.#storeKey = opened.storeKey
    this.#keySource = opened.keySource
    this.#keyLabel = opened.keyLabel
    this.#adminKey = adminKey
    this.#history = history
  }

  get id(): string { return this.#file.id }
  get revision(): number { return this.#file.revision }

  /** The revision as opened, as the rollback memory records it. */
  seenRevision(): SeenRevision {
    return seenRevision(this.#file, this.#trail)
  }

  /** Name of the admin whose key this store was opened with, if that key is in the admin list. */
  get admin(): string | undefined {
    try {
      return this.assertAdmin()
    }
    catch {
      return undefined
    }
  }

  /** Throws ADMIN_REQUIRED or NOT_ADMIN unless this store was opened with a listed admin's key. */
  assertAdmin(): string {
    return this.#adminName(this.#file, this.#adminKey)
  }

  #adminName(file: StoreFile, key: AdminKey | undefined): string {
    if (!key) {
      throw new SecretsError('ADMIN_REQUIRED', [
        `Changing ${this.path} needs an admin key. Set ${ADMIN_KEY_ENV}, or run this on the machine`,
        `where you ran unplugin-secrets init (its key file holds the admin key). Its admins: ${storeAdmins(file)}.`,
      ].join(' '))
    }
    const name = [...file.admins].find(([, record]) => bytesEqual(parsePublicKey(record.publicKey), key.publicKey))?.[0]
    if (!name) {
      throw new SecretsError('NOT_ADMIN', [
        `Your admin key (public key ${formatPublicKey(key.publicKey)}) is not an admin of ${this.path}.`,
        `Ask an admin (${storeAdmins(file)})`,
        `to run: unplugin-secrets admins add <your-name> --public-key ${formatPublicKey(key.publicKey)}`,
      ].join(' '))
    }
    return name
  }

  /** The store key this store was opened with, as a printable string (for CI secrets). */
  exportKey(): string {
    return formatStoreKey(this.#storeKey)
  }

  /**
   * The admin key this store was opened with, as a printable string (to sign in to the dashboard);
   * only a listed admin's.
   */
  exportAdminKey(): { admin: string, adminKey: string } {
    return { admin: this.assertAdmin(), adminKey: formatAdminKey(this.#adminKey!) }
  }

  has(name: string): boolean {
    return this.#file.secrets.has(name)
  }

  list(): SecretInfo[] {
    return [...this.#file.secrets]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, { version, createdAt, updatedAt, updatedBy, description }]) =>
        ({ name, version, createdAt, updatedAt, updatedBy, ...(description === undefined ? {} : { description }) }))
  }

  log(): AuditRecord[] {
    return this.#file.audit.map(toAuditRecord)
  }

  admins(): AdminInfo[] {
    return [...this.#file.admins]
      .map(([name, record]) => ({ name, ...record }))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
  }

  async get(name: string): Promise<string | undefined> {
    return this.#decrypt(name)
  }

  /** `get` without the promise, for synchronous callers such as bundler transforms. */
  getSync(name: string): string | undefined {
    return this.#decrypt(name)
  }

  /** Decrypts every value (for tools that need them all at once). */
  async getAll(): Promise<Map<string, string>> {
    return new Map([...this.#file.secrets.keys()].map(name => [name, this.#decrypt(name)!]))
  }

  #decrypt(name: string): string | undefined {
    const record = this.#file.secrets.get(name)
    if (!record) return undefined
    const file = this.#file
    const plaintext = decryptValue(
      this.#storeKey.dataKey,
      valueAad(file.id, file.keyId, name, record.version),
      record.value,
    )
    if (!plaintext) {
      throw new SecretsError('STORE_TAMPERED', [
        `${this.path}: the value of ${name} does not decrypt (its ciphertext was damaged,`,
        `or moved from another name or version). Have an admin set ${name} again.`,
      ].join(' '))
    }
    try {
      return UTF8_STRICT.decode(plaintext)
    }
    catch {
      throw new SecretsError('STORE_TAMPERED', [
        `${this.path}: the value of ${name} is not UTF-8 text.`,
        `Have an admin set ${name} again.`,
      ].join(' '))
    }
    finally {
      plaintext.fill(0) // the string stays (JavaScript cannot wipe strings); the bytes need not
    }
  }

  /** Creates or updates a secret. Needs an admin key. */
  async set(name: string, value: string, options: SetOptions = {}): Promise<SecretInfo> {
    await this.setMany({ [name]: { value, ...options } })
    return this.list().find(info => info.name === name)!
  }

  /** Creates or updates several secrets in one write (all or none: a failed condition writes nothing). */
  async setMany(values: Record<string, string | ({ value: string } & SetOptions)>): Promise<void> {
    const entries = Object.entries(values).map(([name, entry]) => {
      assertSecretName(name)
      const { value, description, ...condition } = typeof entry === 'string'
        ? { value: entry, description: undefined }
        : entry
      if (description !== undefined && typeof description !== 'string')
        throw new SecretsError('INVALID_VALUE', `The description of ${name} must be a string.`)
      assertCondition(name, condition)
      return { name, plaintext: encodeSecretValue(name, value), description, condition }
    })
    await this.#change((change) => {
      for (const { name, condition } of entries) this.#checkCondition(change, name, condition, true)
      for (const { name, plaintext, description } of entries) {
        const previous = change.secrets.get(name)
        const version = (previous?.version ?? 0) + 1
        const kept = description ?? previous?.description
        change.writeSecret(previous ? 'update' : 'create', name, {
          ...(kept === undefined ? {} : { description: kept }),
          version,
          createdAt: previous?.createdAt ?? change.at,
          updatedAt: change.at,
          updatedBy: change.admin,
          value: encryptValue(this.#storeKey.dataKey, valueAad(change.base.id, change.keyId, name, version), plaintext),
        })
      }
    }).finally(() => {
      for (const { plaintext } of entries) plaintext.fill(0) // encrypted or refused: the bytes are not needed any more
    })
  }

  /**
   * Deletes a secret; resolves to false (and writes nothing) when it does not
   * exist. With `ifVersion`, only that version is deleted (else SECRET_CHANGED).
   */
  async delete(name: string, options: Pick<WriteCondition, 'ifVersion'> = {}): Promise<boolean> {
    assertSecretName(name)
    const condition = { ifVersion: options.ifVersion }
    assertCondition(name, condition)
    return this.#change((change) => {
      if (!change.secrets.has(name)) return false
      this.#checkCondition(change, name, condition, false)
      change.secrets.delete(name)
      change.record('delete', { name })
      return true
    })
  }

  /** Throws unless `name` in the freshly read file meets `condition`. */
  #checkCondition(change: Change, name: string, { ifAbsent, ifVersion }: WriteCondition, setting: boolean): void {
    const current = change.secrets.get(name)
    if (ifAbsent && current) {
      throw new SecretsError('SECRET_EXISTS', [
        `${name} already exists in ${this.path} (version ${current.version}, set by ${current.updatedBy});`,
        'nothing was written. Update it without ifAbsent, or choose another name.',
      ].join(' '))
    }
    if (ifVersion === undefined) return
    if (!current && setting) {
      throw new SecretsError('SECRET_NOT_FOUND', [
        `${name} is no longer in ${this.path} (deleted since you read version ${ifVersion}); nothing was written.`,
        'Re-read the store; set it again without ifVersion to re-create it.',
      ].join(' '))
    }
    if (current && current.version !== ifVersion) {
      throw new SecretsError('SECRET_CHANGED', [
        `${name} in ${this.path} was changed by someone else since you read it: it is at version ${current.version}`,
        `(set by ${current.updatedBy}), not ${ifVersion}; nothing was written. Re-read it, then try again.`,
      ].join(' '))
    }
  }

  /**
   * New data key, every value re-encrypted; the old store key stops working.
   * Resolves to the new store key.
   */
  async rotate(options: RotateOptions = {}): Promise<{ storeKey: string }> {
    const newKey: StoreKey = { dataKey: randomKey(), trustRoot: this.#storeKey.trustRoot }
    const storeKey = formatStoreKey(newKey)
    const keyFileKeeps = this.#keySource === 'file' || !options.saveKey
    await this.#change(async (change) => {
      change.keyId = dataKeyId(newKey.dataKey)
      change.dataKey = newKey.dataKey
      for (const [name, record] of change.secrets) {
        const plaintext = decryptValue(
          this.#storeKey.dataKey,
          valueAad(change.base.id, change.base.keyId, name, record.version),
          record.value,
        )
        if (!plaintext) {
          throw new SecretsError('STORE_TAMPERED', [
            `${this.path}: the value of ${name} does not decrypt, so the store cannot be rotated.`,
            `Have an admin set ${name} again first.`,
          ].join(' '))
        }
        change.secrets.set(name, {
          ...record,
          value: encryptValue(newKey.dataKey, valueAad(change.base.id, change.keyId, name, record.version), plaintext),
        })
        plaintext.fill(0)
      }
      await rewrapReaders(change, storeKey)
      change.record('rotate', { keyId: change.keyId, ...recordHashes(change) })
    }, {
      beforeWrite: async () => {
        await options.saveKey?.(storeKey)
        // Unless the caller keeps the new key, the key file does, before the store needs it.
        if (keyFileKeeps)
          await updateKeyFile(this.id, keys => withStoreKey(keys, storeKey))
        crashPoint('rotate-key-saved')
      },
      afterWrite: async () => {
        // Under the store lock, so no other rotation interleaves: only the new key opens the store now.
        const retired = this.#storeKey
        this.#storeKey = newKey
        retired.dataKey.fill(0)
        // A caller who keeps the key (saveKey, key not from the file) gets no key file written.
        if (keyFileKeeps) await updateKeyFile(this.id, keys => withStoreKey(keys, storeKey)).catch(() => {})
      },
    })
    return { storeKey }
  }

  async addAdmin(name: string, publicKey: string): Promise<void> {
    assertAdminName(name)
    const key = parsePublicKey(publicKey, `The public key for ${name}`)
    const canonicalKey = formatPublicKey(key)
    await this.#change((change) => {
      if (change.admins.has(name)) {
        throw new SecretsError('ADMIN_EXISTS', [
          `${name} is already an admin of ${this.path}.`,
          'To replace their key, remove them first.',
        ].join(' '))
      }
      const holder = [...change.admins].find(([, record]) => record.publicKey === canonicalKey)
      if (holder) {
        throw new SecretsError('ADMIN_EXISTS', [
          `That public key already belongs to admin ${holder[0]}.`,
          'Each admin needs their own key: unplugin-secrets admins keygen.',
        ].join(' '))
      }
      change.admins.set(name, { publicKey: canonicalKey, addedAt: change.at, addedBy: change.admin })
      change.record('admin-add', { name, publicKey: canonicalKey })
    })
  }

  async removeAdmin(name: string): Promise<void> {
    await this.#change((change) => {
      if (!change.admins.has(name)) {
        throw new SecretsError('ADMIN_NOT_FOUND', [
          `${JSON.stringify(name)} is not an admin of ${this.path}.`,
          'List them with: unplugin-secrets admins list.',
        ].join(' '))
      }
      if (change.admins.size === 1) {
        throw new SecretsError('LAST_ADMIN', [
          `${name} is the only admin of ${this.path};`,
          'removing them would leave nobody able to change it. Add another admin first.',
        ].join(' '))
      }
      change.admins.delete(name)
      change.record('admin-remove', { name })
    })
  }

  readers(): ReaderInfo[] {
    return [...this.#file.readers]
      .map(([name, { recipient, addedAt, addedBy }]) => ({ name, recipient, addedAt, addedBy }))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
  }

  /**
   * Makes `name` a reader: the store key, encrypted to their age recipient
   * (`age1…`) or SSH ed25519 public key, goes into the store. Needs an admin key.
   */
  async addReader(name: string, recipient: string): Promise<ReaderInfo> {
    assertAdminName(name)
    const parsed = parseRecipient(recipient, `The recipient for reader ${name}`)
    await this.#change(async (change) => {
      if (change.readers.has(name)) {
        throw new SecretsError('READER_EXISTS', [
          `${name} is already a reader of ${this.path}.`,
          `To give them a new key, remove them first (readers rm ${name}).`,
        ].join(' '))
      }
      const holder = [...change.readers].find(([, reader]) => reader.recipient === parsed.text)
      if (holder) {
        throw new SecretsError('READER_EXISTS', [
          `That recipient already belongs to reader ${holder[0]} of ${this.path}.`,
          'Each reader needs their own key: unplugin-secrets identity new.',
        ].join(' '))
      }
      const record = {
        recipient: parsed.text,
        addedAt: change.at,
        addedBy: change.admin,
        wrap: await wrapForRecipient(formatStoreKey(this.#storeKey), parsed),
      }
      change.readers.set(name, record)
      change.record('reader-add', { name, recipient: parsed.text, record: readerRecordHash(record) })
    })
    return this.readers().find(reader => reader.name === name)!
  }

  /**
   * Takes `name`'s entry out of the store. They keep what they could read:
   * rotate next, so the key their old entry holds stops opening new revisions.
   */
  async removeReader(name: string): Promise<void> {
    await this.#change((change) => {
      if (!change.readers.delete(name)) {
        throw new SecretsError('READER_NOT_FOUND', [
          `${JSON.stringify(name)} is not a reader of ${this.path}.`,
          'List them with: unplugin-secrets readers list.',
        ].join(' '))
      }
      change.record('reader-remove', { name })
    })
  }

  /**
   * Full check of the store as opened: the trust chain, every audit entry's
   * signature and every ciphertext. Throws a SecretsError on the first problem.
   */
  verify(): VerifyReport {
    const file = this.#file
    verifyStore(file, this.#storeKey, this.path, { full: true })
    for (const name of file.secrets.keys()) this.#decrypt(name)
    return {
      path: this.path,
      id: file.id,
      revision: file.revision,
      keyId: file.keyId,
      secrets: file.secrets.size,
      admins: [...file.admins.keys()].sort(),
      lastChange: toAuditRecord(file.audit.at(-1)!),
    }
  }

  /** Re-reads the store file and verifies it (and that it did not go back: STORE_ROLLBACK). */
  async reload(): Promise<void> {
    const { file, trail } = await retryRace(async (memory) => {
      const file = await readStoreFile(this.path)
      try {
        return {
          file,
          trail: await trustFileAsync(
            this.path,
            file,
            this.#storeKey,
            this.#keyLabel,
            this.#history,
            memory?.(file.id),
          ),
        }
      }
      catch (error) {
        throw withStoreId(error, file.id)
      }
    })
    this.#file = file
    this.#trail = trail
  }

  async #change<T>(
    apply: (change: Change) => T | Promise<T>,
    hooks: { beforeWrite?: () => Promise<void>, afterWrite?: () => Promise<void> } = {},
  ): Promise<T> {
    const adminKey = this.#adminKey
    return withFileLock(this.path, async () => {
      const current = await readStoreFile(this.path)
      const trail = await trustFileAsync(this.path, current, this.#storeKey, this.#keyLabel, this.#history)
      // Never build on a file that does not extend what this program opened.
      if (!trail.has(this.#trail.head)) throw wentBackMeanwhile(this.path, this.#file, current)
      const change = new Change(current, this.#adminName(current, adminKey), adminKey!, this.#storeKey.dataKey)
      const result = await apply(change)
      if (!change.changed) {
        this.#file = current
        this.#trail = trail
        return result
      }
      const next = change.seal()
      await hooks.beforeWrite?.()
      await writeFileAtomic(this.path, serializeStoreFile(next), await fileMode(this.path, 0o644))
      this.#file = next
      this.#trail = trail.extend(next.audit.slice(current.audit.length))
      const line = lineOf(this.path)
      if (line) remember(next.id, line, seenRevision(next, this.#trail), this.#trail)
      await hooks.afterWrite?.()
      return result
    })
  }
}

/** What opening a file decided: the file, its trail and the key that opens it. */
interface Opened {
  file: StoreFile
  trail: Trail
  storeKey: StoreKey
  keySource: KeySource
  /** How messages name the key: "The store key in UNPLUGIN_SECRETS_KEY". */
  keyLabel: string
}

/** The rollback checks an open applies besides the memory. */
export interface HistoryCheck {
  /** Refuse revisions below this (else UNPLUGIN_SECRETS_MIN_REVISION). */
  minRevision?: number
  /** Internal: the accept-rollback command opens a rolled-back file to accept it. */
  acceptRollback?: boolean
}

export const MIN_REVISION_ENV = 'UNPLUGIN_SECRETS_MIN_REVISION'

function minimumRevision(option: number | undefined): { value: number, source: string } | undefined {
  const env = process.env[MIN_REVISION_ENV]
  const [raw, source] = option !== undefined
    ? [option, 'the minRevision option']
    : env ? [Number(env), MIN_REVISION_ENV] : [undefined, '']
  if (raw === undefined) return undefined
  if (!Number.isSafeInteger(raw) || raw < 1) {
    throw new SecretsError('USAGE', [
      `${source} must be a whole number of 1 or more (a store revision);`,
      `got ${JSON.stringify(option ?? env)}.`,
    ].join(' '))
  }
  return { value: raw, source }
}

/**
 * Verifies `file` (entries this machine verified before are not re-checked)
 * and checks it against the rollback memory and the minimum revision; records
 * its revision when it is new for this line of work.
 */
function trustFile(
  path: string,
  file: StoreFile,
  storeKey: StoreKey,
  keyLabel: string,
  history: HistoryCheck,
  memory = readMemory(file.id),
): Trail {
  const trail = verifyStore(file, storeKey, path, { keySource: keyLabel, verified: verifiedHeads(memory) })
  return checkHistory(path, file, trail, history, memory)
}

/** trustFile with the signatures checked in parallel (every caller but start-up code). */
async function trustFileAsync(
  path: string,
  file: StoreFile,
  storeKey: StoreKey,
  keyLabel: string,
  history: HistoryCheck,
  memory = readMemory(file.id),
): Promise<Trail> {
  const trail = await verifyStoreAsync(file, storeKey, path, { keySource: keyLabel, verified: verifiedHeads(memory) })
  return checkHistory(path, file, trail, history, memory)
}

/** The minimum revision and the rollback memory, for a file whose trail was verified; records a new revision. */
function checkHistory(path: string, file: StoreFile, trail: Trail, history: HistoryCheck, memory: Memory): Trail {
  const minimum = minimumRevision(history.minRevision)
  if (minimum && file.revision < minimum.value) throw belowMinimum(path, file, minimum.value, minimum.source)
  const line = lineOf(path)
  if (!line || history.acceptRollback) return trail
  const seen = memory.lines[line.key]
  if (seen && !trail.has(seen.head)) throw rollbackError(path, line, seen, file)
  if (seen?.head !== trail.head) remember(file.id, line, seenRevision(file, trail), trail)
  return trail
}

function wentBackMeanwhile(path: string, opened: StoreFile, current: StoreFile): SecretsError {
  return new SecretsError('STORE_ROLLBACK', [
    `${path} changed under this program: the file (revision ${current.revision},`,
    `last change ${describeChange(current.audit.at(-1)!)}) no longer contains revision ${opened.revision}`,
    `(last change ${describeChange(opened.audit.at(-1)!)}) that was opened here, so nothing was written.`,
    'Find out who put the older file back; open the store again to work on what is there now.',
  ].join(' '))
}

/**
 * Another process may write a newer revision (and record it) between our
 * read of the file and our look at the memory. Writers record a revision only
 * after its file is in place, so memory read *before* the file cannot be
 * ahead of it: a retry reads the memory first (`memoryFirst` gives it), then
 * the file. Also retried: a retired key (a rotation between reading the store
 * and the key file; a reader saw WRONG_KEY in ~3% of opens during rotations).
 */
type MemoryFirst = ((storeId: string) => Memory) | undefined

async function retryRace<T>(attempt: (memoryFirst: MemoryFirst) => Promise<T>): Promise<T> {
  let memoryFirst: MemoryFirst
  for (let tries = 1; ; tries++) {
    try {
      return await attempt(memoryFirst)
    }
    catch (error) {
      if (tries >= 4 || !isRace(error)) throw error
      memoryFirst = rememberedBefore(error)
    }
  }
}

function retryRaceSync<T>(attempt: (memoryFirst: MemoryFirst) => T): T {
  let memoryFirst: MemoryFirst
  for (let tries = 1; ; tries++) {
    try {
      return attempt(memoryFirst)
    }
    catch (error) {
      if (tries >= 4 || !isRace(error)) throw error
      memoryFirst = rememberedBefore(error)
    }
  }
}

/** The memory of the store the failed attempt read, taken now: before the next read of the file. */
function rememberedBefore(error: unknown): MemoryFirst {
  const storeId = (error as { storeId?: string }).storeId
  if (!storeId) return undefined
  const memory = readMemory(storeId)
  return id => (id === storeId ? memory : readMemory(id))
}

const isRace = (error: unknown): boolean => error instanceof SecretsError
  && (error.code === 'STORE_ROLLBACK' || (error.code === 'WRONG_KEY' && !process.env[STORE_KEY_ENV]))

/** Whether the keys must come from the key file (not an option or the environment). */
const needsKeyFile = (options: OpenStoreOptions): boolean =>
  (options.key === undefined && !process.env[STORE_KEY_ENV])
  || (!options.readOnly && options.adminKey === undefined && !process.env[ADMIN_KEY_ENV])

function resolveAdminKey(options: OpenStoreOptions, keyFile: KeyFile | undefined): AdminKey | undefined {
  if (options.adminKey !== undefined) return parseAdminKey(options.adminKey, 'The adminKey option')
  const env = process.env[ADMIN_KEY_ENV]
  if (env) return parseAdminKey(env, ADMIN_KEY_ENV)
  return keyFile?.adminKey === undefined ? undefined : parseAdminKey(keyFile.adminKey, 'The admin key in the key file')
}

/** Where trust is decided, once the file and its keys are found. */
function openParsed(
  path: string,
  file: StoreFile,
  keys: FoundKeys,
  adminKey: AdminKey | undefined,
  history: HistoryCheck,
  memory?: Memory,
): SecretStore {
  try {
    const storeKey = keyFor(file, keys)
    const trail = trustFile(path, file, storeKey, keys.label, history, memory)
    return new SecretStore(
      path,
      { file, trail, storeKey, keySource: keys.source, keyLabel: keys.label },
      adminKey,
      history,
    )
  }
  catch (error) {
    throw withStoreId(error, file.id)
  }
}

/** openParsed for asynchronous callers: signatures checked in parallel. */
async function openParsedAsync(
  path: string,
  file: StoreFile,
  keys: FoundKeys,
  adminKey: AdminKey | undefined,
  history: HistoryCheck,
  memory?: Memory,
): Promise<SecretStore> {
  try {
    const storeKey = keyFor(file, keys)
    const trail = await trustFileAsync(path, file, storeKey, keys.label, history, memory)
    return new SecretStore(
      path,
      { file, trail, storeKey, keySource: keys.source, keyLabel: keys.label },
      adminKey,
      history,
    )
  }
  catch (error) {
    throw withStoreId(error, file.id)
  }
}

/** The candidate whose key id is the file's (else the first, whose error then says why it does not open). */
function keyFor(file: StoreFile, keys: FoundKeys): StoreKey {
  const parsed = keys.candidates.map(key => parseStoreKey(key, keys.label))
  return parsed.find(key => dataKeyId(key.dataKey) === file.keyId) ?? parsed[0]!
}

/** Tags a failure with the id of the store it happened on, for the retry after a race. */
const withStoreId = (error: unknown, storeId: string): unknown =>
  (error instanceof SecretsError ? Object.assign(error, { storeId }) : error)

const historyOf = (options: OpenStoreOptions): HistoryCheck =>
  options.minRevision === undefined ? {} : { minRevision: options.minRevision }

/**
 * Opens a store and decides whether to trust it: a tampered, forged,
 * truncated or rolled-back file is rejected here, so no value is ever read from it.
 */
export async function openStore(
  options: OpenStoreOptions = {},
  history: HistoryCheck = historyOf(options),
): Promise<SecretStore> {
  const path = resolve(options.path ?? DEFAULT_STORE_PATH)
  return retryRace(async (memoryFirst) => {
    const file = await readStoreFile(path)
    const keyFile = needsKeyFile(options) ? await readKeyFile(file.id) : undefined
    const context = { path, key: options.key, keyFile }
    const keys = await findStoreKeys(file, context, readerIdentityKey).catch((error: unknown) => {
      throw withStoreId(error, file.id)
    })
    return openParsedAsync(
      path,
      file,
      keys,
      options.readOnly ? undefined : resolveAdminKey(options, keyFile),
      history,
      memoryFirst?.(file.id),
    )
  })
}

/** openStore for synchronous callers, such as a config module evaluated at start-up. */
export function openStoreSync(options: OpenStoreOptions = {}): SecretStore {
  const path = resolve(options.path ?? DEFAULT_STORE_PATH)
  return retryRaceSync((memoryFirst) => {
    const text = readTextFileSync(path)
    if (text === undefined) throw storeNotFound(path)
    const file = parseStoreFile(text, path)
    const keyFile = needsKeyFile(options) ? readKeyFileSync(file.id) : undefined
    const keys = findStoreKeysSync(file, { path, key: options.key, keyFile })
    return openParsed(
      path,
      file,
      keys,
      options.readOnly ? undefined : resolveAdminKey(options, keyFile),
      historyOf(options),
      memoryFirst?.(file.id),
    )
  })
}

/**
 * The accept-rollback command: opens the store as it is (every check but the
 * rollback memory), and makes its revision the one this machine remembers
 * for the store's line of work. Resolves to what was remembered before.
 */
export async function acceptRollback(
  options: OpenStoreOptions = {},
): Promise<{ store: SecretStore, before: SeenRevision | undefined, line: Line }> {
  const path = resolve(options.path ?? DEFAULT_STORE_PATH)
  const line = lineOf(path)
  if (!line) {
    throw new SecretsError('USAGE', [
      `${path} is in a git work tree with a detached HEAD (a tag, a bisect, a rebase or a CI checkout):`,
      'no revision is remembered there, so there is nothing to accept. Check out a branch first.',
    ].join(' '))
  }
  const store = await openStore({ ...options, readOnly: true }, { acceptRollback: true })
  const before = readMemory(store.id).lines[line.key]
  acceptRevision(store.id, line, store.seenRevision())
  return { store, before, line }
}

/**
 * Creates a new store with one admin. Writes no key file: the caller decides
 * where the returned keys go (the CLI's init saves them to the key file).
 */
export async function createStore(
  options: CreateStoreOptions,
): Promise<{ store: SecretStore, storeKey: string, adminKey: string }> {
  assertAdminName(options.admin)
  const path = resolve(options.path ?? DEFAULT_STORE_PATH)
  const adminKey = options.adminKey === undefined
    ? generateAdminKey()
    : parseAdminKey(options.adminKey, 'The adminKey option')
  await ensureFolder(dirname(path))
  return withFileLock(path, async () => {
    if (await readTextFile(path) !== undefined) {
      throw new SecretsError('STORE_EXISTS', [
        `A store already exists at ${path}; it was left unchanged.`,
        'Open it instead, or choose another path.',
      ].join(' '))
    }
    const id = randomBytes(16).toString('hex')
    const dataKey = randomKey()
    const keyId = dataKeyId(dataKey)
    const at = new Date().toISOString()
    const publicKey = formatPublicKey(adminKey.publicKey)
    const genesis = signAuditEntry(adminKey, {
      seq: 1,
      at,
      admin: options.admin,
      action: 'init',
      name: options.admin,
      publicKey,
      store: id,
      keyId,
      prev: '',
    })
    const storeKey: StoreKey = { dataKey, trustRoot: trustRootOf(genesis) }
    const file = signStore(adminKey, options.admin, dataKey, {
      format: STORE_FORMAT,
      id,
      revision: 1,
      keyId,
      admins: new Map([[options.admin, { publicKey, addedAt: at, addedBy: options.admin }]]),
      secrets: new Map(),
      readers: new Map(),
      audit: [genesis],
    })
    const keys = { storeKey: formatStoreKey(storeKey), adminKey: formatAdminKey(adminKey) }
    await options.saveKeys?.({ id, ...keys })
    await writeFileAtomic(path, serializeStoreFile(file), 0o644)
    const trail = buildTrail(file, path, new Map())
    const line = lineOf(path)
    if (line) remember(id, line, seenRevision(file, trail), trail)
    const opened = { file, trail, storeKey, keySource: 'option' as const, keyLabel: 'The store key' }
    return { store: new SecretStore(path, opened, adminKey, {}), ...keys }
  })
}
