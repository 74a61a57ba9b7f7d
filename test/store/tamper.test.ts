import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { errorCodes } from '../../src/core/errors'
import { SecretsError } from '../../src/core/errors'
import { dataKeyId, encryptValue, valueAad } from '../../src/core/store/crypto'
import type { StoreFile } from '../../src/core/store/format'
import { parseStoreFile, secretRecordHash, serializeStoreFile } from '../../src/core/store/format'
import { formatPublicKey, generateAdminKey, parseStoreKey } from '../../src/core/store/keys'
import { openStore } from '../../src/core/store/store'
import { entryHash, signAuditEntry, signStore } from '../../src/core/store/trust'
import { tempDir } from '../helpers'
import { makeStore, readStore, resign, writeStore } from './fixtures'

const dir = await tempDir()
process.env.UNPLUGIN_SECRETS_KEY_DIR = join(dir, 'keys')

const ORIGINAL = { ALPHA: 'alpha-value-1', BETA: 'beta-value-2', GAMMA: 'gamma-value-3' }

/** Opens `text` as a store; returns the error code, or the values when it opened. */
async function openText(path: string, text: string | Buffer, key: string): Promise<{ code: string, message: string } | { values: Record<string, string> }> {
  await writeFile(path, text)
  try {
    const store = await openStore({ path, key })
    return { values: Object.fromEntries(await store.getAll()) }
  }
  catch (error) {
    if (!(error instanceof SecretsError)) throw new Error(`not a SecretsError: ${String(error)}`, { cause: error })
    return { code: error.code, message: error.message }
  }
}

async function expectRefused(path: string, file: StoreFile, key: string, code: keyof typeof errorCodes, why: RegExp) {
  const result = await openText(path, serializeStoreFile(file), key)
  expect(result).toMatchObject({ code })
  expect((result as { message: string }).message).toMatch(why)
}

/** What someone holding only the store key can do: encrypt a value the reader's key decrypts. */
function reEncrypt(file: StoreFile, storeKey: string, name: string, value: string): StoreFile {
  const record = file.secrets.get(name)!
  const { dataKey } = parseStoreKey(storeKey)
  const secrets = new Map(file.secrets)
  secrets.set(name, { ...record, value: encryptValue(dataKey, valueAad(file.id, dataKeyId(dataKey), name, record.version), new TextEncoder().encode(value)) })
  return { ...file, secrets }
}

