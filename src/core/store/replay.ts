/**
 * The audit trail replayed: what its signed entries say the store holds, and
 * every rule about history a store file must obey (a chain, or a graph of
 * chains joined by merge entries). The file is then checked against the result.
 */
import { SecretsError } from '../errors'
import { SECRET_NAME_PATTERN } from '../names'
import { sha256Hex } from './encoding'
import { parsePublicKey } from './keys'
import type { AuditAction, AuditEntry, CanonicalTexts, MergeChoice, StoreFile } from './format'
import { auditSignedContent, canonicalEntry, STORE_FORMAT_V1 } from './format'

export const tampered = (file: string, what: string): SecretsError =>
  new SecretsError('STORE_TAMPERED', [
    `${file}: ${what}.`,
    'The file was changed outside unplugin-secrets;',
    `restore it from git (git log -p -- ${file}) and have an admin re-apply the change.`,
  ].join(' '))

export const untrusted = (file: string, what: string): SecretsError =>
  new SecretsError('UNTRUSTED_ADMIN', [
    `${file}: ${what}, so the file is refused.`,
    'Only a current admin\'s key can change a store;',
    `restore it from git (git log -p -- ${file}) and review who changed it.`,
  ].join(' '))

/**
 * A secret as the trail describes it; `hash` commits to the whole record
 * (undefined only before a v1 store's upgrade).
 */
export interface SecretState {
  version: number
  createdAt: string
  updatedAt: string
  updatedBy: string
  hash: string | undefined
}

export interface AdminState {
  publicKey: string
  addedAt: string
  addedBy: string
}

export interface ReaderState {
  recipient: string
  addedAt: string
  addedBy: string
  hash: string
}

/** The store as of one audit entry. */
export interface TrailState {
  keyId: string
  secrets: Map<string, SecretState>
  admins: Map<string, AdminState>
  readers: Map<string, ReaderState>
  /** Entries here may be v1-shaped (no record hashes): true until an upgrade entry. */
  legacy: boolean
}

/** The audit trail as a graph: each entry's hash and parents. */
export class Trail {
  /** Hash to index, built on the first look-up that is not the entry just before. */
  #index: Map<string, number> | undefined

  constructor(
    readonly hashes: string[],
    /** Index of each entry's first parent (its prev); -1 for the genesis entry. */
    readonly first: Int32Array,
    /** Index of a merge entry's second parent; -1 for every other entry. */
    readonly second: Int32Array,
  ) {}

  /** Hash of the last entry: the head a newer revision must contain. */
  get head(): string {
    return this.hashes.at(-1)!
  }

