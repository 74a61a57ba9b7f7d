import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createStore } from '../../src/core/store/store'
import { parseStoreFile, serializeStoreFile } from '../../src/core/store/format'
import type { StoreFile } from '../../src/core/store/format'
import { parseAdminKey, parseStoreKey } from '../../src/core/store/keys'
import { signStore } from '../../src/core/store/trust'

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
