/** `admins`: list, add or remove the admins who sign the store, and make your own admin key. */
import { SecretsError } from '../../core/errors'
import { formatAdminKey, formatPublicKey, generateAdminKey } from '../../core/store/keys'
import { keyFilePath, readKeyFile, updateKeyFile } from '../../core/store/keyfile'
import { openStore } from '../../core/store/store'
import type { Command } from '../command'
import { usageError } from '../command'
import { note, print, printBlock, table } from '../io'

const SUBCOMMANDS = ['list', 'add', 'remove', 'keygen'] as const

export const admins: Command = {
  name: 'admins',
  summary: 'list, add or remove admins; make your own admin key',
  usage: 'admins list | admins add NAME --public-key KEY | admins remove NAME | admins keygen [--force]',
  details: [
    '  list                          admins with their public keys',
    '  add NAME --public-key KEY     make NAME an admin (signed by you, recorded in the audit trail)',
    '  remove NAME                   take NAME\'s admin rights away (the last admin cannot be removed)',
    '  keygen [--force]              make an admin key for yourself in your key file and print its',
    '                                public key, for a current admin to add',
    '',
    '  Removing an admin does not stop them reading: run rotate afterwards, and',
    '  rotate the credentials they could see.',
  ].join('\n'),
  example: 'unplugin-secrets admins add bob --public-key usec_pub_…',
  options: { 'public-key': { type: 'string' }, 'force': { type: 'boolean' } },
  positionals: [1, 2],
  async run({ storePath, positionals, values }) {
    const [sub, name] = positionals as [string, string | undefined]
    if (!SUBCOMMANDS.includes(sub as typeof SUBCOMMANDS[number]))
      throw usageError(`Unknown admins command "${sub}": use ${SUBCOMMANDS.join(', ')}.`, 'admins')
    const needsName = sub === 'add' || sub === 'remove'
    if (needsName !== (name !== undefined))
      throw usageError(needsName ? `admins ${sub} needs the admin's NAME.` : `admins ${sub} takes no NAME.`, 'admins')
    if ((values['public-key'] !== undefined) !== (sub === 'add')) {
      throw usageError(sub === 'add'
        ? [
            'admins add needs --public-key KEY:',
            'the new admin runs unplugin-secrets admins keygen and sends you the public key it prints.',
          ].join(' ')
        : '--public-key belongs to admins add.', 'admins')
    }

    const store = await openStore({ path: storePath })
    if (sub === 'list') {
      const me = store.admin
      printBlock(
        table([
          ['NAME', 'ADDED', 'BY', 'PUBLIC KEY'],
          ...store.admins().map(a => [a.name + (a.name === me ? ' (you)' : ''), a.addedAt, a.addedBy, a.publicKey]),
        ]),
      )
    }
    else if (sub === 'add') {
      await store.addAdmin(name!, values['public-key'] as string)
      note(`Added admin ${name}. Commit the store; ${name} also needs the store key (unplugin-secrets key export).`)
    }
    else if (sub === 'remove') {
      await store.removeAdmin(name!)
      note(`Removed admin ${name}. They can still read with the store key they have: run unplugin-secrets rotate.`)
    }
    else {
      if ((await readKeyFile(store.id))?.adminKey && !values.force) {
        throw new SecretsError('ADMIN_EXISTS', [
          `Your key file ${keyFilePath(store.id)} already holds an admin key for this store.`,
          'Pass --force to replace it (an admin must then add the new public key).',
        ].join(' '))
      }
      const key = generateAdminKey()
      await updateKeyFile(store.id, keys => ({ ...keys, adminKey: formatAdminKey(key) }))
      print(formatPublicKey(key.publicKey))
      note(`Saved your new admin key to ${keyFilePath(store.id)}. Send the public key above to an admin, who runs:`)
      note(`  unplugin-secrets admins add <your-name> --public-key ${formatPublicKey(key.publicKey)}`)
    }
  },
}
