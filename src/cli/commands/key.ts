/** `key`: export the store key (for CI) or your admin key, import a key into your key file, show its path. */
import { SecretsError } from '../../core/errors'
import { parseStoreFile } from '../../core/store/format'
import { readTextFile } from '../../core/store/files'
import { storeNotFound } from '../../core/store/locate'
import { formatAdminKey, formatPublicKey, formatStoreKey, parseAdminKey, parseStoreKey } from '../../core/store/keys'
import { keyFilePath, updateKeyFile, withStoreKey } from '../../core/store/keyfile'
import { openStore } from '../../core/store/store'
import { verifyStore } from '../../core/store/trust'
import type { Command } from '../command'
import { usageError } from '../command'
import { dropOneNewline, note, print, promptHidden, readStdinText } from '../io'

const SUBCOMMANDS = ['export', 'import', 'path'] as const

/** Shown on a terminal only, on stderr: a pipe or a log gets the key alone. */
const STORE_KEY_WARNING = 'This is the store key: anyone who has it can read every secret. '
  + 'Keep it in a CI secret, not in a file in the repository.'
const ADMIN_KEY_WARNING = (admin: string) => [
  `This is the admin key of ${admin}: anyone who has it can change every secret and the admin list.`,
  'Paste it into the dashboard\'s sign-in form, or into key import --admin on your other machine;',
  'never into CI, a chat or a file in the repository.',
].join(' ')

async function readStoreId(storePath: string) {
  const text = await readTextFile(storePath)
  if (text === undefined)
    throw storeNotFound(storePath)
  return parseStoreFile(text, storePath)
}

async function readKeyInput(what: string): Promise<string> {
  const text = process.stdin.isTTY
    ? await promptHidden(`Paste the ${what} (input hidden): `)
    : dropOneNewline(await readStdinText(`The ${what}`))
  return text.trim()
}

export const key: Command = {
  name: 'key',
  summary: 'export the store key for CI or your admin key, import a key into your key file, show its path',
  usage: 'key export [--admin] | key import [--admin] | key path',
  details: [
    '  export           print the store key (for the UNPLUGIN_SECRETS_KEY CI secret)',
    '  export --admin   print your admin key (to sign in to the dashboard, or for',
    '                   key import --admin on your other machine)',
    '  import           read a store key from stdin (or a hidden prompt), check it opens',
    '                   this store, and save it to your key file',
    '  import --admin   the same for your admin key (UNPLUGIN_SECRETS_ADMIN_KEY)',
    '  path             print where this store\'s key file is',
  ].join('\n'),
  example: 'unplugin-secrets key export | gh secret set UNPLUGIN_SECRETS_KEY',
  options: { admin: { type: 'boolean' } },
  positionals: [1, 1],
  sensitiveArgs: true,
  async run({ storePath, positionals, values }) {
    const sub = positionals[0]!
    if (!SUBCOMMANDS.includes(sub as typeof SUBCOMMANDS[number]))
      throw usageError(`Unknown key command: use ${SUBCOMMANDS.join(', ')}.`, 'key')
    if (values.admin && sub === 'path') throw usageError('--admin belongs to key export and key import.', 'key')

    if (sub === 'path') {
      const file = await readStoreId(storePath)
      return print(keyFilePath(file.id))
    }
    if (sub === 'export' && values.admin) {
      const { admin, adminKey } = (await openStore({ path: storePath })).exportAdminKey()
      if (process.stdout.isTTY) note(ADMIN_KEY_WARNING(admin))
      return print(adminKey)
    }
    if (sub === 'export') {
      const store = await openStore({ path: storePath })
      if (process.stdout.isTTY) note(STORE_KEY_WARNING)
      return print(store.exportKey())
    }
    const file = await readStoreId(storePath)
    if (values.admin) {
      const adminKey = parseAdminKey(await readKeyInput('admin key'), 'The admin key from stdin')
      const publicKey = formatPublicKey(adminKey.publicKey)
      if (![...file.admins.values()].some(admin => admin.publicKey === publicKey)) {
        throw new SecretsError('NOT_ADMIN', [
          `That admin key is not an admin of ${storePath}; nothing was saved.`,
          `If it is new, an admin runs: unplugin-secrets admins add <your-name> --public-key ${publicKey}`,
        ].join(' '))
      }
      const path = await updateKeyFile(file.id, keys => ({ ...keys, adminKey: formatAdminKey(adminKey) }))
      return note(`Saved the admin key to ${path}.`)
    }
    const storeKey = parseStoreKey(await readKeyInput('store key'), 'The store key from stdin')
    verifyStore(file, storeKey, storePath, { keySource: 'The store key from stdin' })
    const text = formatStoreKey(storeKey)
    const path = await updateKeyFile(file.id, keys => withStoreKey(keys, text))
    note(`Saved the store key to ${path}; it opens ${storePath} (revision ${file.revision}).`)
  },
}
