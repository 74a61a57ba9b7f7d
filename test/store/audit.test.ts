/**
 * The audit trail is the source of truth (format v2): every secret's
 * existence, version, author, dates and record must be what replaying the
 * signed entries gives, on every open, not only in `verify`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/core/errors'
import type { StoreFile } from '../../src/core/store/format'
import { parseStoreFile, serializeStoreFile } from '../../src/core/store/format'
import { formatPublicKey, generateAdminKey, parseAdminKey } from '../../src/core/store/keys'
import { replayTrail } from '../../src/core/store/replay'
import { openStore } from '../../src/core/store/store'
import { signAuditEntry } from '../../src/core/store/trust'
import { tempDir } from '../helpers'
import { copyV1Store, makeStore, readStore, resign, writeStore } from './fixtures'

const dir = await tempDir('usec-audit-')

async function refused(path: string, key: string, code: string, message: RegExp): Promise<void> {
  const before = await readFile(path, 'utf8')
  const error = await openStore({ path, key }).then(() => undefined, (e: unknown) => e)
  expect(error, 'the store opened').toBeInstanceOf(SecretsError)
  expect(error).toMatchObject({ code })
  expect((error as Error).message).toMatch(message)
  expect(await readFile(path, 'utf8')).toBe(before)
}

/** An admin's hand-made revision: `edit` the parsed file, then sign and seal it with real keys. */
async function adminEdit(path: string, adminKey: string, storeKey: string, edit: (file: StoreFile) => StoreFile | void): Promise<void> {
  const file = await readStore(path)
  await writeStore(path, resign(edit(file) ?? file, adminKey, storeKey))
}

