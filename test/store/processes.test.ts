import { spawn } from 'node:child_process'
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeKeyFile } from '../../src/core/store/keyfile'
import { openStore } from '../../src/core/store/store'
import { DIST_STORE, ROOT, runNode, tempDir } from '../helpers'
import { makeStore } from './fixtures'

const dir = await tempDir()
const keyDir = join(dir, 'keys')
process.env.UNPLUGIN_SECRETS_KEY_DIR = keyDir

/** A child process that opens the store (keys from the key file) and runs `body`. */
function child(path: string, body: string, env: Record<string, string> = {}) {
  return runNode(`
    import { openStore } from ${JSON.stringify(DIST_STORE)}
    const store = await openStore({ path: ${JSON.stringify(path)} })
    ${body}
  `, { cwd: dir, env: { UNPLUGIN_SECRETS_KEY_DIR: keyDir, ...env } })
}

async function storeWithKeyFile(values?: Record<string, string>) {
  const made = await makeStore(dir, values)
  await writeKeyFile(made.store.id, { storeKeys: [made.storeKey], adminKey: made.adminKey })
  return made
}

describe('7. writes are atomic and serialized across processes', () => {
  it('20 processes setting different secrets at once all land, and the store verifies', async () => {
    const { path } = await storeWithKeyFile({})
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      child(path, `await store.set('S_${i}', 'value-${i}')`)))
    for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0 })
    const store = await openStore({ path })
    expect(store.list().map(s => s.name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `S_${i}`).sort())
    for (let i = 0; i < 20; i++) expect(await store.get(`S_${i}`)).toBe(`value-${i}`)
    expect(store.verify()).toMatchObject({ revision: 21, secrets: 20 })
    expect(store.log().map(e => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1))
    expect((await readdir(dirname(path))).sort()).toEqual(['secrets.enc.json'])
  }, 120_000)

  it('breaks a lock left by a dead process at once, and one with no readable owner after 2 s', async () => {
    const { path, store } = await storeWithKeyFile()
    const dead = await new Promise<number>((resolve) => {
      const proc = spawn(process.execPath, ['-e', ''])
      proc.on('exit', () => resolve(proc.pid!))
    })
    await writeFile(`${path}.lock`, JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), token: 'x' }))
    const started = Date.now()
    await store.set('AFTER_DEAD_LOCK', 'v')
    expect(Date.now() - started).toBeLessThan(5_000)

    await writeFile(`${path}.lock`, '')
    const old = new Date(Date.now() - 10_000)
    await utimes(`${path}.lock`, old, old)
    await store.set('AFTER_EMPTY_LOCK', 'v')
    expect(store.list().map(s => s.name)).toContain('AFTER_EMPTY_LOCK')
    expect((await readdir(dirname(path))).sort()).toEqual(['secrets.enc.json'])
  })

  it('a waiter that judged a lock stale never breaks the next holder\'s lock', async () => {
    // A holds the lock; B reads it, then (slowed) judges it after A has exited
    // and C has taken the lock. B must not remove C's lock: all three land.
    const { path } = await storeWithKeyFile({})
    const preload = join(ROOT, 'test/fixtures/slow-fs/preload.cjs')
    const writer = (name: string, env: Record<string, string>) => new Promise<number | null>((resolve) => {
      const proc = spawn(process.execPath, ['--require', preload, '--input-type=module', '-e', `
        import { openStore } from ${JSON.stringify(DIST_STORE)}
        await (await openStore({ path: ${JSON.stringify(path)} })).set('${name}', 'v')
      `], { env: { PATH: process.env.PATH!, UNPLUGIN_SECRETS_KEY_DIR: keyDir, ...env }, stdio: 'ignore' })
      proc.on('exit', resolve)
    })
    const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))
    const a = writer('A_NAME', { SLOW_RENAME_MS: '1500' })
    await sleep(500)
    const b = writer('B_NAME', { SLOW_LOCK_STAT_MS: '2500' })
    await sleep(1500)
    const c = writer('C_NAME', { SLOW_RENAME_MS: '2000' })
    expect(await Promise.all([a, b, c])).toEqual([0, 0, 0])
    const store = await openStore({ path })
    expect(store.list().map(s => s.name)).toEqual(['A_NAME', 'B_NAME', 'C_NAME'])
    expect(store.log().map(e => e.name).slice(1).sort()).toEqual(['A_NAME', 'B_NAME', 'C_NAME'])
  }, 30_000)

  it('waits for a live lock holder instead of writing beside it', async () => {
    const { path, store } = await storeWithKeyFile()
    const holder = { pid: process.pid, host: (await import('node:os')).hostname(), token: 'held-by-test' }
    await writeFile(`${path}.lock`, JSON.stringify(holder))
    const write = store.set('WAITED', 'v')
    await new Promise(resolve => setTimeout(resolve, 500))
    expect((await openStore({ path })).has('WAITED')).toBe(false)
    await (await import('node:fs/promises')).unlink(`${path}.lock`)
    await write
    expect((await openStore({ path })).has('WAITED')).toBe(true)
  })
})

