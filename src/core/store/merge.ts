/**
 * The signed three-way merge of two versions of one store (git's merge driver
 * and `unplugin-secrets merge`): both sides' audit entries kept, one merge
 * entry signed by the running admin, computed by the rules that replay it.
 */
import { SecretsError } from '../errors'
import { dataKeyId, decryptValue, encryptValue, valueAad } from './crypto'
import type { AuditEntry, MergeChoice, ReaderRecord, SecretRecord, StoreFile } from './format'
import { parseStoreFile, readerRecordHash, secretRecordHash, serializeStoreFile, STORE_FORMAT } from './format'
import type { AdminKey, StoreKey } from './keys'
import { formatPublicKey, formatStoreKey } from './keys'
import { sameStore } from './lineage'
import type { Collision, MergePlan, Side, Trail, TrailState } from './replay'
import { buildTrail, keptAsIs, planMerge } from './replay'
import { readMemory, verifiedHeads } from './history'
import { entryHash, signAuditEntry, signStore, verifyReplayed, verifyStore } from './trust'
import type { ConflictReport, SideName } from './merge-messages'
import {
  adminMissing,
  droppedHistory,
  keysMissing,
  mergeConflict,
  mergedCheckFailed,
  noAdminLeft,
  notAdminOfMerge,
  notOneStore,
  undecryptable,
} from './merge-messages'

/** One version of the store file, and how messages name it ("secrets.enc.json (theirs)"). */
export interface MergeVersion {
  text: string
  label: string
}

export interface MergeOptions {
  /** How messages name the merged file: the path git writes the result to. */
  path: string
  ours: MergeVersion
  theirs: MergeVersion
  /**
   * git's %O. Never used as the merge base (git passes a made-up base for
   * criss-cross merges): the base is found in the two trails. When it is a
   * version of this store, both sides must still contain its newest change.
   */
  base?: MergeVersion
  /** Every store key this user holds, in any order: each side's opens it, the merged one seals. */
  storeKeys: StoreKey[]
  /** The running admin's key: signs the merge entry and the file. */
  adminKey: AdminKey | undefined
  /** For names both sides changed differently: the side to keep. */
  choose?: Record<string, MergeChoice>
  /** The merge entry's time (tests). */
  now?: Date
}

export type MergeOutcome
  /** OURS contains THEIRS already: OURS stays as it is. */
  = | { kind: 'up-to-date' }
  /** THEIRS contains OURS: the result is THEIRS byte for byte. */
    | { kind: 'fast-forward', text: string }
    | {
      kind: 'merged'
      text: string
      file: StoreFile
      entry: AuditEntry
      admin: string
      fromTheirs: string[]
      reencrypted: string[]
    }

/** A side as read and verified: its file, trail and the state its trail replays to. */
interface Version {
  label: string
  text: string
  file: StoreFile
  trail: Trail
  state: TrailState
  key: StoreKey | undefined
}

/**
 * Merges THEIRS into OURS; throws (writing nothing) when they collide, a key is missing, or a side
 * is not trustworthy.
 */
export async function mergeStores(options: MergeOptions): Promise<MergeOutcome> {
  const keys = new Map(options.storeKeys.map(key => [dataKeyId(key.dataKey), key]))
  const oursFile = parseStoreFile(options.ours.text, options.ours.label)
  const theirsFile = parseStoreFile(options.theirs.text, options.theirs.label)
  if (!sameStore(oursFile, theirsFile)) throw notOneStore(options, oursFile, theirsFile)
  const oursTrail = buildTrail(oursFile, options.ours.label, new Map())
  const theirsTrail = buildTrail(theirsFile, options.theirs.label, new Map())
  if (options.base) {
    checkBase(options.base, oursFile, [
      [options.ours.label, oursTrail],
      [options.theirs.label, theirsTrail],
    ])
  }
  const base = mergeBase(oursTrail, theirsTrail, oursFile)

  // As every open does: signatures this machine checked before (up to a head it remembers) are not checked again.
  const verified = verifiedHeads(readMemory(oursFile.id))
  const ours = verifySide(options.ours, oursFile, keys, verified, [base])
  const theirs = verifySide(options.theirs, theirsFile, keys, verified, [])
  if (ours.trail.has(theirs.trail.head)) return { kind: 'up-to-date' }
  if (theirs.trail.has(ours.trail.head)) return { kind: 'fast-forward', text: options.theirs.text }

  const baseState = ours.kept.get(base)!
  const plan = planMerge(ours.state, theirs.state, baseState, options.choose)
  checkPlan(options, plan, ours, theirs, baseState)
  return writeMerge(options, plan, ours, theirs, base, keys)
}