describe('a change without a signed audit entry is refused on every open', () => {
  it('updatedBy set to another name (an admin or nobody)', async () => {
    for (const who of ['bob', 'mallory']) {
      const { path, store, adminKey, storeKey } = await makeStore(dir)
      await store.addAdmin('bob', formatPublicKey(generateAdminKey().publicKey))
      await adminEdit(path, adminKey, storeKey, (file) => {
        file.secrets.set('ALPHA', { ...file.secrets.get('ALPHA')!, updatedBy: who })
      })
      await refused(path, storeKey, 'STORE_TAMPERED', /secret ALPHA's version, dates or updatedBy differ from its audit entries/)
    }
  })

  it('a version bumped, a date moved, a description changed', async () => {
    const edits: [(record: StoreFile['secrets'] extends Map<string, infer R> ? R : never) => object, RegExp][] = [
      [record => ({ version: record.version + 1 }), /version, dates or updatedBy/],
      [() => ({ updatedAt: '2020-01-01T00:00:00.000Z' }), /version, dates or updatedBy/],
      [() => ({ description: 'rewritten' }), /value or description is not the one its last audit entry signed/],
    ]
    for (const [change, message] of edits) {
      const { path, adminKey, storeKey } = await makeStore(dir)
      await adminEdit(path, adminKey, storeKey, (file) => {
        const record = file.secrets.get('BETA')!
        file.secrets.set('BETA', { ...record, ...change(record) })
      })
      await refused(path, storeKey, 'STORE_TAMPERED', message)
    }
  })

  it('a secret added or deleted without an entry', async () => {
    const added = await makeStore(dir)
    await adminEdit(added.path, added.adminKey, added.storeKey, (file) => {
      file.secrets.set('ZETA', file.secrets.get('ALPHA')!)
    })
    await refused(added.path, added.storeKey, 'STORE_TAMPERED', /secret ZETA is in the file, but no audit entry created it/)
    const deleted = await makeStore(dir)
    await adminEdit(deleted.path, deleted.adminKey, deleted.storeKey, (file) => {
      file.secrets.delete('GAMMA')
    })
    await refused(deleted.path, deleted.storeKey, 'STORE_TAMPERED', /secret GAMMA was removed without an audit entry/)
  })

  it('the tail of the trail cut off (revision set to match)', async () => {
    const { path, store, adminKey, storeKey } = await makeStore(dir)
    await store.set('ALPHA', 'alpha-value-2')
    await adminEdit(path, adminKey, storeKey, file => ({ ...file, audit: file.audit.slice(0, -1), revision: file.revision - 1 }))
    await refused(path, storeKey, 'STORE_TAMPERED', /ALPHA's version, dates or updatedBy differ/)
  })

  it('a reader entry swapped for another by an admin without an entry (a wrap to someone else)', async () => {
    const { path, store, adminKey, storeKey } = await makeStore(dir)
    await store.addReader('bob', 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p')
    await store.addReader('carol', 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj')
    await adminEdit(path, adminKey, storeKey, (file) => {
      file.readers.set('bob', { ...file.readers.get('bob')!, wrap: file.readers.get('carol')!.wrap })
    })
    await refused(path, storeKey, 'STORE_TAMPERED', /reader bob's entry is not the one its last audit entry signed/)
  })

  it('a revision that does not match the trail', async () => {
    const { path, adminKey, storeKey } = await makeStore(dir)
    await adminEdit(path, adminKey, storeKey, file => ({ ...file, revision: file.revision + 3 }))
    await refused(path, storeKey, 'STORE_TAMPERED', /revision \d+ does not match its audit trail \(the newest entry is #4\)/)
  })

  it('an entry forged in another admin\'s name is refused by a plain open (not only by verify)', async () => {
    const { path, store, adminKey, storeKey } = await makeStore(dir)
    const bob = generateAdminKey()
    await store.addAdmin('bob', formatPublicKey(bob.publicKey))
    await store.set('ALPHA', 'alpha-value-2')
    // alice rewrites her last entry to say bob made it, signing it herself.
    await adminEdit(path, adminKey, storeKey, (file) => {
      const last = file.audit.pop()!
      const { sig: _sig, ...unsigned } = last
      file.audit.push(signAuditEntry(parseAdminKey(adminKey), { ...unsigned, admin: 'bob' }))
      file.secrets.set('ALPHA', { ...file.secrets.get('ALPHA')!, updatedBy: 'bob' })
    })
    await refused(path, storeKey, 'UNTRUSTED_ADMIN', /the signature of audit entry 6 \(update by "bob"\) does not verify/)
  })

  it('an entry by someone who was not an admin at that point', async () => {
    const { path, adminKey, storeKey } = await makeStore(dir)
    const eve = generateAdminKey()
    await adminEdit(path, adminKey, storeKey, (file) => {
      const last = file.audit.at(-1)!
      const { sig: _sig, ...unsigned } = last
      file.audit[file.audit.length - 1] = signAuditEntry(eve, { ...unsigned, admin: 'eve' })
      file.secrets.set('GAMMA', { ...file.secrets.get('GAMMA')!, updatedBy: 'eve' })
    })
    await refused(path, storeKey, 'UNTRUSTED_ADMIN', /audit entry 4 \(create GAMMA by "eve"\) was made by "eve", who was not an admin at that point/)
  })
})

describe('incremental verification', () => {
  it('entries up to a head verified before are not queued for signature checks again', async () => {
    const { path, store } = await makeStore(dir)
    const before = await readStore(path)
    const head = replayTrail(before, path, new Map()).trail.head
    await store.set('ALPHA', 'alpha-value-2')
    await store.set('DELTA', 'delta')
    const after = await readStore(path)
    expect(replayTrail(after, path, new Map()).signatures.map(s => s.index)).toEqual([0, 1, 2, 3, 4, 5])
    expect(replayTrail(after, path, new Map(), [head]).signatures.map(s => s.index)).toEqual([4, 5])
    // A head that is not in this file vouches for nothing.
    expect(replayTrail(after, path, new Map(), ['0'.repeat(64)]).signatures).toHaveLength(6)
  })
})

describe('format v1 stores (unplugin-secrets 0.1.0)', () => {
  it('open and read; the first write upgrades them to v2 with an upgrade entry that verifies', async () => {
    const { path, keys } = await copyV1Store(dir)
    const store = await openStore({ path, key: keys.storeKey, adminKey: keys.adminKey })
    expect(Object.fromEntries(await store.getAll())).toEqual({ ALPHA: 'alpha-v2', BETA: 'beta-v1', DELTA: 'delta-v1' })
    const before = await readStore(path)
    await store.set('BETA', 'beta-v2')
    const after = await readStore(path)
    expect(after.format).toBe('unplugin-secrets/v2')
    expect(after.audit.slice(before.audit.length).map(entry => entry.action)).toEqual(['upgrade', 'update'])
    expect(after.revision).toBe(after.audit.at(-1)!.seq)
    expect((await openStore({ path, key: keys.storeKey })).verify().revision).toBe(after.revision)
    // Unchanged secrets keep their bytes: the upgrade commits them as they are.
    expect(after.secrets.get('ALPHA')).toEqual(before.secrets.get('ALPHA'))
  })

  it('get the metadata replay too: updatedBy rewritten in a v1 file is refused', async () => {
    const { path, keys } = await copyV1Store(dir)
    await adminEdit(path, keys.adminKey, keys.storeKey, (file) => {
      file.secrets.set('DELTA', { ...file.secrets.get('DELTA')!, updatedBy: 'mallory' })
    })
    await refused(path, keys.storeKey, 'STORE_TAMPERED', /DELTA's version, dates or updatedBy differ/)
  })

  it('a v2 file without its upgrade entry (v1 entries relabelled) is refused', async () => {
    const { path, keys } = await copyV1Store(dir)
    await adminEdit(path, keys.adminKey, keys.storeKey, file => ({ ...file, format: 'unplugin-secrets/v2', revision: file.audit.at(-1)!.seq }))
    await refused(path, keys.storeKey, 'STORE_TAMPERED', /never upgraded to format v2/)
  })
})

describe('a SecretStore never builds on a file that does not extend what it opened', () => {
  it('refuses the write and leaves the file as it is, also where no memory is kept (detached HEAD)', async () => {
    const project = join(dir, 'detached')
    await mkdir(join(project, '.git'), { recursive: true })
    await writeFile(join(project, '.git', 'HEAD'), `${'ab'.repeat(20)}\n`)
    const { path, store } = await makeStore(project)
    const older = await readFile(path, 'utf8')
    await store.set('ALPHA', 'alpha-value-2')
    const writer = await openStore({ path, key: store.exportKey(), adminKey: undefined })
    expect(writer.revision).toBe(parseStoreFile(await readFile(path, 'utf8'), path).revision)
    await writeFile(path, older) // someone puts the older file back
    // Nothing is remembered on a detached HEAD, so the older file opens...
    expect((await openStore({ path, key: store.exportKey() })).revision).toBe(parseStoreFile(older, path).revision)
    // ...but the open store that saw the newer one refuses to write over it.
    const error = await store.set('BETA', 'x').then(() => undefined, (e: unknown) => e)
    expect(error).toMatchObject({ code: 'STORE_ROLLBACK', message: expect.stringMatching(/changed under this program: .* no longer contains revision 5 .* nothing was written/) })
    expect(await readFile(path, 'utf8')).toBe(older)
    expect(serializeStoreFile(parseStoreFile(older, path))).toBe(older)
  })
})
