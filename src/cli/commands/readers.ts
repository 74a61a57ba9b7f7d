/** `readers`: list, add or remove readers, people who open the store with their own age key. */
import { openStore } from '../../core/store/store'
import type { Command } from '../command'
import { usageError } from '../command'
import { note, printBlock, table } from '../io'

const SUBCOMMANDS = ['list', 'add', 'rm'] as const

export const readers: Command = {
  name: 'readers',
  summary: 'list, add or remove readers: people who open the store with their own age key',
  usage: 'readers list | readers add NAME RECIPIENT | readers rm NAME',
  details: [
    '  list                  readers with their recipients',
    '  add NAME RECIPIENT    make NAME a reader: RECIPIENT is their age recipient (age1…, from',
    '                        unplugin-secrets identity new or age-keygen) or their SSH ed25519',
    '                        public key ("ssh-ed25519 AAAA…", quoted). Signed by you and',
    '                        recorded in the audit trail; the store key goes into the store,',
    '                        encrypted to them.',
    '  rm NAME               take NAME\'s entry out. They keep what they could read: run rotate',
    '                        next, and rotate the credentials they could see.',
  ].join('\n'),
  example: 'unplugin-secrets readers add bob age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
  options: {},
  positionals: [1, 3],
  async run({ storePath, positionals }) {
    const [sub, name, recipient] = positionals as [string, string | undefined, string | undefined]
    if (!SUBCOMMANDS.includes(sub as typeof SUBCOMMANDS[number]))
      throw usageError(`Unknown readers command: use ${SUBCOMMANDS.join(', ')}.`, 'readers')
    const arity = { list: 1, add: 3, rm: 2 }[sub as typeof SUBCOMMANDS[number]]
    if (positionals.length !== arity) {
      throw usageError(
        sub === 'list'
          ? 'readers list takes no arguments.'
          : sub === 'add'
            ? 'readers add needs NAME and RECIPIENT (quote an SSH key line).'
            : 'readers rm needs the reader\'s NAME.',
        'readers',
      )
    }

    const store = await openStore({ path: storePath, readOnly: sub === 'list' })
    if (sub === 'list') {
      const rows = store.readers()
      if (rows.length === 0) {
        return note([
          'No readers: everyone reads with the shared store key.',
          'Add one with: unplugin-secrets readers add NAME RECIPIENT',
        ].join(' '))
      }
      return printBlock(
        table([['NAME', 'ADDED', 'BY', 'RECIPIENT'], ...rows.map(r => [r.name, r.addedAt, r.addedBy, r.recipient])]),
      )
    }
    if (sub === 'add') {
      await store.addReader(name!, recipient!)
      return note([
        `Added reader ${name}. Commit the store; ${name} opens it with their own identity`,
        '(UNPLUGIN_SECRETS_AGE_KEY_FILE, UNPLUGIN_SECRETS_AGE_KEY, or the file unplugin-secrets identity new made).',
      ].join(' '))
    }
    await store.removeReader(name!)
    note([
      `Removed reader ${name}.`,
      'Their identity still opens older revisions and the current store key: run unplugin-secrets rotate now.',
    ].join(' '))
  },
}
