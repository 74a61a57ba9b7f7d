/**
 * Whether one version of a store descends from another: the same store (id
 * and genesis entry) and the older version's newest entry in the newer one's
 * trail. What the pull-request check and the merge of two branches rely on.
 */
import { SecretsError } from '../errors'
import type { StoreFile } from './format'
import { canonicalEntry } from './format'
import { describeChange } from './history'
import type { Trail } from './replay'
import { buildTrail } from './replay'

/** The same store: same id and the same genesis entry (so the same trust root). */
export const sameStore = (a: StoreFile, b: StoreFile): boolean =>
  a.id === b.id && canonicalEntry(a.audit[0]!) === canonicalEntry(b.audit[0]!)

export function assertSameStore(base: StoreFile, baseLabel: string, file: StoreFile, path: string): void {
  if (!sameStore(base, file)) {
    const what = base.id === file.id
      ? 'the same id but another first admin (a store re-created by hand)'
      : `store id ${file.id}, not ${base.id}`
    throw new SecretsError('STORE_TAMPERED', [
      `${path} is not the store ${baseLabel} has: it has ${what}.`,
      `A store is replaced only on purpose: restore it (git checkout ${baseLabel.replace(/^.* at /, '')} -- ${path}),`,
      'or review the change that replaced it.',
    ].join(' '))
  }
}

/** Throws STORE_ROLLBACK unless `file` (whose trail is given) contains the newest entry of `base`. */
export function assertExtends(
  base: StoreFile,
  baseLabel: string,
  file: StoreFile,
  trail: Trail,
  path: string,
): void {
  assertSameStore(base, baseLabel, file, path)
  const baseTrail = buildTrail(base, baseLabel, new Map())
  if (trail.has(baseTrail.head)) return
  throw new SecretsError('STORE_ROLLBACK', [
    `${path} does not extend ${baseLabel}:`,
    `its newest change there (revision ${base.revision}, ${describeChange(base.audit.at(-1)!)}) is missing here`,
    `(this file is at revision ${file.revision}, ${describeChange(file.audit.at(-1)!)}).`,
    'A revert, a merge that dropped one side, or a conflict resolved by hand?',
    'Merge store files with unplugin-secrets merge (unplugin-secrets git setup makes git use it),',
    'then push the result.',
  ].join(' '))
}