/**
 * The common ancestor the merge is made against: of the entries both trails
 * hold, the one with the highest seq (no other common entry descends from
 * it); ties (criss-cross merges) go to the lowest hash, so both ways give one answer.
 */
function mergeBase(ours: Trail, theirs: Trail, oursFile: StoreFile): string {
  let best = -1
  for (let i = 0; i < ours.hashes.length; i++) {
    if (!theirs.has(ours.hashes[i]!)) continue
    const seq = oursFile.audit[i]!.seq
    const bestSeq = best < 0 ? -1 : oursFile.audit[best]!.seq
    if (seq > bestSeq || (seq === bestSeq && ours.hashes[i]! < ours.hashes[best]!)) best = i
  }
  return ours.hashes[best]! // both hold the genesis entry (same store)
}

/** git's %O, when it is a version of this store: a side without its newest change went back. */
function checkBase(base: MergeVersion, ours: StoreFile, sides: [string, Trail][]): void {
  let file: StoreFile
  try {
    file = parseStoreFile(base.text, base.label)
  }
  catch {
    return // empty (both sides added the file) or made up by git: not a version to check against
  }
  if (!sameStore(file, ours)) return
  const head = entryHash(file.audit.at(-1)!)
  for (const [label, trail] of sides) {
    if (!trail.has(head)) throw droppedHistory(label, base.label, file)
  }
}

/** Verifies one side: every check with its key when this user holds it, else every check a key is not needed for. */
function verifySide(
  version: MergeVersion,
  file: StoreFile,
  keys: Map<string, StoreKey>,
  verified: string[],
  keep: string[],
): Version & { kept: Map<string, TrailState> } {
  const key = keys.get(file.keyId)
  const replayed = verifyReplayed(file, version.label, {
    verified,
    keep,
    ...(key ? { storeKey: key, keySource: `Your store key ${file.keyId}` } : {}),
  })
  return { label: version.label, text: version.text, file, key, ...replayed }
}

/** Refuses what cannot be merged: collisions (listed with what each side did), two rotations, no admin left. */
function checkPlan(options: MergeOptions, plan: MergePlan, ours: Version, theirs: Version, base: TrailState): void {
  const conflicts: ConflictReport[] = plan.collisions.map(collision => describeCollision(collision, ours, theirs, base))
  if (plan.keyId === undefined)
    conflicts.unshift({ what: 'key', name: 'store key', ours: rotation(ours), theirs: rotation(theirs) })
  if (conflicts.length > 0) throw mergeConflict(options.path, conflicts)
  const unused = Object.keys(options.choose ?? {}).filter(name => !plan.chosen.has(name))
  if (unused.length > 0) {
    throw new SecretsError('USAGE', [
      `${unused.join(', ')}: no conflict to settle (only names that both sides changed`,
      `differently take --ours or --theirs). Leave ${unused.length === 1 ? 'it' : 'them'} out and merge again.`,
    ].join(' '))
  }
  if (plan.admins.size === 0) throw noAdminLeft(options.path, [...base.admins.keys()])
}

const rotation = (side: Version): string => {
  const entry = side.file.audit.findLast(e => e.action === 'rotate')
  return entry ? `rotated to key ${entry.keyId} (${entry.admin}, ${entry.at})` : 'kept the key'
}

/** What each side did to a name since the base, for the conflict list: never a value. */
function describeCollision(collision: Collision, ours: Version, theirs: Version, base: TrailState): ConflictReport {
  const { what, name } = collision
  const describe = (side: Version): string => {
    if (what === 'secret') {
      const now = side.state.secrets.get(name)
      if (!now) return removal(side, 'delete', name, 'deleted')
      return [
        `${base.secrets.has(name) ? 'updated to' : 'created,'}`,
        `version ${now.version} (${now.updatedBy}, ${now.updatedAt})`,
      ].join(' ')
    }
    const now = what === 'admin' ? side.state.admins.get(name) : side.state.readers.get(name)
    if (!now) return removal(side, what === 'admin' ? 'admin-remove' : 'reader-remove', name, 'removed')
    return `added (${now.addedBy}, ${now.addedAt})`
  }
  return { what, name, ours: describe(ours), theirs: describe(theirs) }
}

