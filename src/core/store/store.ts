import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { SecretsError } from '../errors'
import { UTF8_STRICT, assertAdminName, assertSecretName, encodeSecretValue } from '../names'
import { dataKeyId, decryptValue, encryptValue, randomKey, valueAad } from './crypto'
import { bytesEqual } from './encoding'
import { crashPoint, ensureFolder, fileMode, readTextFile, withFileLock, writeFileAtomic } from './files'
import type { AuditAction, AuditEntry, SecretRecord, StoreFile } from './format'
import { STORE_FORMAT, parseStoreFile, serializeStoreFile } from './format'
import type { AdminKey, StoreKey } from './keys'
import { formatAdminKey, formatPublicKey, formatStoreKey, generateAdminKey, parseAdminKey, parsePublicKey, parseStoreKey } from './keys'
import type { KeyFile } from './keyfile'
import { keyFilePath, readKeyFile, readKeyFileSync, updateKeyFile } from './keyfile'
import { entryHash, signAuditEntry, signStore, trustRootOf, verifyStore } from './trust'

export { DEFAULT_STORE_PATH, findStore } from './locate'
import { DEFAULT_STORE_PATH } from './locate'
export const STORE_KEY_ENV = 'UNPLUGIN_SECRETS_KEY'
export const ADMIN_KEY_ENV = 'UNPLUGIN_SECRETS_ADMIN_KEY'

export interface OpenStoreOptions {
  /** Open for reading only: no admin key is looked for (start-up code). */
  readOnly?: boolean
  /** Store file. Default: `secrets.enc.json` in the current directory. */
  path?: string
  /** Store key (`usec_store_…`). Default: `UNPLUGIN_SECRETS_KEY`, then the key file. */
  key?: string
  /** Admin key (`usec_admin_…`), needed to change the store. Default: `UNPLUGIN_SECRETS_ADMIN_KEY`, then the key file. */
  adminKey?: string
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

type KeySource = 'option' | 'env' | 'file'

function assertCondition(name: string, { ifAbsent, ifVersion }: WriteCondition): void {
  if (ifAbsent !== undefined && typeof ifAbsent !== 'boolean')
    throw new SecretsError('USAGE', `ifAbsent for ${name} must be true or false; got ${JSON.stringify(ifAbsent)}.`)
  if (ifVersion !== undefined && !(Number.isSafeInteger(ifVersion) && ifVersion > 0))
    throw new SecretsError('USAGE', `ifVersion for ${name} must be a whole number above 0 (a version from list()); got ${JSON.stringify(ifVersion)}.`)
  if (ifAbsent && ifVersion !== undefined)
    throw new SecretsError('USAGE', `Give ${name} either ifAbsent or ifVersion, not both: a secret cannot be absent and at a version.`)
}

const toAuditRecord = ({ seq, at, admin, action, name }: AuditEntry): AuditRecord => ({ seq, at, admin, action, ...(name === undefined ? {} : { name }) })

const storeNotFound = (path: string) =>
  new SecretsError('STORE_NOT_FOUND', `No store at ${path}. Create one with unplugin-secrets init, or point to yours (CLI --store, plugin store option, API path option, UNPLUGIN_SECRETS_STORE at start-up).`)

async function readStoreFile(path: string): Promise<StoreFile> {
  const text = await readTextFile(path)
  if (text === undefined) throw storeNotFound(path)
  return parseStoreFile(text, path)
}

/** Accumulates one change: copies of the maps, signed audit entries, then the signed file. */
class Change {
  readonly secrets: Map<string, SecretRecord>
  readonly admins: StoreFile['admins']
  readonly audit: AuditEntry[]
  readonly at = new Date().toISOString()
  keyId: string

  constructor(readonly base: StoreFile, readonly admin: string, private readonly adminKey: AdminKey, public dataKey: Uint8Array) {
    this.secrets = new Map(base.secrets)
    this.admins = new Map(base.admins)
    this.audit = [...base.audit]
    this.keyId = base.keyId
  }

  record(action: AuditAction, fields: Pick<AuditEntry, 'name' | 'publicKey' | 'keyId'> = {}): void {
    const last = this.audit.at(-1)!
    this.audit.push(signAuditEntry(this.adminKey, { seq: last.seq + 1, at: this.at, admin: this.admin, action, ...fields, prev: entryHash(last) }))
  }

  seal(): StoreFile {
    return signStore(this.adminKey, this.admin, this.dataKey, {
      format: STORE_FORMAT,
      id: this.base.id,
      revision: this.base.revision + 1,
      keyId: this.keyId,
      admins: this.admins,
      secrets: this.secrets,
      audit: this.audit,
    })
  }
}

/** An opened, verified store. Obtain one with {@link openStore} or {@link createStore}. */
export class SecretStore {
  #file: StoreFile
  #storeKey: StoreKey
  readonly #keySource: KeySource
  readonly #adminKey: AdminKey | undefined