  indexOf(hash: string | undefined): number {
    if (hash === undefined) return -1
    this.#index ??= new Map()
    // buildTrail looks entries up while it still appends hashes: index what was added since.
    for (let i = this.#index.size; i < this.hashes.length; i++) this.#index.set(this.hashes[i]!, i)
    return this.#index.get(hash) ?? -1
  }

  has(hash: string): boolean {
    // eslint-disable-next-line unicorn/prefer-includes -- Trail.indexOf, not Array's: a look-up by hash
    return this.hashes.at(-1) === hash || this.indexOf(hash) >= 0
  }

  parents(i: number): number[] {
    return this.first[i]! < 0 ? [] : this.second[i]! < 0 ? [this.first[i]!] : [this.first[i]!, this.second[i]!]
  }

  /** The trail of a file that appends `entries` to this one (a write just made). */
  extend(entries: AuditEntry[]): Trail {
    const n = this.hashes.length
    const first = new Int32Array(n + entries.length)
    const second = new Int32Array(n + entries.length).fill(-1)
    first.set(this.first)
    second.set(this.second)
    const hashes = [...this.hashes]
    for (const entry of entries) {
      first[hashes.length] = entry.prev === hashes.at(-1) ? hashes.length - 1 : hashes.indexOf(entry.prev)
      hashes.push(sha256Hex(canonicalEntry(entry)))
    }
    return new Trail(hashes, first, second)
  }
}

/** An entry signature still to check: the admin's public key (text) and what was signed. */
export interface PendingSignature {
  index: number
  publicKey: string
  content: string
  sig: string
}

export interface Replay {
  trail: Trail
  state: TrailState
  signatures: PendingSignature[]
  /** The state as of each entry asked for in `keep` (by hash) that the trail has. */
  kept: Map<string, TrailState>
}

/** Fields each action may carry besides seq, at, admin, action, prev and sig. */
const ENTRY_FIELDS: Record<AuditAction, readonly string[]> = {
  'init': ['name', 'publicKey', 'store', 'keyId'],
  'create': ['name', 'record'],
  'update': ['name', 'record'],
  'delete': ['name'],
  'rotate': ['keyId', 'records', 'readers'],
  'upgrade': ['records', 'readers'],
  'admin-add': ['name', 'publicKey'],
  'admin-remove': ['name'],
  'reader-add': ['name', 'recipient', 'record'],
  'reader-remove': ['name'],
  'merge': ['merged', 'base', 'choose', 'keyId', 'records', 'readers'],
}
const OPTIONAL_FIELDS = [
  'name',
  'publicKey',
  'store',
  'keyId',
  'recipient',
  'record',
  'records',
  'readers',
  'merged',
  'base',
  'choose',
] as const

const describe = (entry: AuditEntry, index: number): string =>
  `audit entry ${index + 1} (${entry.action}${entry.name ? ` ${entry.name}` : ''} by "${entry.admin}")`

/**
 * Hashes every entry and checks the graph: each parent earlier in the file,
 * seq one deeper than its parents, one head.
 */
export function buildTrail(file: StoreFile, path: string, known: CanonicalTexts): Trail {
  const { audit } = file
  const n = audit.length
  const hashes: string[] = []
  const first = new Int32Array(n).fill(-1)
  const second = new Int32Array(n).fill(-1)
  const trail = new Trail(hashes, first, second)
  const seen = new Set<string>()
  const hasChild = new Uint8Array(n)
  const parentOf = (hash: string | undefined, i: number): number => {
    // Almost every entry follows the one before it; the map is built only for the others (merges).
    const p = hash !== undefined && hash === hashes[i - 1] ? i - 1 : trail.indexOf(hash)
    if (p < 0) {
      throw tampered(path, [
        `the audit trail is broken at entry ${i + 1}`,
        '(an entry was removed, reordered or spliced from another version)',
      ].join(' '))
    }
    hasChild[p] = 1
    return p
  }
  for (let i = 0; i < n; i++) {
    const entry = audit[i]!
    const text = canonicalEntry(entry)
    known.set(entry, text)
    const hash = sha256Hex(text)
    if (seen.has(hash)) throw tampered(path, `audit entry ${i + 1} repeats an earlier entry`)
    seen.add(hash)
    checkFields(entry, i, path)
    if (i === 0) {
      if (entry.seq !== 1 || entry.prev !== '')
        throw tampered(path, 'the audit trail is broken at entry 1 (it is not the first entry of a history)')
    }
    else {
      const p = parentOf(entry.prev, i)
      // v1 has no merges: each entry follows the one before it.
      if (file.format === STORE_FORMAT_V1 && p !== i - 1) parentOf(undefined, i)
      first[i] = p
      let depth = audit[p]!.seq
      if (entry.action === 'merge') {
        const q = parentOf(entry.merged, i)
        if (q === p) throw tampered(path, `${describe(entry, i)} merges an entry with itself`)
        second[i] = q
        depth = Math.max(depth, audit[q]!.seq)
        parentOf(entry.base, i)
      }
      if (entry.seq !== depth + 1) {
        throw tampered(path, [
          `the audit trail is broken at entry ${i + 1}`,
          `(its seq ${entry.seq} does not follow its parent's)`,
        ].join(' '))
      }
    }
    hashes.push(hash)
  }
  const deadEnd = hasChild.findIndex((child, i) => i < n - 1 && !child)
  if (deadEnd >= 0) {
    throw tampered(path, [
      `${describe(audit[deadEnd]!, deadEnd)} is followed by nothing, yet is not the last entry:`,
      'the trail has two heads (a fork that no merge entry joins)',
    ].join(' '))
  }
  return trail
}

/** Each action carries its own fields and no other. */
function checkFields(entry: AuditEntry, i: number, path: string): void {
  const allowed = ENTRY_FIELDS[entry.action]
  for (const field of OPTIONAL_FIELDS) {
    if (entry[field] !== undefined && !allowed.includes(field))
      throw tampered(path, `${describe(entry, i)} has a ${field} field, which a ${entry.action} entry does not have`)
  }
}

/** Every entry `from` descends from, itself included. */
export function ancestors(trail: Trail, from: number): Uint8Array {
  const seen = new Uint8Array(trail.hashes.length)
  const stack = [from]
  while (stack.length) {
    const i = stack.pop()!
    if (seen[i]) continue
    seen[i] = 1
    if (trail.first[i]! >= 0) stack.push(trail.first[i]!)
    if (trail.second[i]! >= 0) stack.push(trail.second[i]!)
  }
  return seen
}

const cloneState = (state: TrailState): TrailState => ({
  keyId: state.keyId,
  secrets: new Map(state.secrets),
  admins: new Map(state.admins),
  readers: new Map(state.readers),
  legacy: state.legacy,
})

const sameKeys = (map: Map<string, unknown>, record: Record<string, string> | undefined): boolean =>
  record !== undefined
  && Object.keys(record).length === map.size
  && [...map.keys()].every(name => Object.hasOwn(record, name))

/**
 * Replays the trail from its genesis entry: each change must follow from the
 * state before it (create what is absent, update what is present, signed by
 * an admin of that moment) and carry the hash of what it wrote. Entries in
 * `verified` (and their ancestors) were checked on this machine before: their
 * signatures are not queued again. The states of the entries in `keep` (a
 * merge's base and heads) are returned too.
 */
export function replayTrail(
  file: StoreFile,
  path: string,
  known: CanonicalTexts,
  verified: Iterable<string> = [],
  keep: Iterable<string> = [],
): Replay {
  const trail = buildTrail(file, path, known)
  const { audit } = file
  const skip = verifiedEntries(trail, audit, verified)
  const signatures: PendingSignature[] = []
  const queueSignature = (i: number, publicKey: string) => {
    if (!skip[i]) signatures.push({ index: i, publicKey, content: auditSignedContent(audit[i]!), sig: audit[i]!.sig })
  }

  const keptAt = [...keep].map(hash => trail.indexOf(hash)).filter(i => i >= 0)
  const uses = readerCounts(trail, audit, keptAt)
  const states: (TrailState | undefined)[] = []
  const read = (i: number, mutable: boolean): TrailState => {
    const state = states[i]!
    uses[i]! -= 1
    if (uses[i] === 0) {
      states[i] = undefined
      return state
    }
    return mutable ? cloneState(state) : state
  }

  states[0] = genesisState(file, path)
  queueSignature(0, audit[0]!.publicKey!)

  for (let i = 1; i < audit.length; i++) {
    const entry = audit[i]!
    let state: TrailState
    let signer: string | undefined
    if (entry.action === 'merge') {
      const ours = trail.first[i]!
      const theirs = trail.second[i]!
      const base = trail.indexOf(entry.base)
      if (!ancestors(trail, ours)[base] || !ancestors(trail, theirs)[base])
        throw tampered(path, `${describe(entry, i)} names a base that is not an ancestor of both sides`)
      state = mergeStates(read(ours, false), read(theirs, false), read(base, false), entry, i, path)
      signer = state.admins.get(entry.admin)?.publicKey
    }
    else {
      if (entry.action === 'init') throw tampered(path, `audit entry ${i + 1} is a second init`)
      state = read(trail.first[i]!, true)
      signer = state.admins.get(entry.admin)?.publicKey
      if (signer) applyEntry(state, entry, i, path)
    }
    if (!signer)
      throw untrusted(path, `${describe(entry, i)} was made by "${entry.admin}", who was not an admin at that point`)
    queueSignature(i, signer)
    states[i] = state
  }
  const last = audit.length - 1
  const kept = new Map(keptAt.map(i => [trail.hashes[i]!, states[i]!]))
  return { trail, state: states[last]!, signatures, kept }
}

/** The entries whose signatures were checked here before: each verified head and its ancestors. */
function verifiedEntries(trail: Trail, audit: AuditEntry[], verified: Iterable<string>): Uint8Array {
  const skip = new Uint8Array(audit.length)
  for (const head of verified) {
    const i = trail.hashes.at(-1) === head ? audit.length - 1 : trail.indexOf(head)
    if (i < 0) continue
    // A linear trail (no merge) needs no walk: everything up to the head is its ancestry.
    if (!audit.some(entry => entry.action === 'merge')) skip.fill(1, 0, i + 1)
    else ancestors(trail, i).forEach((seen, j) => { if (seen) skip[j] = 1 })
  }
  return skip
}

/**
 * How many later entries read each entry's state: the last reader may change it in place. A kept
 * state (`keptAt`) has one more reader than the trail gives it, so no later entry changes it in place.
 */
function readerCounts(trail: Trail, audit: AuditEntry[], keptAt: number[]): Int32Array {
  const uses = new Int32Array(audit.length)
  audit.forEach((entry, i) => {
    if (trail.first[i]! >= 0) uses[trail.first[i]!]! += 1
    if (trail.second[i]! >= 0) uses[trail.second[i]!]! += 1
    if (entry.action === 'merge') uses[trail.indexOf(entry.base)]! += 1
  })
  for (const i of keptAt) uses[i]! += 1
  return uses
}

/** The state the genesis entry makes: this store, its first admin. */
function genesisState(file: StoreFile, path: string): TrailState {
  const genesis = file.audit[0]!
  if (
    genesis.action !== 'init'
    || genesis.store !== file.id
    || genesis.name !== genesis.admin
    || genesis.publicKey === undefined
    || genesis.keyId === undefined
  ) {
    throw untrusted(path, 'its genesis entry does not name this store and its first admin')
  }
  checkPublicKey(genesis.publicKey, genesis, 0, path)
  const firstAdmin = { publicKey: genesis.publicKey, addedAt: genesis.at, addedBy: genesis.admin }
  return {
    keyId: genesis.keyId,
    secrets: new Map(),
    admins: new Map([[genesis.admin, firstAdmin]]),
    readers: new Map(),
    legacy: file.format === STORE_FORMAT_V1
      || file.audit.some(entry => entry.action === 'upgrade' || isV1Shaped(entry)),
  }
}

function checkPublicKey(text: string, entry: AuditEntry, i: number, path: string): void {
  try {
    parsePublicKey(text)
  }
  catch {
    throw untrusted(path, `audit entry ${i + 1} (${entry.action}) holds a malformed public key`)
  }
}

/** A v1 change: no hash of what it wrote. A trail with one of these (or an upgrade) starts in the legacy state. */
const isV1Shaped = (entry: AuditEntry): boolean =>
  ((entry.action === 'create' || entry.action === 'update') && entry.record === undefined)
  || (entry.action === 'rotate' && entry.records === undefined)

const invalidEntry = (path: string, entry: AuditEntry, i: number, why: string): SecretsError =>
  tampered(path, `${describe(entry, i)} ${why}`)

/** Before an upgrade, entries are v1-shaped (no hashes); after it, each carries the hash of what it wrote. */
function needsRecord(
  state: TrailState,
  entry: AuditEntry,
  i: number,
  path: string,
  field: 'record' | 'records' | 'readers',
): void {
  if (state.legacy ? entry[field] !== undefined : entry[field] === undefined) {
    throw invalidEntry(path, entry, i, state.legacy
      ? `carries a ${field} field before the store's upgrade entry`
      : `has no ${field} field (a v2 entry commits what it wrote)`)
  }
}

/** Applies one change (made by an admin of `state`) to `state`. */
function applyEntry(state: TrailState, entry: AuditEntry, i: number, path: string): void {
  const name = entry.name
  switch (entry.action) {
    case 'create':
    case 'update': {
      if (!name || !SECRET_NAME_PATTERN.test(name)) throw invalidEntry(path, entry, i, 'does not name a secret')
      const previous = state.secrets.get(name)
      if (entry.action === 'create' ? previous : !previous) {
        throw invalidEntry(path, entry, i, entry.action === 'create'
          ? 'creates a secret that already exists'
          : 'updates a secret that does not exist')
      }
      needsRecord(state, entry, i, path, 'record')
      state.secrets.set(name, {
        version: (previous?.version ?? 0) + 1,
        createdAt: previous?.createdAt ?? entry.at,
        updatedAt: entry.at,
        updatedBy: entry.admin,
        hash: entry.record,
      })
      return
    }
    case 'delete':
      if (!name || !state.secrets.delete(name))
        throw invalidEntry(path, entry, i, 'deletes a secret that does not exist')
      return
    case 'rotate':
    case 'upgrade': {
      if (entry.action === 'rotate') {
        if (!entry.keyId) throw invalidEntry(path, entry, i, 'does not name the new key id')
        state.keyId = entry.keyId
      }
      else if (!state.legacy) {
        throw invalidEntry(path, entry, i, 'upgrades a store that was upgraded already')
      }
      if (entry.action === 'rotate') needsRecord(state, entry, i, path, 'records')
      if (state.legacy && entry.action === 'rotate') return
      if (!sameKeys(state.secrets, entry.records) || !sameKeys(state.readers, entry.readers))
        throw invalidEntry(path, entry, i, 'does not list exactly the secrets and readers the store holds')
      for (const [secret, current] of state.secrets)
        state.secrets.set(secret, { ...current, hash: entry.records![secret] })
      for (const [reader, current] of state.readers)
        state.readers.set(reader, { ...current, hash: entry.readers![reader]! })
      state.legacy = false
      return
    }
    case 'admin-add':
      if (!name || !entry.publicKey || state.admins.has(name))
        throw untrusted(path, `audit entry ${i + 1} adds an admin without a new name and public key`)
      checkPublicKey(entry.publicKey, entry, i, path)
      state.admins.set(name, { publicKey: entry.publicKey, addedAt: entry.at, addedBy: entry.admin })
      return
    case 'admin-remove':
      if (!name || !state.admins.has(name) || state.admins.size === 1)
        throw untrusted(path, `audit entry ${i + 1} removes an admin who is not listed or the last one`)
      state.admins.delete(name)
      return
    case 'reader-add':
      if (state.legacy) throw invalidEntry(path, entry, i, 'adds a reader before the store\'s upgrade entry')
      if (!name || !entry.recipient || !entry.record || state.readers.has(name))
        throw invalidEntry(path, entry, i, 'adds a reader without a new name, recipient and record')
      state.readers.set(name, {
        recipient: entry.recipient,
        addedAt: entry.at,
        addedBy: entry.admin,
        hash: entry.record,
      })
      return
    case 'reader-remove':
      if (!name || !state.readers.delete(name)) throw invalidEntry(path, entry, i, 'removes a reader who is not listed')
      return
    default:
      throw invalidEntry(path, entry, i, 'is not a change this version knows')
  }
}

const sameAdmin = (a: AdminState | undefined, _aKey: string, b: AdminState | undefined): boolean =>
  a === b || (
    a !== undefined
    && b !== undefined
    && a.publicKey === b.publicKey
    && a.addedAt === b.addedAt
    && a.addedBy === b.addedBy
  )

/** Two sides hold the same secret: same metadata, and the same record unless a rotation re-encrypted it. */
function sameSecret(a: SecretState | undefined, aKey: string, b: SecretState | undefined, bKey: string): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.version === b.version
    && a.createdAt === b.createdAt
    && a.updatedAt === b.updatedAt
    && a.updatedBy === b.updatedBy
    && (aKey !== bKey || a.hash === undefined || b.hash === undefined || a.hash === b.hash)
}