const removal = (side: Version, action: AuditEntry['action'], name: string, verb: string): string => {
  const entry = side.file.audit.findLast(e => e.action === action && e.name === name)
  return entry ? `${verb} (${entry.admin}, ${entry.at})` : verb
}

/** Builds, signs, seals and checks the merged file. */
async function writeMerge(
  options: MergeOptions,
  plan: MergePlan,
  ours: Version,
  theirs: Version,
  base: string,
  keys: Map<string, StoreKey>,
): Promise<MergeOutcome> {
  const keyId = plan.keyId!
  const sides = { ours, theirs }
  const adminKey = options.adminKey
  if (!adminKey) throw adminMissing(options.path, ours.file.id)
  const publicKey = formatPublicKey(adminKey.publicKey)
  const admins = new Map(
    [...plan.admins].map(([name, kept]) => [name, sides[kept[0]!.from as SideName].file.admins.get(name)!]),
  )
  const admin = [...admins].find(([, record]) => record.publicKey === publicKey)?.[0]
  if (!admin) throw notAdminOfMerge(options.path, publicKey)

  const needed = neededKeys(plan, keyId, sides)
  const missing = [...needed].filter(([id]) => !keys.has(id))
  if (missing.length > 0) throw keysMissing(options.path, missing, sides)
  const mergedKey = keys.get(keyId)!

  const secrets = await keepRecords(
    plan.secrets,
    keyId,
    sides,
    file => file.secrets,
    secretRecordHash,
    (name, record, side) => reencrypt(ours.file.id, name, record, side, mergedKey, keyId),
  )
  const readers = await keepRecords(
    plan.readers,
    keyId,
    sides,
    file => file.readers,
    readerRecordHash,
    (name, record) => rewrap(name, record, mergedKey),
  )

  const entry = signMergeEntry(
    options,
    plan,
    { admin, adminKey, keyId, ours, theirs, base },
    { records: secrets.listed, readers: readers.listed },
  )
  const theirsOnly = theirs.file.audit.filter((_, i) => !ours.trail.has(theirs.trail.hashes[i]!))
  const file = signStore(adminKey, admin, mergedKey.dataKey, {
    format: STORE_FORMAT,
    id: ours.file.id,
    revision: entry.seq,
    keyId,
    admins,
    secrets: secrets.records,
    readers: readers.records,
    audit: [...ours.file.audit, ...theirsOnly, entry],
  })
  const text = serializeStoreFile(file)
  checkMerged(options.path, text, mergedKey, [ours.trail.head, theirs.trail.head])
  return {
    kind: 'merged',
    text,
    file,
    entry,
    admin,
    fromTheirs: changedByTheirs(plan, ours.state),
    reencrypted: secrets.rekeyed,
  }
}

/**
 * The records a merge keeps: copied from a side under the merged key, else re-keyed (and listed in
 * the merge entry).
 */
async function keepRecords<T extends { hash: string | undefined }, R extends object>(
  kept: Map<string, Side<T>[]>,
  keyId: string,
  sides: Record<SideName, Version>,
  recordsOf: (file: StoreFile) => Map<string, R>,
  hash: (record: R) => string,
  rekey: (name: string, record: R, side: Version) => R | Promise<R>,
): Promise<{ records: Map<string, R>, listed: Record<string, string>, rekeyed: string[] }> {
  const records = new Map<string, R>()
  const listed: Record<string, string> = {}
  const rekeyed: string[] = []
  for (const [name, candidates] of kept) {
    const asIs = keptAsIs(candidates, keyId)
    const side = sides[(asIs ?? candidates[0]!).from as SideName]
    let record: R = recordsOf(side.file).get(name)!
    if (!asIs && side.file.keyId !== keyId) {
      record = await rekey(name, record, side)
      rekeyed.push(name)
    }
    if (!asIs) listed[name] = hash(record)
    records.set(name, record)
  }
  return { records, listed, rekeyed }
}

