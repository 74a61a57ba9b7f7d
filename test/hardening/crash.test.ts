/**
 * Crash injection: a writer (the real CLI, or a script on dist/store.mjs)
 * doing set / rm / rotate is killed with SIGKILL, at each write step through
 * the test-only hook UNPLUGIN_SECRETS_TEST_CRASH_AT and at a random moment.
 * After every kill the store must open and verify with the old or the new
 * key, hold the old or the new value of the touched secret (every other value
 * unchanged), and the next write must go through and leave no temp or lock file.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/core/errors'
import { writeKeyFile } from '../../src/core/store/keyfile'
import { openStore } from '../../src/core/store/store'
import type { SecretStore } from '../../src/core/store/store'
import { tempDir } from '../helpers'
import { makeStore } from '../store/fixtures'
import { cli, filesIn, random, storeScript } from './harness'

const RUNS = Number(process.env.CRASH_RUNS ?? 200)
/** The first runs stop at each write step through the hook (4 times each); the rest at random moments. */
const HOOKED_RUNS = Math.min(RUNS, 72)
const dir = await tempDir('usec-crash-')
const keyDir = join(dir, 'keys')
process.env.UNPLUGIN_SECRETS_KEY_DIR = keyDir

type Op = 'set' | 'rm' | 'rotate'
const STORE_STEPS = ['store-locked', 'store-temp-written', 'store-before-rename', 'store-after-rename']
const KEY_STEPS = ['key-file-locked', 'key-file-temp-written', 'key-file-before-rename', 'key-file-after-rename', 'rotate-key-saved']
/** Every (operation, write step) pair the hook can stop. */
const HOOKED: [Op, string][] = [
  ...STORE_STEPS.map(step => ['set', step] as [Op, string]),
  ...STORE_STEPS.map(step => ['rm', step] as [Op, string]),
  ...[...KEY_STEPS, ...STORE_STEPS].map(step => ['rotate', step] as [Op, string]),
]

interface Snapshot {
  revision: number
  storeKey: string
  values: Record<string, string>
}

async function snapshot(path: string): Promise<Snapshot> {
  const store = await openStore({ path })
  return { revision: store.revision, storeKey: store.exportKey(), values: Object.fromEntries(await store.getAll()) }
}

/** Opens with the old key, else with the new one from the key file; says which. */
async function openAfterCrash(path: string, before: Snapshot): Promise<{ store: SecretStore, key: 'old' | 'new' }> {
  try {
    return { store: await openStore({ path, key: before.storeKey }), key: 'old' }
  }
  catch (error) {
    if (!(error instanceof SecretsError) || error.code !== 'WRONG_KEY') throw error
  }
  const store = await openStore({ path }) // the key file holds the new key
  expect(store.exportKey()).not.toBe(before.storeKey)
  return { store, key: 'new' }
}

const tally = { runs: 0, hooked: 0, random: 0, killedMidRun: 0, endedOld: 0, endedNew: 0, nextWrites: 0 }