  /** @internal */
  constructor(readonly path: string, file: StoreFile, storeKey: StoreKey, keySource: KeySource, adminKey: AdminKey | undefined) {
    this.#file = file
    this.#storeKey = storeKey
    this.#keySource = keySource
    this.#adminKey = adminKey
  }

  get id(): string { return this.#file.id }
  get revision(): number { return this.#file.revision }

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
    if (!key)
      throw new SecretsError('ADMIN_REQUIRED', `Changing ${this.path} needs an admin key. Set ${ADMIN_KEY_ENV}, or run this on the machine where you ran unplugin-secrets init (its key file holds the admin key).`)
    const name = [...file.admins].find(([, record]) => bytesEqual(parsePublicKey(record.publicKey), key.publicKey))?.[0]
    if (!name)
      throw new SecretsError('NOT_ADMIN', `Your admin key (public key ${formatPublicKey(key.publicKey)}) is not an admin of ${this.path}. Ask an admin to run: unplugin-secrets admins add <your-name> --public-key ${formatPublicKey(key.publicKey)}`)
    return name
  }

  /** The store key this store was opened with, as a printable string (for CI secrets). */
  exportKey(): string {
    return formatStoreKey(this.#storeKey)
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
    return [...this.#file.admins].map(([name, record]) => ({ name, ...record })).sort((a, b) => (a.name < b.name ? -1 : 1))
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
    const plaintext = decryptValue(this.#storeKey.dataKey, valueAad(file.id, file.keyId, name, record.version), record.value)
    if (!plaintext)
      throw new SecretsError('STORE_TAMPERED', `${this.path}: the value of ${name} does not decrypt (its ciphertext was damaged, or moved from another name or version). Have an admin set ${name} again.`)
    try {
      return UTF8_STRICT.decode(plaintext)
    }
    catch {
      throw new SecretsError('STORE_TAMPERED', `${this.path}: the value of ${name} is not UTF-8 text. Have an admin set ${name} again.`)
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
      const { value, description, ...condition } = typeof entry === 'string' ? { value: entry, description: undefined } : entry
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
        change.secrets.set(name, {
          ...(kept === undefined ? {} : { description: kept }),
          version,
          createdAt: previous?.createdAt ?? change.at,
          updatedAt: change.at,
          updatedBy: change.admin,
          value: encryptValue(this.#storeKey.dataKey, valueAad(change.base.id, change.keyId, name, version), plaintext),
        })
        change.record(previous ? 'update' : 'create', { name })
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
    if (ifAbsent && current)
      throw new SecretsError('SECRET_EXISTS', `${name} already exists in ${this.path} (version ${current.version}, set by ${current.updatedBy}); nothing was written. Update it without ifAbsent, or choose another name.`)
    if (ifVersion === undefined) return
    if (!current && setting)
      throw new SecretsError('SECRET_NOT_FOUND', `${name} is no longer in ${this.path} (deleted since you read version ${ifVersion}); nothing was written. Re-read the store; set it again without ifVersion to re-create it.`)
    if (current && current.version !== ifVersion)
      throw new SecretsError('SECRET_CHANGED', `${name} in ${this.path} was changed by someone else since you read it: it is at version ${current.version} (set by ${current.updatedBy}), not ${ifVersion}; nothing was written. Re-read it, then try again.`)
  }

  /**
   * New data key, every value re-encrypted; the old store key stops working.
   * Resolves to the new store key.
   */
  async rotate(options: RotateOptions = {}): Promise<{ storeKey: string }> {
    const newKey: StoreKey = { dataKey: randomKey(), trustRoot: this.#storeKey.trustRoot }
    const storeKey = formatStoreKey(newKey)
    const keyFileKeeps = this.#keySource === 'file' || !options.saveKey
    await this.#change((change) => {
      change.keyId = dataKeyId(newKey.dataKey)
      change.dataKey = newKey.dataKey
      for (const [name, record] of change.secrets) {
        const plaintext = decryptValue(this.#storeKey.dataKey, valueAad(change.base.id, change.base.keyId, name, record.version), record.value)
        if (!plaintext)
          throw new SecretsError('STORE_TAMPERED', `${this.path}: the value of ${name} does not decrypt, so the store cannot be rotated. Have an admin set ${name} again first.`)
        change.secrets.set(name, { ...record, value: encryptValue(newKey.dataKey, valueAad(change.base.id, change.keyId, name, record.version), plaintext) })
        plaintext.fill(0)
      }
      change.record('rotate', { keyId: change.keyId })
    }, {
      beforeWrite: async () => {
        await options.saveKey?.(storeKey)
        // Unless the caller keeps the new key, the key file does, before the store needs it.
        if (keyFileKeeps)
          await updateKeyFile(this.id, keys => ({ ...keys, storeKeys: [storeKey, ...keys.storeKeys.filter(key => key !== storeKey)] }))
        crashPoint('rotate-key-saved')
      },
      afterWrite: async () => {
        // Under the store lock, so no other rotation interleaves: only the new key opens the store now.
        const retired = this.#storeKey
        this.#storeKey = newKey
        retired.dataKey.fill(0)
        // A caller who keeps the key (saveKey, key not from the file) gets no key file written.
        if (keyFileKeeps) await updateKeyFile(this.id, keys => ({ ...keys, storeKeys: [storeKey] })).catch(() => {})
      },
    })
    return { storeKey }
  }

  async addAdmin(name: string, publicKey: string): Promise<void> {
    assertAdminName(name)
    const key = parsePublicKey(publicKey, `The public key for ${name}`)
    const canonicalKey = formatPublicKey(key)
    await this.#change((change) => {
      if (change.admins.has(name))
        throw new SecretsError('ADMIN_EXISTS', `${name} is already an admin of ${this.path}. To replace their key, remove them first.`)
      const holder = [...change.admins].find(([, record]) => record.publicKey === canonicalKey)
      if (holder)
        throw new SecretsError('ADMIN_EXISTS', `That public key already belongs to admin ${holder[0]}. Each admin needs their own key: unplugin-secrets admins keygen.`)
      change.admins.set(name, { publicKey: canonicalKey, addedAt: change.at, addedBy: change.admin })
      change.record('admin-add', { name, publicKey: canonicalKey })
    })
  }

  async removeAdmin(name: string): Promise<void> {
    await this.#change((change) => {
      if (!change.admins.has(name))
        throw new SecretsError('ADMIN_NOT_FOUND', `${JSON.stringify(name)} is not an admin of ${this.path}. List them with: unplugin-secrets admins list.`)
      if (change.admins.size === 1)
        throw new SecretsError('LAST_ADMIN', `${name} is the only admin of ${this.path}; removing them would leave nobody able to change it. Add another admin first.`)
      change.admins.delete(name)
      change.record('admin-remove', { name })
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

  /** Re-reads the store file and verifies it. */
  async reload(): Promise<void> {
    const file = await readStoreFile(this.path)
    verifyStore(file, this.#storeKey, this.path)
    this.#file = file
  }

  async #change<T>(apply: (change: Change) => T, hooks: { beforeWrite?: () => Promise<void>, afterWrite?: () => Promise<void> } = {}): Promise<T> {
    const adminKey = this.#adminKey
    return withFileLock(this.path, async () => {
      const current = await readStoreFile(this.path)
      verifyStore(current, this.#storeKey, this.path)
      const change = new Change(current, this.#adminName(current, adminKey), adminKey!, this.#storeKey.dataKey)
      const result = apply(change)
      if (change.audit.length === current.audit.length) {
        this.#file = current
        return result
      }
      const next = change.seal()
      await hooks.beforeWrite?.()
      await writeFileAtomic(this.path, serializeStoreFile(next), await fileMode(this.path, 0o644))
      this.#file = next
      await hooks.afterWrite?.()
      return result
    })
  }
}

interface ResolvedKey {
  candidates: string[]
  source: KeySource
  label: string
}

/** Whether the keys must come from the key file (not an option or the environment). */
const needsKeyFile = (options: OpenStoreOptions): boolean =>
  (options.key === undefined && !process.env[STORE_KEY_ENV]) || (!options.readOnly && options.adminKey === undefined && !process.env[ADMIN_KEY_ENV])

function resolveStoreKeys(options: OpenStoreOptions, storeId: string, keyFile: KeyFile | undefined): ResolvedKey | undefined {
  if (options.key !== undefined) return { candidates: [options.key], source: 'option', label: 'The store key in the key option' }
  const env = process.env[STORE_KEY_ENV]
  if (env) return { candidates: [env], source: 'env', label: `The store key in ${STORE_KEY_ENV}` }
  if (keyFile?.storeKeys.length) return { candidates: keyFile.storeKeys, source: 'file', label: `The store key in the key file ${keyFilePath(storeId)}` }
  return undefined
}

function resolveAdminKey(options: OpenStoreOptions, keyFile: KeyFile | undefined): AdminKey | undefined {
  if (options.adminKey !== undefined) return parseAdminKey(options.adminKey, 'The adminKey option')
  const env = process.env[ADMIN_KEY_ENV]
  if (env) return parseAdminKey(env, ADMIN_KEY_ENV)
  return keyFile?.adminKey === undefined ? undefined : parseAdminKey(keyFile.adminKey, 'The admin key in the key file')
}

/** Where trust is decided, once the files are read. */
function openParsed(path: string, file: StoreFile, options: OpenStoreOptions, keyFile: KeyFile | undefined): SecretStore {
  const keys = resolveStoreKeys(options, file.id, keyFile)
  if (!keys)
    throw new SecretsError('KEY_MISSING', `No store key for ${path} (store id ${file.id}). In CI set ${STORE_KEY_ENV}; on your machine import it: unplugin-secrets key import (paste the key an admin gets from unplugin-secrets key export).`)
  const parsed = keys.candidates.map(key => parseStoreKey(key, keys.label))
  const storeKey = parsed.find(key => dataKeyId(key.dataKey) === file.keyId) ?? parsed[0]!
  verifyStore(file, storeKey, path, { keySource: keys.label })
  return new SecretStore(path, file, storeKey, keys.source, options.readOnly ? undefined : resolveAdminKey(options, keyFile))
}

/**
 * Opens a store and decides whether to trust it: a tampered, forged or
 * truncated file is rejected here, so no value is ever read from it.
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<SecretStore> {
  const path = resolve(options.path ?? DEFAULT_STORE_PATH)
  for (let attempt = 1; ; attempt++) {
    const file = await readStoreFile(path)
    try {
      return openParsed(path, file, options, needsKeyFile(options) ? await readKeyFile(file.id) : undefined)
    }
    catch (error) {
      if (!rotatedMeanwhile(error, options, attempt)) throw error
    }
  }
}

/**
 * Whether to read the store and key file again: another process rotated
 * between the two reads, so the key file no longer holds the key of the
 * store as it was read (a reader saw WRONG_KEY in ~3% of opens during rotations).
 */
const rotatedMeanwhile = (error: unknown, options: OpenStoreOptions, attempt: number): boolean =>
  attempt < 3 && error instanceof SecretsError && error.code === 'WRONG_KEY' && options.key === undefined && !process.env[STORE_KEY_ENV]

/** openStore for synchronous callers, such as a config module evaluated at start-up. */
export function openStoreSync(options: OpenStoreOptions = {}): SecretStore {
  const path = resolve(options.path ?? DEFAULT_STORE_PATH)
  for (let attempt = 1; ; attempt++) {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    }
    catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw storeNotFound(path)
      throw new SecretsError('STORE_NOT_FOUND', `Could not read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, { cause: error })
    }
    const file = parseStoreFile(text, path)
    try {
      return openParsed(path, file, options, needsKeyFile(options) ? readKeyFileSync(file.id) : undefined)
    }
    catch (error) {
      if (!rotatedMeanwhile(error, options, attempt)) throw error
    }
  }
}

/**
 * Creates a new store with one admin. Writes no key file: the caller decides
 * where the returned keys go (the CLI's init saves them to the key file).
 */
export async function createStore(options: CreateStoreOptions): Promise<{ store: SecretStore, storeKey: string, adminKey: string }> {
  assertAdminName(options.admin)
  const path = resolve(options.path ?? DEFAULT_STORE_PATH)
  const adminKey = options.adminKey === undefined ? generateAdminKey() : parseAdminKey(options.adminKey, 'The adminKey option')
  await ensureFolder(dirname(path))
  return withFileLock(path, async () => {
    if (await readTextFile(path) !== undefined)
      throw new SecretsError('STORE_EXISTS', `A store already exists at ${path}; it was left unchanged. Open it instead, or choose another path.`)
    const id = randomBytes(16).toString('hex')
    const dataKey = randomKey()
    const keyId = dataKeyId(dataKey)
    const at = new Date().toISOString()
    const publicKey = formatPublicKey(adminKey.publicKey)
    const genesis = signAuditEntry(adminKey, { seq: 1, at, admin: options.admin, action: 'init', name: options.admin, publicKey, store: id, keyId, prev: '' })
    const storeKey: StoreKey = { dataKey, trustRoot: trustRootOf(genesis) }
    const file = signStore(adminKey, options.admin, dataKey, {
      format: STORE_FORMAT,
      id,
      revision: 1,
      keyId,
      admins: new Map([[options.admin, { publicKey, addedAt: at, addedBy: options.admin }]]),
      secrets: new Map(),
      audit: [genesis],
    })
    const keys = { storeKey: formatStoreKey(storeKey), adminKey: formatAdminKey(adminKey) }
    await options.saveKeys?.({ id, ...keys })
    await writeFileAtomic(path, serializeStoreFile(file), 0o644)
    return { store: new SecretStore(path, file, storeKey, 'option', adminKey), ...keys }
  })
}
