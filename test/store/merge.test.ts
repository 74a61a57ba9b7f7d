/**
 * The signed three-way merge in process (git-free): what it merges, what it
 * refuses and why, and that the verifier that replays merge entries refuses
 * hand-made ones. The git flows are in test/cli/merge.test.ts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/core/errors'
import { dataKeyId } from '../../src/core/store/crypto'
import type { AuditEntry, StoreFile } from '../../src/core/store/format'
import { parseStoreFile, readerRecordHash, serializeStoreFile } from '../../src/core/store/format'
import { newIdentityFile, parseIdentities, parseRecipient, unwrapWithIdentities, wrapForRecipient } from '../../src/core/store/age'
import { formatAdminKey, formatPublicKey, formatStoreKey, generateAdminKey, parseAdminKey, parseStoreKey } from '../../src/core/store/keys'
import type { MergeOptions, MergeOutcome } from '../../src/core/store/merge'
import { MergeConflict, mergeStores } from '../../src/core/store/merge'
import { openStore } from '../../src/core/store/store'
import { entryHash, signAuditEntry, verifyStore } from '../../src/core/store/trust'
import { tempDir } from '../helpers'
import { makeStore, resign } from './fixtures'

const dir = await tempDir('usec-merge-')

/** A store with ALPHA, BETA and GAMMA, and two copies of it (ours, theirs) opened as alice. */
async function branches() {
  const made = await makeStore(dir)
  const base = await readFile(made.path, 'utf8')
  const side = async (name: string) => {
    const path = join(dirname(made.path), `${name}.enc.json`)
    await writeFile(path, base)
    return { path, store: await openStore({ path, key: made.storeKey, adminKey: made.adminKey }) }
  }
  return { ...made, base, ours: await side('ours'), theirs: await side('theirs') }
}
type Branches = Awaited<ReturnType<typeof branches>>

const text = (path: string) => readFile(path, 'utf8')

async function merge(b: Branches, extra: Partial<MergeOptions> = {}): Promise<MergeOutcome> {
  return mergeStores({
    path: 'secrets.enc.json',
    base: { text: b.base, label: 'secrets.enc.json (base)' },
    ours: { text: await text(b.ours.path), label: 'secrets.enc.json (ours)' },
    theirs: { text: await text(b.theirs.path), label: 'secrets.enc.json (theirs)' },
    storeKeys: [parseStoreKey(b.storeKey)],
    adminKey: parseAdminKey(b.adminKey),
    ...extra,
  })
}

/** Writes a merged text to its own path and opens it with `key`, as a reader would. */
async function openMerged(outcome: MergeOutcome, key: string) {
  if (outcome.kind !== 'merged' && outcome.kind !== 'fast-forward') throw new Error(`not merged: ${outcome.kind}`)
  const path = join(dir, `merged-${Math.random().toString(36).slice(2)}.enc.json`)
  await writeFile(path, outcome.text)
  return openStore({ path, key })
}

async function failure(promise: Promise<unknown>): Promise<SecretsError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error, 'the merge went through').toBeInstanceOf(SecretsError)
  return error as SecretsError
}

/** The text of one secret's block in a serialized store. */
const block = (storeText: string, name: string): string => new RegExp(`\\n {4}"${name}": \\{[^}]*\\}`).exec(storeText)![0]