describe('3. a store-key holder cannot produce a store that readers accept', () => {
  let path: string
  let storeKey: string
  let original: StoreFile
  beforeAll(async () => {
    ({ path, storeKey } = await makeStore(dir, ORIGINAL))
    original = await readStore(path)
  })

  it('re-encrypted value under the old signature: tampered', async () => {
    await expectRefused(path, reEncrypt(original, storeKey, 'ALPHA', 'attacker'), storeKey, 'STORE_TAMPERED', /does not match the signature of admin "alice"/)
  })

  it('re-signed with a fresh keypair, admin list swapped to it: untrusted', async () => {
    const mallory = generateAdminKey()
    const forged = reEncrypt(original, storeKey, 'ALPHA', 'attacker')
    const admins = new Map([['alice', { ...forged.admins.get('alice')!, publicKey: formatPublicKey(mallory.publicKey) }]])
    const { signature: _s, ...unsigned } = { ...forged, admins }
    await expectRefused(path, signStore(mallory, 'alice', parseStoreKey(storeKey).dataKey, unsigned), storeKey, 'UNTRUSTED_ADMIN', /admin list differs from the admin changes signed in its audit trail/)
  })

  it('re-signed by a new name added to the admin list: untrusted', async () => {
    const mallory = generateAdminKey()
    const forged = reEncrypt(original, storeKey, 'ALPHA', 'attacker')
    const admins = new Map([...forged.admins, ['mallory', { publicKey: formatPublicKey(mallory.publicKey), addedAt: forged.audit[0]!.at, addedBy: 'alice' }]])
    const { signature: _s, ...unsigned } = { ...forged, admins }
    await expectRefused(path, signStore(mallory, 'mallory', parseStoreKey(storeKey).dataKey, unsigned), storeKey, 'UNTRUSTED_ADMIN', /admin list differs/)
  })

  it('an admin-add entry signed by the newcomer: untrusted', async () => {
    const mallory = generateAdminKey()
    const publicKey = formatPublicKey(mallory.publicKey)
    const last = original.audit.at(-1)!
    const entry = signAuditEntry(mallory, { seq: last.seq + 1, at: last.at, admin: 'mallory', action: 'admin-add', name: 'mallory', publicKey, prev: entryHash(last) })
    const admins = new Map([...original.admins, ['mallory', { publicKey, addedAt: last.at, addedBy: 'mallory' }]])
    const { signature: _s, ...unsigned } = { ...reEncrypt(original, storeKey, 'ALPHA', 'attacker'), admins, audit: [...original.audit, entry] }
    await expectRefused(path, signStore(mallory, 'mallory', parseStoreKey(storeKey).dataKey, unsigned), storeKey, 'UNTRUSTED_ADMIN', /"mallory", who was not an admin at that point/)
  })

  it('an admin-add entry claiming to be by alice: its signature does not verify', async () => {
    const mallory = generateAdminKey()
    const publicKey = formatPublicKey(mallory.publicKey)
    const last = original.audit.at(-1)!
    const entry = signAuditEntry(mallory, { seq: last.seq + 1, at: last.at, admin: 'alice', action: 'admin-add', name: 'mallory', publicKey, prev: entryHash(last) })
    const admins = new Map([...original.admins, ['mallory', { publicKey, addedAt: last.at, addedBy: 'alice' }]])
    const { signature: _s, ...unsigned } = { ...original, admins, audit: [...original.audit, entry] }
    await expectRefused(path, signStore(mallory, 'mallory', parseStoreKey(storeKey).dataKey, unsigned), storeKey, 'UNTRUSTED_ADMIN', /signature of audit entry 5 \(admin-add by "alice"\) does not verify/)
  })

  it('a whole new history from a fresh genesis: not the trust root of the key', async () => {
    const mallory = generateAdminKey()
    const publicKey = formatPublicKey(mallory.publicKey)
    const genesis = signAuditEntry(mallory, { ...original.audit[0]!, publicKey })
    const admins = new Map([['alice', { ...original.admins.get('alice')!, publicKey }]])
    const { signature: _s, ...unsigned } = { ...reEncrypt(original, storeKey, 'ALPHA', 'attacker'), admins, audit: [genesis] }
    await expectRefused(path, signStore(mallory, 'alice', parseStoreKey(storeKey).dataKey, unsigned), storeKey, 'UNTRUSTED_ADMIN', /not the trust root this store key was made for/)
  })

  it('a signature by someone who is no admin at all: untrusted', async () => {
    const mallory = generateAdminKey()
    const { signature: _s, ...unsigned } = original
    await expectRefused(path, signStore(mallory, 'mallory', parseStoreKey(storeKey).dataKey, unsigned), storeKey, 'UNTRUSTED_ADMIN', /signed by "mallory", who is not one of its admins/)
  })
})

