import { openStore } from '../../core/store/store'
import type { Command } from '../command'
import { note, printBlock, table } from '../io'

export const list: Command = {
  name: 'list',
  summary: 'list secret names and metadata (never values)',
  usage: 'list [--json]',
  details: '  --json   print a JSON array of { name, version, createdAt, updatedAt, updatedBy, description }',
  example: 'unplugin-secrets list --json',
  options: { json: { type: 'boolean' } },
  positionals: [0, 0],
  async run({ storePath, values }) {
    const store = await openStore({ path: storePath })
    const secrets = store.list()
    if (values.json) return printBlock(JSON.stringify(secrets, null, 2))
    if (secrets.length === 0) return note(`No secrets in ${store.path} yet. Add one with: unplugin-secrets set NAME`)
    printBlock(table([
      ['NAME', 'VERSION', 'UPDATED', 'BY', 'DESCRIPTION'],
      ...secrets.map(s => [s.name, String(s.version), s.updatedAt, s.updatedBy, s.description ?? '']),
    ]))
  },
}