function sameReader(a: ReaderState | undefined, aKey: string, b: ReaderState | undefined, bKey: string): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.recipient === b.recipient
    && a.addedAt === b.addedAt
    && a.addedBy === b.addedBy
    && (aKey !== bKey || a.hash === b.hash)
}

/** One side's view of a name in a three-way merge: where it comes from, and under which key its record is. */
export interface Side<T> {
  from: 'ours' | 'theirs' | 'base'
  state: T | undefined
  keyId: string
  legacy: boolean
}

/**
 * A name both sides changed in ways that cannot both hold (a secret can be
 * settled by a choice; an admin or a reader cannot).
 */
export interface Collision {
  what: 'secret' | 'admin' | 'reader'
  name: string
}

/**
 * A three-way merge of one map: a name changed on one side takes that side,
 * one changed alike on both keeps it, one changed differently on both is
 * settled by `decide` or, when it has no answer, listed as a collision.
 * Each kept name maps to the sides that hold it as merged (first: the side taken).
 */
function mergeMap<T>(
  names: Iterable<string>,
  sides: { ours: (name: string) => Side<T>, theirs: (name: string) => Side<T>, base: (name: string) => Side<T> },
  same: (a: T | undefined, aKey: string, b: T | undefined, bKey: string) => boolean,
  decide: (name: string) => MergeChoice | undefined,
  collide: (name: string) => void,
): Map<string, Side<T>[]> {
  const result = new Map<string, Side<T>[]>()
  for (const name of names) {
    const a = sides.ours(name)
    const b = sides.theirs(name)
    const l = sides.base(name)
    const sameAB = same(a.state, a.keyId, b.state, b.keyId)
    let kept: Side<T>[]
    if (same(a.state, a.keyId, l.state, l.keyId)) {
      kept = [b, ...(sameAB ? [a] : [])]
    }
    else if (same(b.state, b.keyId, l.state, l.keyId)) {
      kept = [a, ...(sameAB ? [b] : [])]
    }
    else if (sameAB) {
      kept = [a, b]
    }
    else {
      const choice = decide(name)
      if (choice === undefined) {
        collide(name)
        continue
      }
      kept = [choice === 'ours' ? a : b]
    }
    if (kept[0]!.state !== undefined) result.set(name, kept)
  }
  return result
}

