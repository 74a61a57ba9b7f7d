/**
 * Which referenced names each environment's store has (`check --env all`, the
 * dashboard's table): names are plain text in a store file, so no key is needed.
 */
import { readTextFile } from './store/files'
import { parseStoreFile } from './store/format'
import type { EnvironmentStore } from './store/locate'
import { storeNotFound } from './store/locate'

/** Referenced names × environments. */
export interface Coverage {
  environments: string[]
  /** Every referenced name, sorted, and whether each environment's store has it (in the order of `environments`). */
  rows: { name: string, present: boolean[] }[]
}

/** The names in a store file, read without a key (so not verified: a forged name only shows up as present). */
export async function storeNames(path: string): Promise<Set<string>> {
  const text = await readTextFile(path)
  if (text === undefined) throw storeNotFound(path)
  return new Set(parseStoreFile(text, path).secrets.keys())
}

export async function environmentCoverage(referenced: Iterable<string>, stores: EnvironmentStore[]): Promise<Coverage> {
  const names = await Promise.all(stores.map(store => storeNames(store.path)))
  const rows = [...new Set(referenced)].sort().map(name => ({ name, present: names.map(inStore => inStore.has(name)) }))
  return { environments: stores.map(store => store.environment), rows }
}

/** The (name, environment) pairs missing, as `NAME in production`. */
export const missingPairs = ({ environments, rows }: Coverage): string[] =>
  rows.flatMap(({ name, present }) =>
    environments.filter((_, i) => !present[i]).map(environment => `${name} in ${environment}`))
