/**
 * Property: random sets, deletes, admin changes and rotations on two branches
 * of one store, merged, give exactly the union of both sides' effects when
 * they do not collide, stop naming exactly the collisions when they do, and
 * the result always verifies. MERGE_FUZZ_RUNS raises the number of runs
 * (`npm run fuzz` does).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { dataKeyId } from '../../src/core/store/crypto'
import { formatPublicKey, generateAdminKey, parseAdminKey, parseStoreKey } from '../../src/core/store/keys'
import { MergeConflict, mergeStores } from '../../src/core/store/merge'
import type { SecretStore } from '../../src/core/store/store'
import { createStore, openStore } from '../../src/core/store/store'
import { tempDir } from '../helpers'

const RUNS = Number(process.env.MERGE_FUZZ_RUNS ?? 20)
const SEED = 20261202
const dir = await tempDir('usec-merge-prop-')

const NAMES = ['ALPHA', 'BETA', 'GAMMA', 'DELTA'] as const
const PEOPLE = { bob: generateAdminKey(), carol: generateAdminKey(), dave: generateAdminKey() }
type Person = keyof typeof PEOPLE

type Op
  = | { kind: 'set', name: string, value: string }
    | { kind: 'delete', name: string }
    | { kind: 'admin-add', name: Person }
    | { kind: 'admin-remove', name: Person }
    | { kind: 'rotate' }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), name: fc.constantFrom(...NAMES), value: fc.string({ maxLength: 16 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), name: fc.constantFrom(...NAMES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('admin-add' as const), name: fc.constantFrom<Person>('carol', 'dave') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('admin-remove' as const), name: fc.constantFrom<Person>('bob', 'carol', 'dave') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rotate' as const }) },
)
const choices = fc.record(Object.fromEntries(NAMES.map(name => [name, fc.constantFrom('ours' as const, 'theirs' as const)])) as Record<typeof NAMES[number], fc.Arbitrary<'ours' | 'theirs'>>)

/** The base every run starts from: three secrets, admins alice and bob. */
const base = await (async () => {
  const path = join(dir, 'base', 'secrets.enc.json')
  const { store, storeKey, adminKey } = await createStore({ path, admin: 'alice' })
  await store.setMany({ ALPHA: 'alpha', BETA: 'beta', GAMMA: 'gamma' })
  await store.addAdmin('bob', formatPublicKey(PEOPLE.bob.publicKey))
  return { text: await readFile(path, 'utf8'), storeKey, adminKey }
})()

/** Each change gets its own millisecond: two sides never write the same metadata by chance. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now()
  while (Date.now() === now) await new Promise(resolve => setTimeout(resolve, 1))
}

/** Applies `ops` through the store API; changes the API refuses (the last admin, an admin twice) are skipped. */
async function apply(store: SecretStore, ops: Op[], keys: string[]): Promise<void> {
  for (const change of ops) {
    await nextMillisecond()
    if (change.kind === 'set') {
      await store.set(change.name, change.value)
    }
    else if (change.kind === 'delete') {
      await store.delete(change.name)
    }
    else if (change.kind === 'rotate') {
      await store.rotate({ saveKey: key => void keys.push(key) })
    }
    else {
      const listed = store.admins().some(admin => admin.name === change.name)
      if (change.kind === 'admin-add' && !listed) await store.addAdmin(change.name, formatPublicKey(PEOPLE[change.name].publicKey))
      if (change.kind === 'admin-remove' && listed) await store.removeAdmin(change.name)
    }
  }
}

/** What a side holds, for comparing: each secret's metadata and value, each admin, the key id. */
async function snapshot(store: SecretStore) {
  const values = await store.getAll()
  return {
    secrets: new Map(store.list().map(info => [info.name, JSON.stringify({ ...info, value: values.get(info.name) })])),
    // Metadata alone: a rotation re-encrypts a value without changing the secret.
    meta: new Map(store.list().map(info => [info.name, JSON.stringify(info)])),
    admins: new Map(store.admins().map(admin => [admin.name, JSON.stringify(admin)])),
  }
}
type Snapshot = Awaited<ReturnType<typeof snapshot>>