/** Secrets the merge takes from THEIRS: created, updated or deleted there and not on our side. */
function changedByTheirs(plan: MergePlan, ours: TrailState): string[] {
  const taken = [...plan.secrets].filter(([, kept]) => kept.every(side => side.from === 'theirs')).map(([name]) => name)
  const deleted = [...ours.secrets.keys()].filter(name => !plan.secrets.has(name))
  return [...taken, ...deleted].sort()
}

/** The merge entry: both heads, the base, the merged key, what was re-keyed and what was chosen (names sorted). */
function signMergeEntry(
  options: MergeOptions,
  plan: MergePlan,
  by: { admin: string, adminKey: AdminKey, keyId: string, ours: Version, theirs: Version, base: string },
  listed: { records: Record<string, string>, readers: Record<string, string> },
): AuditEntry {
  const chosen = Object.entries(options.choose ?? {})
    .filter(([name]) => plan.chosen.has(name))
    .sort(([a], [b]) => (a < b ? -1 : 1))
  return signAuditEntry(by.adminKey, {
    seq: Math.max(by.ours.file.audit.at(-1)!.seq, by.theirs.file.audit.at(-1)!.seq) + 1,
    at: (options.now ?? new Date()).toISOString(),
    admin: by.admin,
    action: 'merge',
    keyId: by.keyId,
    ...(Object.keys(listed.records).length ? { records: listed.records } : {}),
    ...(Object.keys(listed.readers).length ? { readers: listed.readers } : {}),
    prev: by.ours.trail.head,
    merged: by.theirs.trail.head,
    base: by.base,
    ...(chosen.length ? { choose: Object.fromEntries(chosen) } : {}),
  })
}

/**
 * The store keys the merge needs, with why: the merged key to seal, and each side's key whose
 * values it re-encrypts.
 */
function neededKeys(plan: MergePlan, keyId: string, sides: Record<SideName, Version>): Map<string, string[]> {
  const needed = new Map<string, string[]>([[keyId, []]])
  for (const [name, kept] of plan.secrets) {
    const side = keptAsIs(kept, keyId) ?? kept[0]!
    if (side.keyId !== keyId)
      needed.set(side.keyId, [...(needed.get(side.keyId) ?? []), `${name} (${sides[side.from as SideName].label})`])
  }
  return needed
}

/**
 * A value kept from a side under another key: decrypted with that key, encrypted under the merged
 * one, same version and metadata.
 */
function reencrypt(
  storeId: string,
  name: string,
  record: SecretRecord,
  side: Version,
  to: StoreKey,
  keyId: string,
): SecretRecord {
  const plaintext = decryptValue(
    side.key!.dataKey,
    valueAad(storeId, side.file.keyId, name, record.version),
    record.value,
  )
  if (!plaintext) throw undecryptable(side.label, name)
  try {
    return { ...record, value: encryptValue(to.dataKey, valueAad(storeId, keyId, name, record.version), plaintext) }
  }
  finally {
    plaintext.fill(0)
  }
}

/** A reader kept from a side under another key gets the merged store key wrapped to their recipient. */
async function rewrap(name: string, record: ReaderRecord, to: StoreKey): Promise<ReaderRecord> {
  const { parseRecipient, wrapForRecipient } = await import('./age')
  return {
    ...record,
    wrap: await wrapForRecipient(
      formatStoreKey(to),
      parseRecipient(record.recipient, `The recipient of reader ${name}`),
    ),
  }
}

/**
 * The result must open for everyone the merged key opens it for: checked as a
 * reader would, every value decrypted, before it is written. Both sides'
 * entries were verified above (`sides`): their signatures are not checked twice.
 */
function checkMerged(path: string, text: string, key: StoreKey, sides: string[]): void {
  try {
    const file = parseStoreFile(text, path)
    verifyStore(file, key, path, { verified: sides })
    for (const [name, record] of file.secrets) {
      const plaintext = decryptValue(key.dataKey, valueAad(file.id, file.keyId, name, record.version), record.value)
      if (!plaintext) throw undecryptable(path, name)
      plaintext.fill(0)
    }
  }
  catch (error) {
    throw mergedCheckFailed(error)
  }
}

export type { ConflictReport, SideName } from './merge-messages'
export { MergeConflict } from './merge-messages'
