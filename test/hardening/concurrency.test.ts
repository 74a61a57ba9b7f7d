/**
 * Many real processes writing one store at once (dist/store.mjs): no lost
 * update, a linearizable history, a store that verifies, and a lock left by a
 * process killed while holding it is recovered at once.
 * (test/store/processes.test.ts has 20 writers of distinct names and the
 * lock-breaking races; this file scales them up.)
 */
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeKeyFile } from '../../src/core/store/keyfile'
import { openStore, openStoreSync } from '../../src/core/store/store'
import { tempDir } from '../helpers'
import { makeStore } from '../store/fixtures'
import { cli, filesIn, storeScript } from './harness'

const dir = await tempDir('usec-concurrency-')
const keyDir = join(dir, 'keys')
process.env.UNPLUGIN_SECRETS_KEY_DIR = keyDir
const env = { UNPLUGIN_SECRETS_KEY_DIR: keyDir }

async function storeWithKeyFile(values: Record<string, string> = {}) {
  const made = await makeStore(dir, values)
  await writeKeyFile(made.store.id, { storeKeys: [made.storeKey], adminKey: made.adminKey })
  return made
}

describe('concurrent writers', () => {
  it('50 processes × 10 writes of distinct names: all 500 land, in each writer\'s order, and the store verifies', async () => {
    const { path } = await storeWithKeyFile()
    const writers = Array.from({ length: 50 }, (_, w) => storeScript(`
      const store = await openStore({ path: ${JSON.stringify(path)} })
      for (let i = 0; i < 10; i++) await store.set('W${w}_' + i, 'value-${w}-' + i)
    `, env).done)
    for (const result of await Promise.all(writers)) expect(result, result.stderr).toMatchObject({ code: 0 })

    const store = await openStore({ path })
    const report = store.verify() // every audit entry's signature, every ciphertext
    expect(report).toMatchObject({ revision: 501, secrets: 500 })
    const values = Object.fromEntries(await store.getAll())
    for (let w = 0; w < 50; w++) {
      for (let i = 0; i < 10; i++) expect(values[`W${w}_${i}`]).toBe(`value-${w}-${i}`)
    }
    const log = store.log()
    expect(log.map(entry => entry.seq)).toEqual(Array.from({ length: 501 }, (_, i) => i + 1))
    for (let w = 0; w < 50; w++) {
      const mine = log.filter(entry => entry.name?.startsWith(`W${w}_`)).map(entry => entry.name)
      expect(mine).toEqual(Array.from({ length: 10 }, (_, i) => `W${w}_${i}`))
    }
    expect(await filesIn(dirname(path))).toEqual(['secrets.enc.json'])
  }, 300_000)

  it('20 processes racing on one name (5 writes each): every write gets its own version, the final value is the last writer\'s, the log has them all in order', async () => {
    const { path } = await storeWithKeyFile({ SHARED: 'initial' })
    const writers = Array.from({ length: 20 }, (_, w) => storeScript(`
      const store = await openStore({ path: ${JSON.stringify(path)} })
      for (let i = 0; i < 5; i++) {
        const value = 'writer-${w}-' + i
        const info = await store.set('SHARED', value)
        console.log(JSON.stringify({ value, version: info.version }))
      }
    `, env).done)
    const results = await Promise.all(writers)
    const writes: { value: string, version: number }[] = []
    for (const result of results) {
      expect(result, result.stderr).toMatchObject({ code: 0 })
      writes.push(...result.stdout.trim().split('\n').map(line => JSON.parse(line) as { value: string, version: number }))
    }
    // No lost update: versions 2..101, each taken by exactly one write.
    expect(writes.map(write => write.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2))
    // Each writer saw its own writes in order.
    for (let w = 0; w < 20; w++) {
      const mine = writes.filter(write => write.value.startsWith(`writer-${w}-`))
      expect(mine.map(write => write.value)).toEqual(Array.from({ length: 5 }, (_, i) => `writer-${w}-${i}`))
      expect(mine.map(write => write.version)).toEqual([...mine.map(write => write.version)].sort((a, b) => a - b))
    }
    const store = await openStore({ path })
    store.verify()
    const last = writes.find(write => write.version === 101)!
    expect(await store.get('SHARED')).toBe(last.value)
    expect(store.list().find(info => info.name === 'SHARED')!.version).toBe(101)
    const entries = store.log().filter(entry => entry.name === 'SHARED')
    expect(entries.map(entry => entry.action)).toEqual(['create', ...Array.from({ length: 100 }, () => 'update')])
    const times = entries.map(entry => entry.at)
    expect(times).toEqual([...times].sort())
  }, 300_000)

  it('a writer SIGKILLed while holding the lock: 10 writers queued behind it all land within seconds, not after a stale timeout', async () => {
    const { path } = await storeWithKeyFile()
    const holder = await cli(['set', 'HOLDER', '--store', path], { ...env, UNPLUGIN_SECRETS_TEST_CRASH_AT: 'store-locked' }, 'never').done
    expect(holder.signal).toBe('SIGKILL')
    expect(await filesIn(dirname(path))).toEqual(['secrets.enc.json', 'secrets.enc.json.lock'])
    const started = Date.now()
    const writers = Array.from({ length: 10 }, (_, w) => storeScript(`
      await (await openStore({ path: ${JSON.stringify(path)} })).set('AFTER_${w}', 'v')
    `, env).done)
    for (const result of await Promise.all(writers)) expect(result, result.stderr).toMatchObject({ code: 0 })
    expect(Date.now() - started).toBeLessThan(20_000) // 10 node start-ups on 2 busy cores; a stale timeout would be 30 s+
    const store = await openStore({ path })
    expect(store.list().map(info => info.name)).toEqual(Array.from({ length: 10 }, (_, w) => `AFTER_${w}`).sort())
    expect(store.has('HOLDER')).toBe(false)
    expect(await filesIn(dirname(path))).toEqual(['secrets.enc.json'])
  }, 120_000)

  it('readers (openStore and openStoreSync, keys from the key file) during 100 rotations by another process: never WRONG_KEY (was ~3% of opens)', async () => {
    const { path } = await storeWithKeyFile({ A: 'a-value' })
    const rotator = storeScript(`
      const store = await openStore({ path: ${JSON.stringify(path)} })
      for (let i = 0; i < 100; i++) await store.rotate()
    `, env)
    let rotating = true
    const done = rotator.done.finally(() => { rotating = false })
    const failures: Record<string, number> = {}
    let reads = 0
    // eslint-disable-next-line no-unmodified-loop-condition -- set by the rotator's promise, between the awaits below
    while (rotating) {
      for (const open of [() => openStore({ path, readOnly: true }), async () => openStoreSync({ path, readOnly: true })]) {
        try {
          expect(await (await open()).get('A')).toBe('a-value')
          reads++
        }
        catch (error) {
          const key = `${(error as { code?: string }).code}: ${(error as Error).message.slice(0, 80)}`
          failures[key] = (failures[key] ?? 0) + 1
        }
      }
    }
    expect(await done, (await done).stderr).toMatchObject({ code: 0 })
    expect(failures).toEqual({})
    expect(reads).toBeGreaterThan(50)
  }, 120_000)
})