describe('3. a removed admin cannot fork the store after a rotation', () => {
  it('a fork by an admin without the current store key is refused, even with a valid admin signature', async () => {
    const { path, store: alice, storeKey: oldKey } = await makeStore(dir, { PW: 'pw-v1-bob-knows' })
    const bob = generateAdminKey()
    await alice.addAdmin('bob', formatPublicKey(bob.publicKey))
    const beforeRemoval = await readStore(path)
    await alice.removeAdmin('bob')
    const { storeKey: newKey } = await alice.rotate()
    const rotated = await readStore(path) // PW v1 re-encrypted under the new key, same version
    await alice.set('PW', 'pw-v2-after-bob-left')

    // Bob forks the revision from before his removal, claims the new key id with a
    // rotate entry of his own, and copies the new-key ciphertext of the value he knows.
    const last = beforeRemoval.audit.at(-1)!
    const records = Object.fromEntries([...rotated.secrets].map(([name, record]) => [name, secretRecordHash(record)]))
    const rotate = signAuditEntry(bob, { seq: last.seq + 1, at: last.at, admin: 'bob', action: 'rotate', keyId: rotated.keyId, records, readers: {}, prev: entryHash(last) })
    const forked = { ...beforeRemoval, keyId: rotated.keyId, revision: rotate.seq, secrets: rotated.secrets, audit: [...beforeRemoval.audit, rotate] }
    const { signature: _s, ...unsigned } = forked
    // He can sign, but can only seal it with the old key he still has.
    await expectRefused(path, signStore(bob, 'bob', parseStoreKey(oldKey).dataKey, unsigned), newKey, 'UNTRUSTED_ADMIN', /signed by "bob" without the current store key/)
  })
})