describe('6 and 7. a crash at any write step leaves a store that opens', () => {
  const steps = ['store-locked', 'store-temp-written', 'store-before-rename', 'store-after-rename']
  const keyFileSteps = ['key-file-temp-written', 'key-file-before-rename', 'key-file-after-rename', 'rotate-key-saved']

  for (const step of steps) {
    it(`set, killed at ${step}: old or new value, and the next write is not blocked`, async () => {
      const { path } = await storeWithKeyFile()
      const result = await child(path, `await store.set('ALPHA', 'alpha-new')`, { UNPLUGIN_SECRETS_TEST_CRASH_AT: step })
      expect(result.signal).toBe('SIGKILL')
      const store = await openStore({ path })
      expect(await store.get('ALPHA')).toBe(step === 'store-after-rename' ? 'alpha-new' : 'alpha-value-1')
      store.verify()
      await store.set('NEXT', 'next-value') // lock and temp files of the dead writer do not block
      expect((await readdir(dirname(path))).sort()).toEqual(['secrets.enc.json'])
    })
  }

  for (const step of [...keyFileSteps, ...steps]) {
    it(`rotate, killed at ${step}: the key file still opens the store`, async () => {
      const { path, storeKey } = await storeWithKeyFile()
      const result = await child(path, `await store.rotate()`, { UNPLUGIN_SECRETS_TEST_CRASH_AT: step })
      expect(result.signal).toBe('SIGKILL')
      const store = await openStore({ path })
      expect(Object.fromEntries(await store.getAll())).toEqual({ ALPHA: 'alpha-value-1', BETA: 'beta-value-2', GAMMA: 'gamma-value-3' })
      const rotated = store.log().at(-1)!.action === 'rotate'
      expect(rotated).toBe(step === 'store-after-rename')
      if (rotated) await expect(openStore({ path, key: storeKey })).rejects.toMatchObject({ code: 'WRONG_KEY' })
      // Finishing a rotation afterwards puts its key first in the key file (retired keys stay after it, for older branches).
      const { storeKey: newest } = await store.rotate()
      const keys = JSON.parse(await readFile(join(keyDir, `${store.id}.json`), 'utf8'))
      expect(keys.storeKeys[0]).toBe(newest)
      expect(new Set(keys.storeKeys).size).toBe(keys.storeKeys.length)
      expect((await openStore({ path })).verify().revision).toBe(store.revision)
    })
  }

  it('killed at a random moment during a burst of writes: always a verified store', async () => {
    const { path } = await storeWithKeyFile()
    for (let run = 0; run < 8; run++) {
      const proc = spawn(process.execPath, ['--input-type=module', '-e', `
        import { openStore } from ${JSON.stringify(DIST_STORE)}
        const store = await openStore({ path: ${JSON.stringify(path)} })
        for (let i = 0; ; i++) await (i % 7 === 6 ? store.rotate() : store.set('ALPHA', 'alpha-' + i))
      `], { env: { PATH: process.env.PATH!, UNPLUGIN_SECRETS_KEY_DIR: keyDir }, stdio: 'ignore' })
      await new Promise(resolve => setTimeout(resolve, 150 + Math.random() * 250))
      proc.kill('SIGKILL')
      await new Promise(resolve => proc.on('exit', resolve))
      const store = await openStore({ path })
      store.verify()
      expect(await store.get('ALPHA')).toMatch(/^alpha-(value-1|\d+)$/)
    }
  }, 60_000)
})