describe('changes on two sides that do not collide', () => {
  it('merge into one store with both sides\' entries, one merge entry, unchanged records byte for byte', async () => {
    const b = await branches()
    await b.ours.store.set('DELTA', 'delta-ours')
    await b.ours.store.set('ALPHA', 'alpha-ours')
    await b.theirs.store.set('EPSILON', 'epsilon-theirs')
    await b.theirs.store.delete('BETA')
    const oursText = await text(b.ours.path)
    const theirsText = await text(b.theirs.path)
    const outcome = await merge(b, { now: new Date('2026-01-02T03:04:05.000Z') })
    expect(outcome.kind).toBe('merged')
    if (outcome.kind !== 'merged') return
    expect(outcome.fromTheirs).toEqual(['BETA', 'EPSILON'])
    expect(outcome.reencrypted).toEqual([])

    const store = await openMerged(outcome, b.storeKey)
    expect(Object.fromEntries(await store.getAll())).toEqual({ ALPHA: 'alpha-ours', DELTA: 'delta-ours', EPSILON: 'epsilon-theirs', GAMMA: 'gamma-value-3' })
    expect(store.verify().revision).toBe(7)
    // Every entry of both sides, theirs after ours, then the merge entry naming both heads and the base.
    const ours = parseStoreFile(oursText, 'ours')
    const theirs = parseStoreFile(theirsText, 'theirs')
    const file = outcome.file
    expect(file.audit.slice(0, ours.audit.length)).toEqual(ours.audit)
    expect(file.audit.slice(ours.audit.length, -1)).toEqual(theirs.audit.slice(4))
    expect(outcome.entry).toMatchObject({
      seq: 7,
      action: 'merge',
      admin: 'alice',
      at: '2026-01-02T03:04:05.000Z',
      keyId: ours.keyId,
      prev: entryHash(ours.audit.at(-1)!),
      merged: entryHash(theirs.audit.at(-1)!),
      base: entryHash(ours.audit[3]!),
    })
    expect(outcome.entry.choose).toBeUndefined()
    expect(outcome.entry.records).toBeUndefined()
    // Records kept from a side are its bytes: GAMMA from the base, DELTA and ALPHA from ours, EPSILON from theirs.
    for (const [name, from] of [['GAMMA', oursText], ['DELTA', oursText], ['ALPHA', oursText], ['EPSILON', theirsText]] as const)
      expect(block(outcome.text, name)).toBe(block(from, name))
  })

  it('fast-forwards: theirs extends ours (theirs byte for byte), ours extends theirs (up to date)', async () => {
    const b = await branches()
    await b.theirs.store.set('ALPHA', 'newer')
    const ahead = await merge(b)
    expect(ahead).toEqual({ kind: 'fast-forward', text: await text(b.theirs.path) })
    // A fast-forward adds no signature: no admin key is needed.
    expect((await merge(b, { adminKey: undefined })).kind).toBe('fast-forward')
    await writeFile(b.ours.path, await text(b.theirs.path))
    await writeFile(b.theirs.path, b.base)
    expect(await merge(b)).toEqual({ kind: 'up-to-date' })
  })

  it('both sides deleting one name, or making the same admin change, is no collision', async () => {
    const b = await branches()
    await b.ours.store.delete('GAMMA')
    await b.theirs.store.delete('GAMMA')
    await b.theirs.store.set('ALPHA', 'alpha-theirs')
    const outcome = await merge(b)
    const store = await openMerged(outcome, b.storeKey)
    expect(store.list().map(info => info.name)).toEqual(['ALPHA', 'BETA'])
    expect(await store.get('ALPHA')).toBe('alpha-theirs')
  })
})

