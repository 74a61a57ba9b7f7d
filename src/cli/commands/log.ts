/** `log`: the audit trail, who did what to which name and when. */
import { openStore } from '../../core/store/store'
import type { Command } from '../command'
import { printBlock, table } from '../io'

export const log: Command = {
  name: 'log',
  summary: 'print the audit trail: who did what to which name, and when',
  usage: 'log [--json]',
  details: '  --json   print a JSON array of { seq, at, admin, action, name }',
  example: 'unplugin-secrets log',
  options: { json: { type: 'boolean' } },
  positionals: [0, 0],
  async run({ storePath, values }) {
    const store = await openStore({ path: storePath })
    const entries = store.log()
    if (values.json) return printBlock(JSON.stringify(entries, null, 2))
    printBlock(
      table([
        ['SEQ', 'AT', 'ADMIN', 'ACTION', 'NAME'],
        ...entries.map(e => [String(e.seq), e.at, e.admin, e.action, e.name ?? '']),
      ]),
    )
  },
}
