/**
 * What a refused merge says: which side, which name, what each side did and
 * how to finish. Kept together so the merge logic reads as logic.
 */
import { SecretsError } from '../errors'
import type { StoreFile } from './format'
import { describeChange } from './history'
import { keyFilePath } from './keyfile'

export type SideName = 'ours' | 'theirs'

/** One collision: a name (or the store key) both sides changed in ways that cannot both hold. */
export interface ConflictReport {
  what: 'secret' | 'admin' | 'reader' | 'key'
  name: string
  /** What each side did since the base, e.g. "updated to version 3 (bob, 2025-…)": never a value. */
  ours: string
  theirs: string
}

/** How each kind of collision is settled. */
export const SETTLE: Record<ConflictReport['what'], string> = {
  secret: 'choose a side for each secret (--ours NAME or --theirs NAME) and merge again; '
    + 'to keep another value, choose either and set it after the merge',
  admin: 'an admin change cannot be chosen per side: '
    + 'undo it on one branch (unplugin-secrets admins add or remove), then merge again',
  reader: 'a reader change cannot be chosen per side: '
    + 'undo it on one branch (unplugin-secrets readers add or remove), then merge again',
  key: 'two rotations cannot be joined: keep one side as it is (git checkout --ours FILE or --theirs FILE) '
    + 'and set the other side\'s changes again there',
}

/** The merge stopped on collisions; `conflicts` lists them for a caller that prints them one per line. */
export class MergeConflict extends SecretsError {
  constructor(readonly path: string, readonly conflicts: ConflictReport[]) {
    const listed = conflicts.map(c => `${c.what} ${c.name} (ours: ${c.ours}; theirs: ${c.theirs})`).join(', ')
    const settle = [...new Set(conflicts.map(c => SETTLE[c.what]))].join('; ')
    super(
      'MERGE_CONFLICT',
      `${path}: both sides changed ${listed}, so nothing was merged and your side is unchanged. To finish: ${settle}.`,
    )
  }
}

export const mergeConflict = (path: string, conflicts: ConflictReport[]): MergeConflict =>
  new MergeConflict(path, conflicts)

export function notOneStore(
  options: { ours: { label: string }, theirs: { label: string } },
  ours: StoreFile,
  theirs: StoreFile,
): SecretsError {
  const why = ours.id === theirs.id
    ? `the same id ${ours.id} but different first admins (one was re-created by hand)`
    : `store ids ${ours.id} and ${theirs.id}`
  return new SecretsError('MERGE_UNRELATED', [
    `${options.ours.label} and ${options.theirs.label} are not versions of one store:`,
    `they have ${why}. Nothing was merged.`,
    'A store is replaced only on purpose:',
    'keep one side (git checkout --ours FILE or --theirs FILE) and set the other side\'s secrets again there.',
  ].join(' '))
}

export function droppedHistory(label: string, baseLabel: string, base: StoreFile): SecretsError {
  return new SecretsError('STORE_ROLLBACK', [
    `${label} does not contain the newest change of the merge base ${baseLabel} (revision ${base.revision},`,
    `${describeChange(base.audit.at(-1)!)}):`,
    'that side went back (a revert, or a store conflict resolved by hand). Nothing was merged.',
    'Put that side\'s store back to a version that extends the base (git log -p -- FILE), commit it, then merge again.',
  ].join(' '))
}

export function adminMissing(path: string, storeId: string): SecretsError {
  return new SecretsError('ADMIN_REQUIRED', [
    `Merging ${path} signs a merge entry, which needs your admin key;`,
    `none was found (UNPLUGIN_SECRETS_ADMIN_KEY, or the key file ${keyFilePath(storeId)}). Nothing was merged.`,
    'Import it once with: unplugin-secrets key import --admin (or set UNPLUGIN_SECRETS_ADMIN_KEY), then merge again.',
  ].join(' '))
}

export function notAdminOfMerge(path: string, publicKey: string): SecretsError {
  return new SecretsError('NOT_ADMIN', [
    `Your admin key (public key ${publicKey}) is not an admin of the merged ${path} (removed on one side,`,
    'or never added), so it cannot sign the merge. Nothing was merged.',
    'Have an admin of the merged store run the merge,',
    `or ask one to add you: unplugin-secrets admins add <your-name> --public-key ${publicKey}`,
  ].join(' '))
}

interface KeyUser {
  label: string
  file: StoreFile
}

/** Which side uses a key id, and since when: "the key secrets.enc.json (theirs) uses since bob rotated it at …". */
function keyOwner(keyId: string, sides: Record<SideName, KeyUser>): string {
  const side = [sides.ours, sides.theirs].find(s => s.file.keyId === keyId)
  const rotation = side?.file.audit.findLast(entry => entry.action === 'rotate' && entry.keyId === keyId)
  if (!side) return 'its store key'
  return `the key ${side.label} uses${rotation ? ` since ${rotation.admin} rotated it at ${rotation.at}` : ''}`
}

/** `missing`: each key id not held, with the values it must re-encrypt (none: the merged key, which seals). */
export function keysMissing(
  path: string,
  missing: [string, string[]][],
  sides: Record<SideName, KeyUser>,
): SecretsError {
  const needs = missing.map(([keyId, values]) =>
    [
      `store key ${keyId}`,
      `(${values.length ? `to re-encrypt ${values.join(', ')}` : `${keyOwner(keyId, sides)}, to seal the result`})`,
    ].join(' '))
  const ids = missing.map(([keyId]) => keyId).join(' and ')
  return new SecretsError('KEY_MISSING', [
    `Merging ${path} needs ${needs.join(' and ')},`,
    'which neither UNPLUGIN_SECRETS_KEY nor your key file holds. Nothing was merged.',
    `Get it from an admin (unplugin-secrets key export, on a checkout whose store uses key ${ids}),`,
    'import it on such a checkout with unplugin-secrets key import, then merge again.',
  ].join(' '))
}

export const undecryptable = (label: string, name: string): SecretsError =>
  new SecretsError('STORE_TAMPERED', [
    `${label}: the value of ${name} does not decrypt (its ciphertext was damaged,`,
    `or moved from another name or version), so it cannot be merged. Have an admin set ${name} again on that side.`,
  ].join(' '))

export const noAdminLeft = (path: string, admins: string[]): SecretsError =>
  new SecretsError('MERGE_CONFLICT', [
    `${path}: each side removed admins the other kept (${admins.join(', ')}), so the merge would leave no admin.`,
    'Nothing was merged. Add an admin back on one side, then merge again.',
  ].join(' '))

/** The merged file did not pass the checks a reader makes: a bug, and nothing is written. */
export function mergedCheckFailed(error: unknown): unknown {
  if (!(error instanceof SecretsError)) return error
  return new SecretsError(
    error.code,
    `The merged store failed its own check, so nothing was written (please report this): ${error.message}`,
    { cause: error },
  )
}
