import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { createStore } from '../../src/core/store/store'
import { parseStoreFile, secretRecordHash, serializeStoreFile } from '../../src/core/store/format'
import type { StoreFile } from '../../src/core/store/format'
import { acceptRevision, lineOf, seenRevision } from '../../src/core/store/history'
import { parseAdminKey, parseStoreKey } from '../../src/core/store/keys'
import { buildTrail } from '../../src/core/store/replay'
import { entryHash, signAuditEntry, signStore } from '../../src/core/store/trust'

let counter = 0

/** A store with three secrets, opened with its admin key. */
export async function makeStore(dir: string, values: Record<string, string> = { ALPHA: 'alpha-value-1', BETA: 'beta-value-2', GAMMA: 'gamma-value-3' }) {
  const path = join(dir, `store-${++counter}`, 'secrets.enc.json')
  const created = await createStore({ path, admin: 'alice' })
  for (const [name, value] of Object.entries(values)) await created.store.set(name, value, { description: `${name} for tests` })
  return { path, ...created }
}

export const readStore = async (path: string): Promise<StoreFile> => parseStoreFile(await readFile(path, 'utf8'), path)

export const writeStore = (path: string, file: StoreFile): Promise<void> => writeFile(path, serializeStoreFile(file))

/** Re-signs a (modified) store file as a legitimate admin's tool would: admin key and store key. */
export function resign(file: StoreFile, adminKey: string, storeKey: string, admin = 'alice'): StoreFile {
  const { signature: _signature, ...unsigned } = file
  return signStore(parseAdminKey(adminKey), admin, parseStoreKey(storeKey).dataKey, unsigned)
}

/** A copy of the store written by unplugin-secrets 0.1.0 (format v1), with its keys. */
export async function copyV1Store(dir: string) {
  const fixture = join(import.meta.dirname, '../fixtures/store-v1')
  const path = join(dir, `store-${++counter}`, 'secrets.enc.json')
  await mkdir(dirname(path), { recursive: true })
  await copyFile(join(fixture, 'secrets.enc.json'), path)
  const keys = JSON.parse(await readFile(join(fixture, 'keys.json'), 'utf8')) as { storeKey: string, adminKey: string, retiredStoreKey: string }
  return { path, keys }
}

/**
 * Test set-up only: makes `name` look last set `days` ago, as an admin
 * rewriting history would: its record and the entry that wrote it get the
 * old date, every later entry is re-chained and re-signed by `admin`, the file
 * re-sealed, and the result accepted in this machine's rollback memory.
 */
export async function backdateSecret(path: string, name: string, days: number, adminKey: string, storeKey: string, admin: string): Promise<void> {
  const file = await readStore(path)
  const at = new Date(Date.now() - days * 86_400_000).toISOString()
  const record = { ...file.secrets.get(name)!, updatedAt: at }
  if (record.version === 1) record.createdAt = at
  file.secrets.set(name, record)
  const key = parseAdminKey(adminKey)
  const last = file.audit.findLastIndex(entry => entry.name === name && (entry.action === 'create' || entry.action === 'update'))
  for (let i = last; i < file.audit.length; i++) {
    const { sig: _sig, ...entry } = file.audit[i]!
    if (i === last) Object.assign(entry, { at, record: secretRecordHash(record) })
    if (entry.records?.[name]) entry.records = { ...entry.records, [name]: secretRecordHash(record) }
    entry.prev = entryHash(file.audit[i - 1]!)
    file.audit[i] = signAuditEntry(key, { ...entry, admin })
  }
  await writeStore(path, resign(file, adminKey, storeKey, admin))
  const line = lineOf(path)
  if (line) acceptRevision(file.id, line, seenRevision(file, buildTrail(file, path, new Map())))
}
