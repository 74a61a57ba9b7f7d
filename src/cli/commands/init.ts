/** `init`: create a store and save its keys to your key file. */
import { userInfo } from 'node:os'
import { relative } from 'node:path'
import { createStore } from '../../core/store/store'
import { writeKeyFile } from '../../core/store/keyfile'
import { ADMIN_NAME_PATTERN } from '../../core/names'
import { environmentLabel, environmentOfStore } from '../../core/store/locate'
import type { Command } from '../command'
import { usageError } from '../command'
import { note, noteBlock, table } from '../io'

function defaultAdminName(): string | undefined {
  try {
    const name = userInfo().username
    return ADMIN_NAME_PATTERN.test(name) ? name : undefined
  }
  catch {
    return undefined
  }
}

export const init: Command = {
  name: 'init',
  summary: 'create a store and save its keys to your key file',
  usage: 'init [--admin NAME]',
  details: [
    '  --admin NAME   name of the first admin (default: your user name)',
    '  --env NAME     create the store of environment NAME, secrets.NAME.enc.json, with',
    '                 its own store id, keys, admins and audit trail',
  ].join('\n'),
  example: 'unplugin-secrets init --env production --admin alice',
  options: { admin: { type: 'string' } },
  positionals: [0, 0],
  async run({ storePath, values }) {
    const admin = (values.admin as string | undefined) ?? defaultAdminName()
    if (!admin) throw usageError('Your user name cannot be an admin name; pass one with --admin NAME.', 'init')
    let keyFile = ''
    const { store } = await createStore({
      path: storePath,
      admin,
      saveKeys: async ({ id, storeKey, adminKey }) => {
        keyFile = await writeKeyFile(id, { storeKeys: [storeKey], adminKey })
      },
    })
    const shown = relative(process.cwd(), store.path) || store.path
    const label = environmentLabel(store.path)
    const flag = label ? ` --env ${environmentOfStore(store.path)}` : ''
    note(`Created ${shown} (${label ? `${label}, ` : ''}store id ${store.id}) with admin ${admin}.`)
    note(`Store key and admin key saved to ${keyFile} (mode 0600, outside the repository).`)
    note('')
    note('Next:')
    noteBlock(table([
      [`  unplugin-secrets set GRAFANA_API_KEY${flag}`, 'add a secret (value from a hidden prompt or stdin)'],
      [`  git add ${shown}`, 'commit the store; never commit the key file'],
      [`  unplugin-secrets key export${flag}`, 'print the store key for CI (UNPLUGIN_SECRETS_KEY)'],
    ]))
  },
}
