/**
 * `verify`: check signatures, the audit trail and every ciphertext; with `--base`, that the
 * store extends a git ref.
 */
import { SecretsError } from '../../core/errors'
import { readTextFile } from '../../core/store/files'
import { storeNotFound } from '../../core/store/locate'
import { parseStoreFile } from '../../core/store/format'
import { assertExtends, assertSameStore } from '../../core/store/lineage'
import { openStore } from '../../core/store/store'
import { verifyWithoutKey } from '../../core/store/trust'
import type { VerifyReport } from '../../core/store/store'
import type { Command } from '../command'
import { readAtRef } from '../git'
import { note, print, printBlock } from '../io'

export const verify: Command = {
  name: 'verify',
  summary: 'check signatures, the audit trail and every ciphertext; with --base, that the store extends a git ref',
  usage: 'verify [--base REF] [--json]',
  details: [
    '  --base REF   also check that the store extends the one committed at REF (for',
    '               example origin/main): the same store, with REF\'s newest change',
    '               in its history. The pull-request check: it fails on a revert, a',
    '               merge that dropped a side, a hand-made resolution, a replaced store.',
    '               Without a store key it checks everything but the seal and the',
    '               ciphertexts (pull requests from forks get no secrets).',
    '  --json       print { path, id, revision, keyId, secrets, admins, lastChange }',
    '',
    '  Exit 0 when the store is intact, 1 with the problem otherwise. This machine',
    '  also refuses a store older than one it has seen (STORE_ROLLBACK); a fresh',
    '  machine cannot know, so CI runs verify --base.',
  ].join('\n'),
  example: 'unplugin-secrets verify --base origin/main',
  options: { json: { type: 'boolean' }, base: { type: 'string' } },
  positionals: [0, 0],
  async run({ storePath, values }) {
    const report = typeof values.base === 'string'
      ? await verifyAgainst(storePath, values.base)
      : (await openStore({ path: storePath })).verify()
    if (values.json) return printBlock(JSON.stringify(report, null, 2))
    const last = report.lastChange
    print(`OK ${report.path} (store id ${report.id})`)
    print([
      `  revision ${report.revision},`,
      `${report.secrets} secret${report.secrets === 1 ? '' : 's'}, admins: ${report.admins.join(', ')}`,
    ].join(' '))
    print(
      `  last change: #${last.seq} ${last.action}${last.name ? ` ${last.name}` : ''} by ${last.admin} at ${last.at}`,
    )
  },
}

/** verify --base: the full check (or every keyless one) and the lineage against the committed version. */
async function verifyAgainst(storePath: string, ref: string): Promise<VerifyReport> {
  const text = await readTextFile(storePath)
  if (text === undefined) throw storeNotFound(storePath)
  const file = parseStoreFile(text, storePath)
  const baseText = readAtRef(ref, storePath)
  const base = baseText === undefined ? undefined : parseStoreFile(baseText, `${storePath} at ${ref}`)
  if (base) assertSameStore(base, `${storePath} at ${ref}`, file, storePath)
  let report: VerifyReport
  try {
    report = (await openStore({ path: storePath, readOnly: true })).verify()
  }
  catch (error) {
    if (!(error instanceof SecretsError && error.code === 'KEY_MISSING')) throw error
    report = keylessReport(storePath, file)
    note('No store key here: checked the history, every signature and every record, not the seal or the ciphertexts.')
  }
  // Keyless, this is the whole check; with a key it was done above and gives the trail.
  const trail = verifyWithoutKey(file, storePath)
  if (base) assertExtends(base, `${storePath} at ${ref}`, file, trail, storePath)
  else note(`${ref} has no store at this path: this change adds it, so nothing vouches for its first admin.`)
  return report
}

function keylessReport(path: string, file: ReturnType<typeof parseStoreFile>): VerifyReport {
  const { seq, at, admin, action, name } = file.audit.at(-1)!
  return {
    path,
    id: file.id,
    revision: file.revision,
    keyId: file.keyId,
    secrets: file.secrets.size,
    admins: [...file.admins.keys()].sort(),
    lastChange: { seq, at, admin, action, ...(name === undefined ? {} : { name }) },
  }
}