describe('collisions', () => {
  it('are listed with what each side did (never a value); a choice per name settles them', async () => {
    const b = await branches()
    await b.ours.store.set('ALPHA', 'alpha-ours-secret')
    await b.theirs.store.set('ALPHA', 'alpha-theirs-secret')
    await b.ours.store.delete('BETA')
    await b.theirs.store.set('BETA', 'beta-theirs-secret')
    const error = await failure(merge(b))
    expect(error).toBeInstanceOf(MergeConflict)
    expect(error.code).toBe('MERGE_CONFLICT')
    expect((error as MergeConflict).conflicts).toEqual([
      { what: 'secret', name: 'ALPHA', ours: expect.stringMatching(/^updated to version 2 \(alice, \d{4}-.*Z\)$/), theirs: expect.stringMatching(/^updated to version 2 \(alice, /) },
      { what: 'secret', name: 'BETA', ours: expect.stringMatching(/^deleted \(alice, \d{4}-.*Z\)$/), theirs: expect.stringMatching(/^updated to version 2 /) },
    ])
    expect(error.message).toMatch(/^secrets\.enc\.json: both sides changed secret ALPHA \(ours: updated to version 2 .*; theirs: .*\), secret BETA .* nothing was merged and your side is unchanged\. To finish: choose a side for each secret \(--ours NAME or --theirs NAME\)/)
    expect(error.message).not.toMatch(/secret-|alpha-|beta-/)

    const outcome = await merge(b, { choose: { ALPHA: 'theirs', BETA: 'ours' } })
    if (outcome.kind !== 'merged') throw new Error(outcome.kind)
    expect(outcome.entry.choose).toEqual({ ALPHA: 'theirs', BETA: 'ours' })
    const store = await openMerged(outcome, b.storeKey)
    expect(Object.fromEntries(await store.getAll())).toEqual({ ALPHA: 'alpha-theirs-secret', GAMMA: 'gamma-value-3' })
  })

  it('a choice for a name without a conflict is a usage error; nothing is merged', async () => {
    const b = await branches()
    await b.ours.store.set('ALPHA', 'x')
    await b.theirs.store.set('BETA', 'y')
    const error = await failure(merge(b, { choose: { GAMMA: 'ours' } }))
    expect(error).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/^GAMMA: no conflict to settle/) })
  })

  it('two different changes to one admin cannot be chosen per name', async () => {
    const b = await branches()
    await b.ours.store.addAdmin('bob', formatPublicKey(generateAdminKey().publicKey))
    await b.theirs.store.addAdmin('bob', formatPublicKey(generateAdminKey().publicKey))
    const error = await failure(merge(b, { choose: { bob: 'ours' } }))
    expect(error).toBeInstanceOf(MergeConflict)
    expect((error as MergeConflict).conflicts).toEqual([{ what: 'admin', name: 'bob', ours: expect.stringMatching(/^added \(alice, /), theirs: expect.stringMatching(/^added \(alice, /) }])
    expect(error.message).toMatch(/an admin change cannot be chosen per side: undo it on one branch/)
  })

  it('each side removing the admin the other kept would leave none', async () => {
    const b = await branches()
    const bob = generateAdminKey()
    await b.ours.store.addAdmin('bob', formatPublicKey(bob.publicKey))
    const base = await text(b.ours.path)
    const theirsPath = join(dir, 'no-admin-theirs.enc.json')
    await writeFile(theirsPath, base)
    await (await openStore({ path: b.ours.path, key: b.storeKey, adminKey: formatAdminKey(bob) })).removeAdmin('alice')
    await (await openStore({ path: theirsPath, key: b.storeKey, adminKey: b.adminKey })).removeAdmin('bob')
    const error = await failure(merge({ ...b, base, theirs: { ...b.theirs, path: theirsPath } }))
    expect(error).toMatchObject({ code: 'MERGE_CONFLICT', message: expect.stringMatching(/each side removed admins the other kept \(alice, bob\), so the merge would leave no admin/) })
  })

  it('two rotations cannot be joined', async () => {
    const b = await branches()
    const one = await b.ours.store.rotate({ saveKey: () => {} })
    const two = await b.theirs.store.rotate({ saveKey: () => {} })
    const error = await failure(merge(b, { storeKeys: [b.storeKey, one.storeKey, two.storeKey].map(k => parseStoreKey(k)) }))
    expect((error as MergeConflict).conflicts).toEqual([{
      what: 'key',
      name: 'store key',
      ours: `rotated to key ${dataKeyId(parseStoreKey(one.storeKey).dataKey)} (alice, ${parseStoreFile(await text(b.ours.path), 'x').audit.at(-1)!.at})`,
      theirs: expect.stringMatching(/^rotated to key [0-9a-f]{16} \(alice, /),
    }])
    expect(error.message).toMatch(/two rotations cannot be joined: keep one side as it is/)
  })
})

describe('a rotation on one side', () => {
  it('merges with the other side\'s changed values re-encrypted under the new key (same version and metadata)', async () => {
    const b = await branches()
    const rotated = await b.ours.store.rotate({ saveKey: () => {} })
    await b.theirs.store.set('ALPHA', 'alpha-theirs')
    await b.theirs.store.set('DELTA', 'delta-theirs')
    const keys = [b.storeKey, rotated.storeKey].map(k => parseStoreKey(k))
    const theirsFile = parseStoreFile(await text(b.theirs.path), 'theirs')
    for (const direction of ['ours-rotated', 'theirs-rotated'] as const) {
      const outcome = direction === 'ours-rotated'
        ? await merge(b, { storeKeys: keys })
        : await merge({ ...b, ours: b.theirs, theirs: b.ours }, { storeKeys: keys.reverse() })
      if (outcome.kind !== 'merged') throw new Error(outcome.kind)
      expect(outcome.file.keyId).toBe(dataKeyId(parseStoreKey(rotated.storeKey).dataKey))
      // Whichever side rotated, the values changed on the other side are the ones re-encrypted.
      expect(outcome.reencrypted.sort()).toEqual(['ALPHA', 'DELTA'])
      expect(Object.keys(outcome.entry.records!).sort()).toEqual(outcome.reencrypted.sort())
      const store = await openMerged(outcome, rotated.storeKey)
      expect(Object.fromEntries(await store.getAll())).toEqual({ ALPHA: 'alpha-theirs', BETA: 'beta-value-2', DELTA: 'delta-theirs', GAMMA: 'gamma-value-3' })
      const { value: _v, ...metadata } = outcome.file.secrets.get('DELTA')!
      const { value: _w, ...before } = theirsFile.secrets.get('DELTA')!
      expect(metadata).toEqual(before)
      // The old key opens nothing of the result.
      expect(await failure(openMerged(outcome, b.storeKey))).toMatchObject({ code: 'WRONG_KEY' })
    }
  })

  it('without the key the other side needs, or the key that seals, stops naming the key id and how to get it', async () => {
    const b = await branches()
    const rotated = await b.ours.store.rotate({ saveKey: () => {} })
    await b.theirs.store.set('ALPHA', 'alpha-theirs')
    const oldId = dataKeyId(parseStoreKey(b.storeKey).dataKey)
    const newId = dataKeyId(parseStoreKey(rotated.storeKey).dataKey)
    const noOld = await failure(merge(b, { storeKeys: [parseStoreKey(rotated.storeKey)] }))
    expect(noOld).toMatchObject({ code: 'KEY_MISSING' })
    expect(noOld.message).toBe([
      `Merging secrets.enc.json needs store key ${oldId} (to re-encrypt ALPHA (secrets.enc.json (theirs))), which neither UNPLUGIN_SECRETS_KEY nor your key file holds. Nothing was merged.`,
      `Get it from an admin (unplugin-secrets key export, on a checkout whose store uses key ${oldId}), import it on such a checkout with unplugin-secrets key import, then merge again.`,
    ].join(' '))
    const noNew = await failure(merge(b))
    expect(noNew.message).toMatch(new RegExp(`^Merging secrets\\.enc\\.json needs store key ${newId} \\(the key secrets\\.enc\\.json \\(ours\\) uses since alice rotated it at [^,]+, to seal the result\\)`))
  })

  it('a reader added on the side under the old key gets the new store key wrapped to them', async () => {
    const b = await branches()
    const rotated = await b.ours.store.rotate({ saveKey: () => {} })
    const identity = await newIdentityFile()
    // The reader-add entry a readers command would write under the old key.
    const file = parseStoreFile(await text(b.theirs.path), 'theirs')
    const at = new Date().toISOString()
    const reader = { recipient: identity.recipient, addedAt: at, addedBy: 'alice', wrap: await wrapForRecipient(b.storeKey, parseRecipient(identity.recipient, 'r')) }
    file.readers.set('rita', reader)
    const last = file.audit.at(-1)!
    file.audit.push(signAuditEntry(parseAdminKey(b.adminKey), { seq: last.seq + 1, at, admin: 'alice', action: 'reader-add', name: 'rita', recipient: identity.recipient, record: readerRecordHash(reader), prev: entryHash(last) }))
    await writeFile(b.theirs.path, serializeStoreFile(resign({ ...file, revision: last.seq + 1 }, b.adminKey, b.storeKey)))

    const outcome = await merge(b, { storeKeys: [b.storeKey, rotated.storeKey].map(k => parseStoreKey(k)) })
    if (outcome.kind !== 'merged') throw new Error(outcome.kind)
    expect(Object.keys(outcome.entry.readers!)).toEqual(['rita'])
    const wrap = outcome.file.readers.get('rita')!.wrap
    expect(await unwrapWithIdentities(wrap, await parseIdentities(identity.text, 'id'))).toBe(formatStoreKey(parseStoreKey(rotated.storeKey)))
    await openMerged(outcome, rotated.storeKey)
  })
})

describe('refusals that leave nothing merged', () => {
  it('no admin key: says which key and the command to run', async () => {
    const b = await branches()
    await b.ours.store.set('ALPHA', 'x')
    await b.theirs.store.set('BETA', 'y')
    const error = await failure(merge(b, { adminKey: undefined }))
    expect(error.code).toBe('ADMIN_REQUIRED')
    expect(error.message).toMatch(/^Merging secrets\.enc\.json signs a merge entry, which needs your admin key; none was found \(UNPLUGIN_SECRETS_ADMIN_KEY, or the key file .*\.json\)\. Nothing was merged\. Import it once with: unplugin-secrets key import --admin \(or set UNPLUGIN_SECRETS_ADMIN_KEY\), then merge again\.$/)
  })

  it('an admin key that is not an admin of the merged store', async () => {
    const b = await branches()
    await b.ours.store.set('ALPHA', 'x')
    await b.theirs.store.set('BETA', 'y')
    const stranger = generateAdminKey()
    const error = await failure(merge(b, { adminKey: stranger }))
    expect(error).toMatchObject({ code: 'NOT_ADMIN', message: expect.stringContaining(`Your admin key (public key ${formatPublicKey(stranger.publicKey)}) is not an admin of the merged secrets.enc.json`) })
  })

  it('two different stores', async () => {
    const b = await branches()
    const other = await makeStore(dir)
    const error = await failure(merge(b, { theirs: { text: await text(other.path), label: 'other.enc.json' } }))
    expect(error).toMatchObject({ code: 'MERGE_UNRELATED', message: expect.stringMatching(/^secrets\.enc\.json \(ours\) and other\.enc\.json are not versions of one store: they have store ids [0-9a-f]{32} and [0-9a-f]{32}\. Nothing was merged\./) })
  })

  it('a side that dropped the base\'s newest change (git\'s %O is a version of the store)', async () => {
    const b = await branches()
    await b.ours.store.set('ALPHA', 'x')
    // The merge base has ALPHA x (revision 5); ours goes on, theirs went back to revision 4 and changed GAMMA.
    const base = await text(b.ours.path)
    await b.ours.store.set('BETA', 'y')
    await b.theirs.store.set('GAMMA', 'z')
    const error = await failure(merge({ ...b, base }))
    expect(error).toMatchObject({ code: 'STORE_ROLLBACK', message: expect.stringMatching(/^secrets\.enc\.json \(theirs\) does not contain the newest change of the merge base secrets\.enc\.json \(base\) \(revision 5, #5 update ALPHA by alice at [^)]+\): that side went back/) })
    // A base that is not a version of a store (git's conflict-marked virtual base, an empty file) is not used.
    expect((await merge(b, { base: { text: '<<<<<<< ours\n', label: 'virtual' } })).kind).toBe('merged')
    expect((await merge(b, { base: { text: '', label: 'empty' } })).kind).toBe('merged')
  })

  it('a side that does not verify', async () => {
    const b = await branches()
    await b.ours.store.set('ALPHA', 'x')
    const theirs = (await text(b.theirs.path)).replace('"updatedBy": "alice"', '"updatedBy": "alicf"')
    const error = await failure(merge(b, { theirs: { text: theirs, label: 'secrets.enc.json (theirs)' } }))
    expect(error).toMatchObject({ code: 'STORE_TAMPERED', message: expect.stringMatching(/^secrets\.enc\.json \(theirs\): /) })
  })
})

describe('the verifier refuses merge entries the merge command would not write', () => {
  /** A merged store with a collision on ALPHA settled for theirs, and a way to re-sign an edited merge entry. */
  async function mergedWithChoice() {
    const b = await branches()
    await b.ours.store.set('ALPHA', 'alpha-ours')
    await b.theirs.store.set('ALPHA', 'alpha-theirs')
    await b.theirs.store.set('DELTA', 'delta')
    const outcome = await merge(b, { choose: { ALPHA: 'theirs' } })
    if (outcome.kind !== 'merged') throw new Error(outcome.kind)
    const edit = async (change: (entry: Omit<AuditEntry, 'sig'>, file: StoreFile) => void) => {
      const file = parseStoreFile(outcome.text, 'merged')
      const { sig: _sig, ...entry } = file.audit.pop()!
      change(entry, file)
      file.audit.push(signAuditEntry(parseAdminKey(b.adminKey), entry))
      const edited = resign(file, b.adminKey, b.storeKey)
      return failure(Promise.resolve().then(() => verifyStore(edited, parseStoreKey(b.storeKey), 'merged', { full: true })))
    }
    return { b, outcome, edit }
  }

  it('a resolution changed by hand: the other side\'s record kept, or no choice recorded', async () => {
    const { b, outcome, edit } = await mergedWithChoice()
    expect(await edit(entry => void (entry.choose = { ALPHA: 'ours' }))).toMatchObject({ code: 'STORE_TAMPERED', message: expect.stringMatching(/secret ALPHA's version, dates or updatedBy differ|secret ALPHA's value or description is not the one/) })
    expect((await edit(entry => void delete entry.choose)).message).toMatch(/audit entry \d+ \(merge by "alice"\) does not say which side it kept for ALPHA, which both sides changed/)
    expect((await edit(entry => void (entry.choose = { ALPHA: 'theirs', DELTA: 'ours' }))).message).toMatch(/chooses a side for a name that has no conflict/)
    expect((await edit(entry => void (entry.keyId = '0123456789abcdef'))).message).toMatch(/names another key id than its sides give/)
    expect((await edit(entry => void (entry.records = { DELTA: '0'.repeat(64) }))).message).toMatch(/lists a secret it did not need to re-encrypt/)
    expect((await edit((entry, file) => void (entry.base = entryHash(file.audit.at(-1)!)))).message).toMatch(/names a base that is not an ancestor of both sides/)
    // A side's change left out of the merged file: the replay still has it.
    expect((await edit((_entry, file) => void file.secrets.delete('DELTA'))).message).toMatch(/secret DELTA was removed without an audit entry/)
    // The untouched merge verifies.
    expect(verifyStore(outcome.file, parseStoreKey(b.storeKey), 'merged', { full: true }).head).toBe(entryHash(outcome.entry))
  })
})

describe('after a merge', () => {
  it('a machine that remembered the merge opens a newer revision written elsewhere (no false rollback)', async () => {
    const b = await branches()
    await b.ours.store.set('ALPHA', 'x')
    await b.theirs.store.set('BETA', 'y')
    const outcome = await merge(b)
    if (outcome.kind !== 'merged') throw new Error(outcome.kind)
    const path = join(dir, 'after-merge', 'secrets.enc.json')
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, outcome.text)
    await openStore({ path, key: b.storeKey }) // remembers the merge entry as this path's newest
    // Another machine (another path here) writes two more revisions; the file comes back here.
    const elsewhere = join(dir, 'after-merge', 'elsewhere.enc.json')
    await writeFile(elsewhere, outcome.text)
    const writer = await openStore({ path: elsewhere, key: b.storeKey, adminKey: b.adminKey })
    await writer.set('GAMMA', 'g2')
    await writer.set('DELTA', 'd')
    await writeFile(path, await text(elsewhere))
    const reopened = await openStore({ path, key: b.storeKey })
    expect(reopened.revision).toBe(8)
  })
})
