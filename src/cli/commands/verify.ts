import { openStore } from '../../core/store/store'
import type { Command } from '../command'
import { print, printBlock } from '../io'

export const verify: Command = {
  name: 'verify',
  summary: 'check signatures, the audit chain and every ciphertext; print the revision',
  usage: 'verify [--json]',
  details: [
    '  --json   print { path, id, revision, keyId, secrets, admins, lastChange }',
    '',
    '  Exit 0 when the store is intact, 1 with the problem otherwise. A whole file',
    '  replaced by an older signed version still verifies: compare the revision',
    '  and last change with what you expect (and review store changes in git).',
  ].join('\n'),
  example: 'unplugin-secrets verify',
  options: { json: { type: 'boolean' } },
  positionals: [0, 0],
  async run({ storePath, values }) {
    const store = await openStore({ path: storePath })
    const report = store.verify()
    if (values.json) return printBlock(JSON.stringify(report, null, 2))
    const last = report.lastChange
    print(`OK ${report.path} (store id ${report.id})`)
    print(`  revision ${report.revision}, ${report.secrets} secret${report.secrets === 1 ? '' : 's'}, admins: ${report.admins.join(', ')}`)
    print(`  last change: #${last.seq} ${last.action}${last.name ? ` ${last.name}` : ''} by ${last.admin} at ${last.at}`)
  },
}