describe('4 and 9. every damage is a specific SecretsError, never a wrong value', () => {
  let path: string
  let storeKey: string
  let adminKey: string
  let text: string
  let older: StoreFile
  beforeAll(async () => {
    const made = await makeStore(dir, ORIGINAL)
    ;({ path, storeKey, adminKey } = made)
    older = await readStore(path)
    await made.store.set('ALPHA', 'alpha-value-2')
    text = await readFile(path, 'utf8')
  })

  it('flipping the low bit of any byte is refused', async () => {
    const bytes = Buffer.from(text)
    const codes = new Set<string>()
    for (let i = 0; i < bytes.length; i++) {
      const damaged = Buffer.from(bytes)
      damaged[i]! ^= 0x01
      const result = await openText(path, damaged, storeKey)
      expect(result, `byte ${i} (${JSON.stringify(text[i])})`).toHaveProperty('code')
      codes.add((result as { code: string }).code)
    }
    expect([...codes].sort()).toEqual(['KEY_INVALID', 'STORE_MALFORMED', 'STORE_TAMPERED', 'STORE_UNSUPPORTED', 'UNTRUSTED_ADMIN', 'WRONG_KEY'].filter(code => codes.has(code)))
    expect(codes.has('STORE_TAMPERED')).toBe(true)
    expect(codes.has('STORE_MALFORMED')).toBe(true)
  }, 120_000)

  it('a file truncated at any offset is refused as malformed (half-written)', async () => {
    const bytes = Buffer.from(text)
    const content = text.trimEnd().length
    for (let length = 0; length < bytes.length; length++) {
      const result = await openText(path, bytes.subarray(0, length), storeKey)
      if (length >= content) expect(result).toEqual({ values: { ...ORIGINAL, ALPHA: 'alpha-value-2' } })
      else expect(result, `length ${length}`).toMatchObject({ code: 'STORE_MALFORMED' })
    }
    const result = await openText(path, bytes.subarray(0, 200), storeKey)
    expect((result as { message: string }).message).toMatch(/ends before its JSON is complete \(truncated or half-written\)/)
  }, 60_000)

  it('names the line and column of a JSON syntax error, and never prints file content', async () => {
    const broken = text.replace('"revision": ', '"revision" ')
    const result = await openText(path, broken, storeKey) as { code: string, message: string }
    expect(result.code).toBe('STORE_MALFORMED')
    expect(result.message).toMatch(/secrets\.enc\.json:4:14: the store is not valid JSON/)
    const conflict = text.replace('  "secrets": {', '<<<<<<< HEAD\n  "secrets": {')
    expect(await openText(path, conflict, storeKey)).toMatchObject({ code: 'STORE_MALFORMED', message: expect.stringMatching(/merge conflict/) })
  })

  it('refuses swapped, deleted, replayed and spliced entries', async () => {
    const current = parseStoreFile(text, path)
    const swap = new Map(current.secrets)
    swap.set('ALPHA', current.secrets.get('BETA')!)
    swap.set('BETA', current.secrets.get('ALPHA')!)
    await expectRefused(path, { ...current, secrets: swap }, storeKey, 'STORE_TAMPERED', /signature/)

    const deleted = new Map(current.secrets)
    deleted.delete('GAMMA')
    await expectRefused(path, { ...current, secrets: deleted }, storeKey, 'STORE_TAMPERED', /signature/)

    const audit = [...current.audit]
    ;[audit[1], audit[2]] = [audit[2]!, audit[1]!]
    await expectRefused(path, { ...current, audit }, storeKey, 'STORE_TAMPERED', /audit trail is broken at entry 2/)
    await expectRefused(path, { ...current, audit: current.audit.filter(e => e.seq !== 3) }, storeKey, 'STORE_TAMPERED', /audit trail is broken at entry 3/)

    const replayed = new Map(current.secrets)
    replayed.set('ALPHA', older.secrets.get('ALPHA')!)
    await expectRefused(path, { ...current, secrets: replayed }, storeKey, 'STORE_TAMPERED', /signature/)

    // Secrets of the newer version with the audit trail and signature of the older one.
    await expectRefused(path, { ...older, secrets: current.secrets }, storeKey, 'STORE_TAMPERED', /spliced/)
    await expectRefused(path, { ...current, audit: older.audit }, storeKey, 'STORE_TAMPERED', /signature/)
    await expectRefused(path, { ...current, revision: current.revision + 1 }, storeKey, 'STORE_TAMPERED', /signature/)
  })

  it('an old but validly signed file is refused on a machine that saw the newer one; a fresh machine opens it (verify --base is for those)', async () => {
    const result = await openText(path, serializeStoreFile(older), storeKey)
    expect(result).toMatchObject({ code: 'STORE_ROLLBACK' })
    expect((result as { message: string }).message).toMatch(new RegExp(`seen revision ${older.revision + 1} .*went back to revision ${older.revision} .*accept-rollback`))
    const keyDir = process.env.UNPLUGIN_SECRETS_KEY_DIR
    process.env.UNPLUGIN_SECRETS_KEY_DIR = join(dir, 'fresh-machine')
    try {
      expect(await openText(path, serializeStoreFile(older), storeKey)).toEqual({ values: ORIGINAL })
    }
    finally {
      process.env.UNPLUGIN_SECRETS_KEY_DIR = keyDir
    }
  })

  it('re-formatting the JSON keeps the signature valid; any change of content does not', async () => {
    const json = JSON.parse(text)
    const reversed = (value: unknown): unknown => Array.isArray(value)
      ? value.map(reversed)
      : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)])) : value
    const expected = { values: { ...ORIGINAL, ALPHA: 'alpha-value-2' } }
    for (const variant of [
      JSON.stringify(json, null, 4),
      JSON.stringify(json),
      JSON.stringify(json, null, '\t').replace(/\n/g, '\r\n'),
      JSON.stringify(reversed(json), null, 2),
      `\n\n${text}\n\n`,
    ]) {
      expect(await openText(path, variant, storeKey)).toEqual(expected)
    }
    const described = structuredClone(json)
    described.secrets.ALPHA.description = 'changed by hand'
    expect(await openText(path, JSON.stringify(described, null, 2), storeKey)).toMatchObject({ code: 'STORE_TAMPERED' })
  })

  it('rejects duplicate keys (unsigned text before the signed one), accepts a byte order mark', async () => {
    const fake = text.replace('  "admins": {', '  "admins": {"mallory": {"publicKey": "x", "addedAt": "2026-01-01T00:00:00Z", "addedBy": "mallory"}},\n  "admins": {')
    expect(await openText(path, fake, storeKey)).toMatchObject({ code: 'STORE_MALFORMED', message: expect.stringMatching(/secrets\.enc\.json:7:3: the key "admins" appears twice in one object/) })
    // Spelled with escapes, deeper down, after strings holding quotes, braces and colons.
    const escaped = text.replace(/"ALPHA": \{\n(\s*)/, '"ALPHA": {\n$1"x-note": "a \\"}{: \\\\", "vers\\u0069on": 0,\n$1')
    expect(await openText(path, escaped, storeKey)).toMatchObject({ code: 'STORE_MALFORMED', message: expect.stringMatching(/the key "version" appears twice in one object/) })
    expect(await openText(path, `\uFEFF${text}`, storeKey)).toEqual({ values: { ...ORIGINAL, ALPHA: 'alpha-value-2' } })
  })

  it('a malformed public key in the file is an untrusted store, not a key typo', async () => {
    const file = parseStoreFile(text, path)
    file.admins.set('alice', { ...file.admins.get('alice')!, publicKey: 'usec_pub_junk' })
    await expectRefused(path, file, storeKey, 'UNTRUSTED_ADMIN', /admin list differs/)
    const junkGenesis = parseStoreFile(text, path)
    junkGenesis.audit[0] = { ...junkGenesis.audit[0]!, publicKey: 'usec_pub_\u001B]0;pwned\u0007' }
    const result = await openText(path, serializeStoreFile(junkGenesis), storeKey)
    expect(result).toHaveProperty('code')
    expect((result as { code: string }).code).not.toBe('KEY_INVALID')
  })

  it('rejects a file that is not a store, or from a newer format, with what to do', async () => {
    expect(await openText(path, '[]', storeKey)).toMatchObject({ code: 'STORE_MALFORMED', message: expect.stringMatching(/the file must be an object/) })
    expect(await openText(path, JSON.stringify({ ...JSON.parse(text), format: 'unplugin-secrets/v9' }), storeKey)).toMatchObject({ code: 'STORE_UNSUPPORTED', message: expect.stringMatching(/Upgrade unplugin-secrets/) })
    expect(await openText(path, JSON.stringify({ ...JSON.parse(text), extra: 1 }), storeKey)).toMatchObject({ code: 'STORE_MALFORMED', message: expect.stringMatching(/the file\["extra"\] is not a field/) })
    const noVersion = JSON.parse(text)
    delete noVersion.secrets.BETA.version
    expect(await openText(path, JSON.stringify(noVersion), storeKey)).toMatchObject({ code: 'STORE_MALFORMED', message: expect.stringMatching(/secrets\.BETA\.version is missing/) })
  })

  it('10. a write through an open store re-verifies the file first and changes nothing when it was tampered', async () => {
    await writeFile(path, text)
    const store = await openStore({ path, key: storeKey, adminKey })
    const tampered = text.replace('"description": "BETA for tests"', '"description": "BETA for tesTs"')
    await writeFile(path, tampered)
    await expect(store.set('NEW', 'value')).rejects.toMatchObject({ code: 'STORE_TAMPERED' })
    await expect(store.reload()).rejects.toMatchObject({ code: 'STORE_TAMPERED' })
    expect(await readFile(path, 'utf8')).toBe(tampered)
    // A legitimate admin re-signing a damaged ciphertext still never yields a wrong value.
    const file = parseStoreFile(text, path)
    const value = file.secrets.get('GAMMA')!.value
    const bad = Buffer.from(value, 'base64')
    bad[30]! ^= 1
    file.secrets.set('GAMMA', { ...file.secrets.get('GAMMA')!, value: bad.toString('base64') })
    await writeStore(path, resign(file, adminKey, store.exportKey()))
    // Format v2: the audit entry that wrote GAMMA signed its record, so the re-signed file does not even open.
    await expect(openStore({ path, key: storeKey })).rejects.toMatchObject({ code: 'STORE_TAMPERED', message: expect.stringMatching(/secret GAMMA's value or description is not the one its last audit entry signed/) })
  })
})