/** What a three-way merge of two states against their base gives, before any record is re-encrypted. */
export interface MergePlan {
  /** The merged store key id; undefined when both sides rotated (they cannot be joined). */
  keyId: string | undefined
  admins: Map<string, Side<AdminState>[]>
  secrets: Map<string, Side<SecretState>[]>
  readers: Map<string, Side<ReaderState>[]>
  /** Names changed differently on both sides that `choose` did not settle. */
  collisions: Collision[]
  /** The names `choose` settled (a choice for any other name has no conflict to settle). */
  chosen: Set<string>
}

/**
 * The three-way merge rules, one place for both the merge command (which
 * reports the collisions) and the replay of a merge entry (which refuses
 * them): a name changed on one side takes that side; changed alike on both,
 * either; changed differently on both, the side `choose` names.
 */
export function planMerge(
  ours: TrailState,
  theirs: TrailState,
  base: TrailState,
  choose: Record<string, MergeChoice> | undefined,
): MergePlan {
  const keyId = ours.keyId === theirs.keyId || theirs.keyId === base.keyId
    ? ours.keyId
    : ours.keyId === base.keyId ? theirs.keyId : undefined
  const union = (pick: (state: TrailState) => Map<string, unknown>) =>
    new Set([ours, theirs, base].flatMap(state => [...pick(state).keys()]))
  const sidesOf = <T>(pick: (state: TrailState) => Map<string, T>) => {
    const side = (from: Side<T>['from'], state: TrailState) => (name: string): Side<T> =>
      ({ from, state: pick(state).get(name), keyId: state.keyId, legacy: state.legacy })
    return { ours: side('ours', ours), theirs: side('theirs', theirs), base: side('base', base) }
  }
  const collisions: Collision[] = []
  const collide = (what: Collision['what']) => (name: string) => void collisions.push({ what, name })
  const chosen = new Set<string>()
  const decide = (name: string) => {
    const choice = choose?.[name]
    if (choice) chosen.add(name)
    return choice
  }
  const never = () => undefined
  return {
    keyId,
    admins: mergeMap(union(s => s.admins), sidesOf(s => s.admins), sameAdmin, never, collide('admin')),
    secrets: mergeMap(union(s => s.secrets), sidesOf(s => s.secrets), sameSecret, decide, collide('secret')),
    readers: mergeMap(union(s => s.readers), sidesOf(s => s.readers), sameReader, never, collide('reader')),
    collisions,
    chosen,
  }
}

