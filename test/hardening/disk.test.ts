/**
 * A full disk and a read-only file system, for real: the store lives on a
 * 64 KiB tmpfs (mounted here; the tests run as root in CI, where chmod would
 * not stop a write). Every failed write gives WRITE_FAILED with a message that
 * says what happened and what to do, leaves the previous store byte for byte,
 * leaves no temp or lock file, and the next write after space is freed works.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, open, readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeKeyFile } from '../../src/core/store/keyfile'
import { createStore, openStore } from '../../src/core/store/store'
import { tempDir } from '../helpers'
import { cli, filesIn } from './harness'

const dir = await tempDir('usec-disk-')
const mnt = join(dir, 'tiny')
const keyDir = join(dir, 'keys')
process.env.UNPLUGIN_SECRETS_KEY_DIR = keyDir

function tryMount(): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', mnt], { stdio: 'pipe' })
    return undefined
  }
  catch (error) {
    return `cannot mount a tmpfs here (needs root): ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`
  }
}

await mkdir(mnt, { recursive: true })
const skipReason = process.platform === 'linux' ? tryMount() : 'tmpfs mounts need Linux'
if (skipReason) console.warn(`disk.test.ts skipped: ${skipReason}`)

afterAll(() => {
  if (!skipReason) execFileSync('umount', [mnt])
})

/** Fills the file system until a write fails, leaving `spare` bytes of filler removable. */
async function fillDisk(file: string): Promise<void> {
  const handle = await open(file, 'w')
  try {
    for (;;) await handle.write(Buffer.alloc(1024, 1))
  }
  catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC')
  }
  finally {
    await handle.close()
  }
}

describe.skipIf(!!skipReason)('disk full and read-only (64 KiB tmpfs)', () => {
  let path: string
  let before: string
  const env = () => ({ UNPLUGIN_SECRETS_KEY_DIR: keyDir })

  beforeAll(async () => {
    path = join(mnt, 'secrets.enc.json')
    const { store, storeKey, adminKey } = await createStore({ path, admin: 'alice' })
    await store.setMany({ ALPHA: 'alpha-value-1', BETA: 'beta-value-2' })
    await writeKeyFile(store.id, { storeKeys: [storeKey], adminKey })
  })

  async function expectUnchanged(): Promise<void> {
    expect(await readFile(path, 'utf8')).toBe(before)
    expect((await filesIn(mnt)).filter(name => name.startsWith('secrets.enc.json'))).toEqual(['secrets.enc.json'])
    const store = await openStore({ path })
    store.verify()
    expect(Object.fromEntries(await store.getAll())).toEqual({ ALPHA: 'alpha-value-1', BETA: 'beta-value-2' })
  }

  it('disk completely full: set fails with "the disk is full", the store is byte-identical, no lock or temp file is left', async () => {
    before = await readFile(path, 'utf8')
    await fillDisk(join(mnt, 'filler'))
    const result = await cli(['set', 'GAMMA', '--store', path], env(), 'gamma-value').done
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(/^error: Could not write .*secrets\.enc\.json(\.lock)?: the disk is full; the (previous file|store) is unchanged\. Free space or fix permissions and run the command again\.$/m)
    expect(result.stderr).not.toContain('gamma-value')
    await expectUnchanged()
  })

  it('room for the lock but not the new store (a 100 KB value): same error, same store, and the write works once space is freed', async () => {
    await unlink(join(mnt, 'filler'))
    await fillDisk(join(mnt, 'filler'))
    await truncateBy(join(mnt, 'filler'), 8 * 1024) // a few pages free: the lock fits, the store with a 100 KB value does not
    const result = await cli(['set', 'GAMMA', '--store', path], env(), 'g'.repeat(100_000)).done
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(/error: Could not write .*secrets\.enc\.json: the disk is full; the previous file is unchanged\./)
    await expectUnchanged()

    await unlink(join(mnt, 'filler'))
    const retry = await cli(['set', 'GAMMA', '--store', path], env(), 'gamma-value').done
    expect(retry.code, retry.stderr).toBe(0)
    expect(await (await openStore({ path })).get('GAMMA')).toBe('gamma-value')
    await (await openStore({ path })).delete('GAMMA')
  })

  it('rotate with the key folder on the full disk: the new key cannot be saved, so the store is not rewritten and the old key still opens it', async () => {
    before = await readFile(path, 'utf8')
    const oldKey = (await openStore({ path })).exportKey()
    const tinyKeys = join(mnt, 'keys')
    await mkdir(tinyKeys, { recursive: true })
    const { id } = JSON.parse(before) as { id: string }
    await writeFile(join(tinyKeys, `${id}.json`), await readFile(join(keyDir, `${id}.json`)), { mode: 0o600 })
    await fillDisk(join(mnt, 'filler'))
    const result = await cli(['rotate', '--store', path], { UNPLUGIN_SECRETS_KEY_DIR: tinyKeys }).done
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(/error: Could not write .*\.json(\.lock)?: the disk is full; the (previous file|store) is unchanged\./)
    expect(result.stderr).not.toMatch(/usec_store_/)
    await expectUnchanged()
    await openStore({ path, key: oldKey })
    // The key file as it was (and no temp file); the rollback memory's folder may sit beside it.
    expect((await filesIn(tinyKeys)).filter(name => name !== 'history')).toEqual([`${id}.json`])
    await unlink(join(mnt, 'filler'))
    await rm(tinyKeys, { recursive: true })
  })

  it('read-only file system: set and rm fail with "the file system is read-only", the store is byte-identical', async () => {
    before = await readFile(path, 'utf8')
    execFileSync('mount', ['-o', 'remount,ro', mnt])
    try {
      for (const [args, input] of [[['set', 'GAMMA'], 'gamma-value'], [['rm', 'ALPHA'], '']] as const) {
        const result = await cli([...args, '--store', path], env(), input).done
        expect(result.code, result.stderr).toBe(1)
        expect(result.stderr).toMatch(/^error: Could not write .*secrets\.enc\.json\.lock: the file system is read-only; the store is unchanged\. Free space or fix permissions and run the command again\.$/m)
      }
      await expectUnchanged()
    }
    finally {
      execFileSync('mount', ['-o', 'remount,rw', mnt])
    }
    const retry = await cli(['set', 'GAMMA', '--store', path], env(), 'gamma-value').done
    expect(retry.code, retry.stderr).toBe(0)
  })
})

async function truncateBy(file: string, bytes: number): Promise<void> {
  const handle = await open(file, 'r+')
  try {
    const { size } = await handle.stat()
    await handle.truncate(Math.max(0, size - bytes))
  }
  finally {
    await handle.close()
  }
}
