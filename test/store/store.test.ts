import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/core/errors'
import { MAX_VALUE_BYTES } from '../../src/core/names'
import { keyFilePath, writeKeyFile } from '../../src/core/store/keyfile'
import { createStore, openStore } from '../../src/core/store/store'
import { generateAdminKey } from '../../src/store'
import { tempDir } from '../helpers'
import { copyV1Store, makeStore, readStore, resign, writeStore } from './fixtures'

const dir = await tempDir()
process.env.UNPLUGIN_SECRETS_KEY_DIR = join(dir, 'keys')
delete process.env.UNPLUGIN_SECRETS_KEY
delete process.env.UNPLUGIN_SECRETS_ADMIN_KEY

async function rejects(promise: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<SecretsError> {
  let error: unknown
  try {
    await (typeof promise === 'function' ? promise() : promise)
  }
  catch (caught) {
    error = caught
  }
  expect(error, `expected SecretsError ${code}`).toBeInstanceOf(SecretsError)
  expect((error as SecretsError).code).toBe(code)
  if (message) expect((error as SecretsError).message).toMatch(message)
  return error as SecretsError
}

describe('1. readable metadata, encrypted values', () => {
  it('keeps names and metadata in the file and no value in any encoding', async () => {
    const { path } = await makeStore(dir)
    const text = await readFile(path, 'utf8')
    for (const name of ['ALPHA', 'BETA', 'GAMMA']) expect(text).toContain(`"${name}": {`)
    expect(text).toContain('"description": "ALPHA for tests"')
    expect(text).toMatch(/"updatedBy": "alice"/)
    expect(text).toMatch(/"createdAt": "\d{4}-/)
    for (const value of ['alpha-value-1', 'beta-value-2', 'gamma-value-3']) {
      expect(text).not.toContain(value)
      expect(text).not.toContain(Buffer.from(value).toString('base64').slice(0, 12))
      expect(text).not.toContain(Buffer.from(value).toString('hex').slice(0, 16))
    }
  })

  it('writes a fresh nonce for every write, even of the same value', async () => {
    const { path, store } = await makeStore(dir, {})
    const seen = new Set<string>()
    for (let i = 0; i < 5; i++) {
      await store.set('SAME', 'the-same-value')
      const value = (await readStore(path)).secrets.get('SAME')!.value
      seen.add(Buffer.from(value, 'base64').subarray(0, 24).toString('hex'))
    }
    expect(seen.size).toBe(5)
  })

  it('leaves unchanged secrets byte-identical when another secret changes', async () => {
    const { path, store } = await makeStore(dir)
    const before = await readFile(path, 'utf8')
    await store.set('BETA', 'beta-value-changed')
    const after = await readFile(path, 'utf8')
    const block = (text: string, name: string) => text.slice(text.indexOf(`"${name}": {`), text.indexOf('}', text.indexOf(`"${name}": {`)))
    expect(block(after, 'ALPHA')).toBe(block(before, 'ALPHA'))
    expect(block(after, 'GAMMA')).toBe(block(before, 'GAMMA'))
    expect(block(after, 'BETA')).not.toBe(block(before, 'BETA'))
  })

  it('a ciphertext moved to another name and re-signed by an admin is refused: its audit entry signed another record', async () => {
    const { path, store, adminKey } = await makeStore(dir)
    const file = await readStore(path)
    file.secrets.set('ALPHA', { ...file.secrets.get('ALPHA')!, value: file.secrets.get('BETA')!.value })
    await writeStore(path, resign(file, adminKey, store.exportKey()))
    await rejects(openStore({ path, key: store.exportKey() }), 'STORE_TAMPERED', /secret ALPHA's value or description is not the one its last audit entry signed/)
  })

  it('binds each ciphertext to its name (format v1, which signs no records): a moved ciphertext does not decrypt', async () => {
    const { path, keys } = await copyV1Store(dir)
    const file = await readStore(path)
    file.secrets.set('ALPHA', { ...file.secrets.get('ALPHA')!, value: file.secrets.get('BETA')!.value })
    await writeStore(path, resign(file, keys.adminKey, keys.storeKey))
    const reopened = await openStore({ path, key: keys.storeKey })
    await rejects(reopened.get('ALPHA'), 'STORE_TAMPERED', /value of ALPHA does not decrypt/)
    expect(await reopened.get('BETA')).toBe('beta-v1')
    expect(() => reopened.verify()).toThrow(/ALPHA/)
  })

  it('an older ciphertext of the same name put back and re-signed is refused', async () => {
    const { path, store, adminKey } = await makeStore(dir)
    const old = (await readStore(path)).secrets.get('ALPHA')!
    await store.set('ALPHA', 'alpha-value-new')
    const file = await readStore(path)
    file.secrets.set('ALPHA', { ...file.secrets.get('ALPHA')!, value: old.value })
    await writeStore(path, resign(file, adminKey, store.exportKey()))
    await rejects(openStore({ path, key: store.exportKey() }), 'STORE_TAMPERED', /ALPHA/)
  })
})

describe('2. reading needs the store key', () => {
  it('reads with the key from the option, the environment or the key file', async () => {
    const { path, storeKey, store } = await makeStore(dir)
    expect(await (await openStore({ path, key: storeKey })).get('ALPHA')).toBe('alpha-value-1')

    process.env.UNPLUGIN_SECRETS_KEY = storeKey
    try {
      expect(await (await openStore({ path })).get('BETA')).toBe('beta-value-2')
    }
    finally {
      delete process.env.UNPLUGIN_SECRETS_KEY
    }

    await rejects(openStore({ path }), 'KEY_MISSING', /No store key for .*UNPLUGIN_SECRETS_KEY.*key import/)
    const keyFile = await writeKeyFile(store.id, { storeKeys: [storeKey] })
    expect(keyFile).toBe(keyFilePath(store.id))
    expect(keyFile.startsWith(join(dir, 'keys'))).toBe(true)
    expect(keyFile).toContain(store.id)
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    expect(await (await openStore({ path })).get('GAMMA')).toBe('gamma-value-3')
  })

  it('refuses a key file that other users can read, and says how to fix it', async () => {
    const { path, storeKey, store } = await makeStore(dir)
    const keyFile = await writeKeyFile(store.id, { storeKeys: [storeKey] })
    await chmod(keyFile, 0o644)
    await rejects(openStore({ path }), 'KEY_INVALID', /can be read by other users \(mode 644\)\. Make it private: chmod 600 /)
    await chmod(keyFile, 0o600)
    expect(await (await openStore({ path })).get('ALPHA')).toBe('alpha-value-1')
  })

  it('refuses a key of another store with WRONG_KEY, never garbage', async () => {
    const a = await makeStore(dir)
    const b = await makeStore(dir)
    await rejects(openStore({ path: a.path, key: b.storeKey }), 'WRONG_KEY', /does not open .*another store/)
  })

  it('refuses malformed keys with KEY_INVALID and says which kind was expected', async () => {
    const { path, storeKey, adminKey } = await makeStore(dir)
    const flipped = storeKey.slice(0, 20) + (storeKey[20] === 'A' ? 'B' : 'A') + storeKey.slice(21)
    await rejects(openStore({ path, key: flipped }), 'KEY_INVALID', /checksum/)
    await rejects(openStore({ path, key: storeKey.slice(0, -3) }), 'KEY_INVALID', /length/)
    await rejects(openStore({ path, key: adminKey }), 'KEY_INVALID', /another kind \(usec_admin_/)
    await rejects(openStore({ path, key: 'hunter2' }), 'KEY_INVALID', /does not start with usec_store_/)
    const error = await rejects(openStore({ path, key: storeKey, adminKey: 'usec_admin_nope' }), 'KEY_INVALID')
    expect(error.message).not.toContain(storeKey)
  })
})

describe('3. changing needs an admin key', () => {
  it('refuses every change without an admin key, and leaves the file as it was', async () => {
    const { path, storeKey } = await makeStore(dir)
    const before = await readFile(path, 'utf8')
    const reader = await openStore({ path, key: storeKey })
    expect(reader.admin).toBeUndefined()
    await rejects(reader.set('ALPHA', 'x'), 'ADMIN_REQUIRED', /needs an admin key.*UNPLUGIN_SECRETS_ADMIN_KEY/)
    await rejects(reader.delete('ALPHA'), 'ADMIN_REQUIRED')
    await rejects(reader.rotate(), 'ADMIN_REQUIRED')
    await rejects(reader.addAdmin('mallory', generateAdminKey().publicKey), 'ADMIN_REQUIRED')
    await rejects(reader.removeAdmin('alice'), 'ADMIN_REQUIRED')
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  it('refuses a key that is not in the admin list with NOT_ADMIN and the command to fix it', async () => {
    const { path, storeKey } = await makeStore(dir)
    const stranger = generateAdminKey()
    const store = await openStore({ path, key: storeKey, adminKey: stranger.adminKey })
    await rejects(store.set('ALPHA', 'x'), 'NOT_ADMIN', new RegExp(`admins add <your-name> --public-key ${stranger.publicKey}`))
  })

  it('signs every change with the acting admin, who shows as updatedBy and in the log', async () => {
    const { path, storeKey, store } = await makeStore(dir, {})
    const bob = generateAdminKey()
    await store.addAdmin('bob', bob.publicKey)
    const asBob = await openStore({ path, key: storeKey, adminKey: bob.adminKey })
    expect(asBob.admin).toBe('bob')
    await asBob.set('FROM_BOB', 'bob-value')
    expect(asBob.list()[0]).toMatchObject({ name: 'FROM_BOB', updatedBy: 'bob', version: 1 })
    expect(asBob.log().map(e => [e.admin, e.action, e.name])).toEqual([
      ['alice', 'init', 'alice'],
      ['alice', 'admin-add', 'bob'],
      ['bob', 'create', 'FROM_BOB'],
    ])
    expect((await readStore(path)).signature.admin).toBe('bob')
    await store.removeAdmin('bob')
    await rejects(asBob.set('FROM_BOB', 'again'), 'NOT_ADMIN')
    await rejects(store.removeAdmin('alice'), 'LAST_ADMIN', /only admin/)
    await rejects(store.removeAdmin('nobody'), 'ADMIN_NOT_FOUND')
    await rejects(store.addAdmin('alice', generateAdminKey().publicKey), 'ADMIN_EXISTS')
    await rejects(store.addAdmin('bad name!', generateAdminKey().publicKey), 'INVALID_ADMIN_NAME', /letters, digits/)
  })
})

describe('5. audit trail', () => {
  it('records who did what to which name and when, never values', async () => {
    const { path, store } = await makeStore(dir, {})
    await store.set('A', 'value-a-123')
    await store.set('A', 'value-a-456')
    await store.delete('A')
    await store.rotate()
    const log = store.log()
    expect(log.map(e => [e.seq, e.admin, e.action, e.name])).toEqual([
      [1, 'alice', 'init', 'alice'],
      [2, 'alice', 'create', 'A'],
      [3, 'alice', 'update', 'A'],
      [4, 'alice', 'delete', 'A'],
      [5, 'alice', 'rotate', undefined],
    ])
    for (const entry of log) expect(Date.parse(entry.at)).toBeGreaterThan(Date.now() - 60_000)
    const text = await readFile(path, 'utf8')
    expect(text).not.toContain('value-a-')
    const audit = (await readStore(path)).audit
    expect(audit.every((entry, i) => i === 0 ? entry.prev === '' : /^[0-9a-f]{64}$/.test(entry.prev))).toBe(true)
  })
})

describe('6. rotate', () => {
  it('re-encrypts every value under a new key; the old key stops working', async () => {
    const { path, storeKey, store } = await makeStore(dir)
    const before = await readStore(path)
    const { storeKey: newKey } = await store.rotate()
    expect(newKey).not.toBe(storeKey)
    expect(newKey.startsWith('usec_store_')).toBe(true)
    const after = await readStore(path)
    expect(after.keyId).not.toBe(before.keyId)
    for (const [name, record] of after.secrets) {
      expect(record.value).not.toBe(before.secrets.get(name)!.value)
      expect(record.version).toBe(before.secrets.get(name)!.version)
    }
    await rejects(openStore({ path, key: storeKey }), 'WRONG_KEY', /retired when alice rotated/)
    const reopened = await openStore({ path, key: newKey })
    expect(Object.fromEntries(await reopened.getAll())).toEqual({ ALPHA: 'alpha-value-1', BETA: 'beta-value-2', GAMMA: 'gamma-value-3' })
    reopened.verify()
  })

  it('saves the new key before writing the store, and writes nothing when saving fails', async () => {
    const { path, storeKey, store } = await makeStore(dir)
    const before = await readFile(path, 'utf8')
    await expect(store.rotate({ saveKey: () => { throw new Error('disk full') } })).rejects.toThrow('disk full')
    expect(await readFile(path, 'utf8')).toBe(before)
    let saved = ''
    const { storeKey: newKey } = await store.rotate({ saveKey: (key) => { saved = key } })
    expect(saved).toBe(newKey)
    await rejects(openStore({ path, key: storeKey }), 'WRONG_KEY')
    // The caller keeps the key (and the store key came from an option): it is not written to disk.
    expect(await readFile(keyFilePath(store.id), 'utf8').catch(() => '')).not.toContain(newKey)
  })

  it('without saveKey, keeps the new key in the key file even when the key came from an option', async () => {
    const { path, storeKey, store } = await makeStore(dir)
    const { storeKey: newKey } = await store.rotate()
    const keyFile = JSON.parse(await readFile(keyFilePath(store.id), 'utf8'))
    expect(keyFile.storeKeys).toEqual([newKey])
    expect(await (await openStore({ path })).get('ALPHA')).toBe('alpha-value-1')
    await rejects(openStore({ path, key: storeKey }), 'WRONG_KEY')
    // The retired key stays in the key file (after the new one): a branch that has not seen the rotation still opens.
    const older = await makeStore(dir)
    await writeKeyFile(older.store.id, { storeKeys: [older.storeKey], adminKey: older.adminKey })
    const beforeRotation = await readFile(older.path, 'utf8')
    await (await openStore({ path: older.path })).rotate()
    const rotated = await readFile(older.path, 'utf8')
    await writeFile(join(dir, 'branch.enc.json'), beforeRotation)
    expect(await (await openStore({ path: join(dir, 'branch.enc.json') })).get('ALPHA')).toBe('alpha-value-1')
    expect(JSON.parse(await readFile(keyFilePath(older.store.id), 'utf8')).storeKeys).toEqual([expect.any(String), older.storeKey])
    expect(rotated).not.toBe(beforeRotation)
  })

  it('keeps the key file working when the store key came from it', async () => {
    const { path, storeKey, adminKey, store } = await makeStore(dir)
    await writeKeyFile(store.id, { storeKeys: [storeKey], adminKey })
    const fromFile = await openStore({ path })
    const { storeKey: newKey } = await fromFile.rotate()
    const keyFile = JSON.parse(await readFile(keyFilePath(store.id), 'utf8'))
    expect(keyFile.storeKeys).toEqual([newKey, storeKey])
    expect(await (await openStore({ path })).get('ALPHA')).toBe('alpha-value-1')
  })
})

describe('8. names and values', () => {
  it('rejects invalid names with the rule in the message', async () => {
    const { store } = await makeStore(dir, {})
    for (const name of ['', '1ABC', 'A-B', 'A B', 'A.B', 'É', 'A\n']) {
      await rejects(store.set(name, 'x'), 'INVALID_NAME', /\[A-Za-z_\]\[A-Za-z0-9_\]\*/)
    }
    for (const name of ['_', 'a', 'A1', '_x_9', '__proto__', 'constructor']) await store.set(name, 'ok')
    expect(store.list().map(s => s.name)).toEqual(['A1', '_', '__proto__', '_x_9', 'a', 'constructor'])
    expect(await store.get('__proto__')).toBe('ok')
    expect(({} as Record<string, unknown>).ok).toBeUndefined()
  })

  it('accepts values up to 1 MiB of UTF-8 inclusive, empty values and any Unicode', async () => {
    const { path, storeKey, store } = await makeStore(dir, {})
    const max = 'x'.repeat(MAX_VALUE_BYTES)
    await store.set('MAX', max)
    await rejects(store.set('OVER', `${max}y`), 'VALUE_TOO_LARGE', /1048577 bytes.*1048576/)
    // 1 MiB counted in UTF-8 bytes, not characters: 'é' is 2 bytes.
    await rejects(store.set('WIDE', 'é'.repeat(MAX_VALUE_BYTES / 2 + 1)), 'VALUE_TOO_LARGE')
    await store.set('EMPTY', '')
    await store.set('UNICODE', 'päss 🔑 漢字\nline2\r\n\0end')
    await rejects(store.set('LONE', 'a\uD800b'), 'INVALID_VALUE', /surrogate/)
    await rejects(store.set('NUM', 42 as unknown as string), 'INVALID_VALUE', /must be a string/)
    const reopened = await openStore({ path, key: storeKey })
    expect((await reopened.get('MAX'))!.length).toBe(MAX_VALUE_BYTES)
    expect(await reopened.get('EMPTY')).toBe('')
    expect(await reopened.get('UNICODE')).toBe('päss 🔑 漢字\nline2\r\n\0end')
    expect(await reopened.get('MISSING')).toBeUndefined()
    expect(reopened.has('OVER')).toBe(false)
  })

  it('keeps the description on update unless a new one is given', async () => {
    const { store } = await makeStore(dir, {})
    await store.set('D', 'v1', { description: 'first' })
    await store.set('D', 'v2')
    expect(store.list()[0]).toMatchObject({ name: 'D', version: 2, description: 'first' })
    await store.set('D', 'v3', { description: 'second' })
    expect(store.list()[0]).toMatchObject({ version: 3, description: 'second' })
  })

  it('delete resolves to false and writes nothing for a missing name', async () => {
    const { path, store } = await makeStore(dir)
    const before = await readFile(path, 'utf8')
    expect(await store.delete('NOPE')).toBe(false)
    expect(await readFile(path, 'utf8')).toBe(before)
    expect(await store.delete('ALPHA')).toBe(true)
    expect(await store.get('ALPHA')).toBeUndefined()
  })
})

describe('createStore and openStore', () => {
  it('creates missing folders, refuses to overwrite, and writes no key file', async () => {
    const path = join(dir, 'deep', 'er', 'secrets.enc.json')
    const { store, storeKey, adminKey } = await createStore({ path, admin: 'alice@example.com' })
    expect(storeKey).toMatch(/^usec_store_[\w-]+$/)
    expect(adminKey).toMatch(/^usec_admin_[\w-]+$/)
    await expect(stat(keyFilePath(store.id))).rejects.toThrow()
    const before = await readFile(path, 'utf8')
    await rejects(createStore({ path, admin: 'bob' }), 'STORE_EXISTS', /already exists/)
    expect(await readFile(path, 'utf8')).toBe(before)
    await rejects(openStore({ path: join(dir, 'none.json'), key: storeKey }), 'STORE_NOT_FOUND', /unplugin-secrets init/)
  })

  it('reloads changes made by another opener', async () => {
    const { path, storeKey, adminKey, store } = await makeStore(dir)
    const other = await openStore({ path, key: storeKey, adminKey })
    await other.set('DELTA', 'delta-value')
    expect(store.has('DELTA')).toBe(false)
    await store.reload()
    expect(await store.get('DELTA')).toBe('delta-value')
    // A write through a stale handle starts from the file on disk: nothing is lost.
    await other.set('EPSILON', 'e')
    await store.set('ZETA', 'z')
    expect((await openStore({ path, key: storeKey })).list().map(s => s.name)).toEqual(['ALPHA', 'BETA', 'DELTA', 'EPSILON', 'GAMMA', 'ZETA'])
  })

  it('writes a store that verify reports on', async () => {
    const { store } = await makeStore(dir)
    const report = store.verify()
    expect(report).toMatchObject({ revision: 4, secrets: 3, admins: ['alice'], lastChange: { seq: 4, action: 'create', name: 'GAMMA', admin: 'alice' } })
  })
})