/**
 * The side whose record a merge keeps as it is: under the merged key, in a
 * state that commits its records (not v1). Without one, the merge entry must
 * list the record's new hash (re-encrypted, re-wrapped or committed anew).
 */
export const keptAsIs = <T extends { hash: string | undefined }>(
  sides: Side<T>[],
  keyId: string,
): Side<T> | undefined =>
  sides.find(s => s.keyId === keyId && !s.legacy && s.state!.hash !== undefined)

/**
 * The state after a merge entry: both sides' changes since `base`; for names
 * both changed differently, the side the entry chose; records kept from a
 * side whose key is the merged key, else re-encrypted (listed in the entry).
 */
function mergeStates(
  ours: TrailState,
  theirs: TrailState,
  base: TrailState,
  entry: AuditEntry,
  i: number,
  path: string,
): TrailState {
  const invalid = (why: string) => tampered(path, `${describe(entry, i)} ${why}`)
  const plan = planMerge(ours, theirs, base, entry.choose)
  const keyId = plan.keyId
  if (keyId === undefined) throw invalid('joins two rotations of the store key')
  if (entry.keyId !== keyId) throw invalid('names another key id than its sides give')
  const collision = plan.collisions[0]
  if (collision?.what === 'secret')
    throw invalid(`does not say which side it kept for ${collision.name}, which both sides changed`)
  if (collision) throw invalid(`joins two changes to ${collision.what} ${collision.name} that collide`)
  if (Object.keys(entry.choose ?? {}).some(name => !plan.chosen.has(name)))
    throw invalid('chooses a side for a name that has no conflict')
  if (plan.admins.size === 0) throw invalid('leaves the store without admins')

  const rekeyed = <T extends { hash: string | undefined }>(
    kept: Map<string, Side<T>[]>,
    listed: Record<string, string> | undefined,
    what: string,
  ) => {
    const out = new Map<string, T>()
    const used = new Set<string>()
    for (const [name, sides] of kept) {
      const usable = keptAsIs(sides, keyId)
      const hash = usable ? undefined : listed?.[name]
      if (!usable && hash === undefined)
        throw invalid(`keeps ${what} ${name} from a side under another key without re-encrypting it`)
      if (hash !== undefined) used.add(name)
      out.set(name, usable ? usable.state! : { ...sides[0]!.state!, hash })
    }
    if (Object.keys(listed ?? {}).some(name => !used.has(name)))
      throw invalid(`lists a ${what} it did not need to re-encrypt`)
    return out
  }
  return {
    keyId,
    admins: new Map([...plan.admins].map(([name, sides]) => [name, sides[0]!.state!])),
    secrets: rekeyed(plan.secrets, entry.records, 'secret'),
    readers: rekeyed(plan.readers, entry.readers, 'reader'),
    legacy: false,
  }
}