/** The three-way rule on one kind of thing: each name's expected merged form, or a collision. */
function expectMerged(names: Iterable<string>, pick: (s: Snapshot) => Map<string, string>, compare: (s: Snapshot) => Map<string, string>, sides: { base: Snapshot, ours: Snapshot, theirs: Snapshot }, choose?: Record<string, 'ours' | 'theirs'>) {
  const merged = new Map<string, string>()
  const collisions: string[] = []
  for (const name of names) {
    const [b, o, t] = [sides.base, sides.ours, sides.theirs].map(s => compare(s).get(name))
    const oursChanged = o !== b
    const theirsChanged = t !== b
    let from: Snapshot | undefined = sides.base
    if (oursChanged && theirsChanged && o !== t) {
      const choice = choose?.[name]
      if (!choice) {
        collisions.push(name)
        continue
      }
      from = sides[choice]
    }
    else if (theirsChanged) {
      from = sides.theirs
    }
    else if (oursChanged) {
      from = sides.ours
    }
    const kept = pick(from).get(name)
    if (kept !== undefined) merged.set(name, kept)
  }
  return { merged, collisions }
}

describe('merging two random branches', () => {
  it('gives the union of both sides\' effects, or stops naming exactly the collisions; the result always verifies', async () => {
    let run = 0
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 6 }), fc.array(op, { maxLength: 6 }), choices, fc.boolean(), async (oursOps, theirsOps, choice, settle) => {
      const folder = join(dir, `run-${++run}`)
      await mkdir(folder)
      const keys = [base.storeKey]
      const open = async (name: string) => {
        const path = join(folder, name)
        await writeFile(path, base.text)
        return openStore({ path, key: base.storeKey, adminKey: base.adminKey })
      }
      const [baseStore, ours, theirs] = [await open('base.json'), await open('ours.json'), await open('theirs.json')]
      await apply(ours, oursOps, keys)
      await apply(theirs, theirsOps, keys)
      const sides = { base: await snapshot(baseStore), ours: await snapshot(ours), theirs: await snapshot(theirs) }

      const rotated = [oursOps, theirsOps].map(ops => ops.some(o => o.kind === 'rotate'))
      const allNames = (pick: (s: Snapshot) => Map<string, string>) => new Set([sides.base, sides.ours, sides.theirs].flatMap(s => [...pick(s).keys()]))
      const secretPlan = expectMerged(allNames(s => s.meta), s => s.secrets, s => s.meta, sides)
      const adminPlan = expectMerged(allNames(s => s.admins), s => s.admins, s => s.admins, sides)
      const choose = settle ? Object.fromEntries(secretPlan.collisions.map(name => [name, choice[name as typeof NAMES[number]]])) : undefined
      const secrets = expectMerged(allNames(s => s.meta), s => s.secrets, s => s.meta, sides, choose)
      const blocked = [...(rotated[0] && rotated[1] ? ['key store key'] : []), ...adminPlan.collisions.map(name => `admin ${name}`), ...secrets.collisions.map(name => `secret ${name}`)]

      const read = (name: string) => readFile(join(folder, name), 'utf8')
      const outcome = await mergeStores({
        path: 'secrets.enc.json',
        ours: { text: await read('ours.json'), label: 'ours' },
        theirs: { text: await read('theirs.json'), label: 'theirs' },
        storeKeys: keys.map(key => parseStoreKey(key)),
        adminKey: parseAdminKey(base.adminKey),
        ...(choose ? { choose } : {}),
      }).catch((error: unknown) => error as Error)

      if (blocked.length > 0) {
        expect(outcome).toBeInstanceOf(MergeConflict)
        expect((outcome as MergeConflict).conflicts.map(c => `${c.what} ${c.name}`).sort()).toEqual(blocked.sort())
        return
      }
      if (outcome instanceof Error) throw outcome
      const text = outcome.kind === 'up-to-date' ? await read('ours.json') : outcome.text
      const mergedPath = join(folder, 'merged.json')
      await writeFile(mergedPath, text)
      const keyId = JSON.parse(text).keyId as string
      const mergedKey = keys.find(key => dataKeyId(parseStoreKey(key).dataKey) === keyId)!
      const merged = await openStore({ path: mergedPath, key: mergedKey })
      merged.verify()
      const result = await snapshot(merged)
      expect(result.secrets).toEqual(secrets.merged)
      expect(result.admins).toEqual(adminPlan.merged)
    }), { seed: SEED, numRuns: RUNS })
  })
})