describe('SIGKILL during set / rm / rotate: nothing lost, nothing half-written', () => {
  it(`${RUNS} runs (every write step through the hook, then random moments), two stores side by side`, async () => {
    const lanes = []
    for (const lane of [0, 1]) {
      const { path, store, storeKey, adminKey } = await makeStore(dir, { T0: 'start-0', T1: 'start-1', T2: 'start-2' })
      await writeKeyFile(store.id, { storeKeys: [storeKey], adminKey })
      lanes.push({ lane, path })
    }

    await Promise.all(lanes.map(async ({ lane, path }) => {
      const rand = random(1000 + lane)
      for (let i = lane; i < RUNS; i += 2) {
        const before = await snapshot(path)
        const hooked = i < HOOKED_RUNS ? HOOKED[i % HOOKED.length] : undefined
        const names = Object.keys(before.values)
        let op: Op = hooked?.[0] ?? (['set', 'rm', 'rotate'] as const)[Math.floor(rand() * 3)]!
        if (op === 'rm' && names.length === 0) op = 'set'
        const name = op === 'rm' ? names[Math.floor(rand() * names.length)]! : `T${Math.floor(rand() * 4)}`
        const value = `run-${i}-${'x'.repeat(Math.floor(rand() * 2000))}`
        const env = { UNPLUGIN_SECRETS_KEY_DIR: keyDir }

        let killed: boolean
        if (hooked) {
          const args = op === 'rotate' ? ['rotate'] : op === 'rm' ? ['rm', name] : ['set', name]
          const result = await cli([...args, '--store', path], { ...env, UNPLUGIN_SECRETS_TEST_CRASH_AT: hooked[1] }, op === 'set' ? value : '').done
          expect(result.signal, `${op} at ${hooked[1]}: ${result.stderr}`).toBe('SIGKILL')
          killed = true
          tally.hooked++
        }
        else {
          const body = op === 'rotate' ? 'await store.rotate()' : op === 'rm' ? `await store.delete(${JSON.stringify(name)})` : `await store.set(${JSON.stringify(name)}, ${JSON.stringify(value)})`
          const child = storeScript(`const store = await openStore({ path: ${JSON.stringify(path)} })\nconsole.log('ready')\n${body}\nconsole.log('done')`, env)
          await child.printed('ready')
          // The write itself takes a few milliseconds: kill within 0-25 ms of the start.
          await new Promise(resolve => setTimeout(resolve, rand() * 25))
          child.process.kill('SIGKILL')
          const result = await child.done
          // Killed after the write finished ('done' printed) counts as a completed write.
          killed = !result.stdout.includes('done')
          if (killed) expect(result.signal, result.stderr).toBe('SIGKILL')
          tally.random++
        }
        if (killed) tally.killedMidRun++

        // The store opens and verifies with the old or the new key.
        const { store, key } = await openAfterCrash(path, before)
        store.verify()
        const after = Object.fromEntries(await store.getAll())
        const changed = store.revision === before.revision + 1
        expect([before.revision, before.revision + 1], `run ${i}`).toContain(store.revision)
        if (op === 'rotate') {
          expect(after).toEqual(before.values)
          expect(key).toBe(changed ? 'new' : 'old')
        }
        else {
          expect(key).toBe('old')
          const expected = { ...before.values }
          if (changed && op === 'set') expected[name] = value
          if (changed && op === 'rm') delete expected[name]
          expect(after, `run ${i}: ${op} ${name}`).toEqual(expected)
          if (changed) expect(store.log().at(-1)).toMatchObject({ name, action: op === 'rm' ? 'delete' : name in before.values ? 'update' : 'create' })
        }
        if (changed) tally.endedNew++
        else tally.endedOld++

        // The next write is not blocked by the dead writer's lock or temp file, and removes them.
        const next = await openStore({ path })
        if (op === 'rotate') {
          await next.rotate()
          const id = next.id
          expect(await filesIn(keyDir, id)).toEqual([`${id}.json`])
          const keys = JSON.parse(await readFile(join(keyDir, `${id}.json`), 'utf8')) as { storeKeys: string[] }
          // The new key first; retired ones stay after it (a branch that has not seen the rotation still opens).
          expect(keys.storeKeys[0]).toBe(next.exportKey())
          expect(new Set(keys.storeKeys).size).toBe(keys.storeKeys.length)
        }
        else {
          await next.set('AFTER', `after-${i}`)
        }
        tally.nextWrites++
        expect(await filesIn(dirname(path))).toEqual(['secrets.enc.json'])
        tally.runs++
      }
    }))
    console.log(`crash injection: ${JSON.stringify(tally)}`)
    expect(tally.runs).toBe(RUNS)
    expect(tally.hooked).toBeGreaterThanOrEqual(HOOKED.length)
    // Both outcomes happen: kills land before and after the commit.
    expect(tally.endedOld).toBeGreaterThan(0)
    expect(tally.endedNew).toBeGreaterThan(0)
  }, 600_000)
})
