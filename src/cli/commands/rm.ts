/** `rm NAME`: delete a secret. */
import { SecretsError } from '../../core/errors'
import { assertSecretName } from '../../core/names'
import { openStore } from '../../core/store/store'
import type { Command } from '../command'
import { note } from '../io'

export const rm: Command = {
  name: 'rm',
  summary: 'delete a secret',
  usage: 'rm NAME',
  details: '  Config files that still reference the name will fail to build until it is set again.',
  example: 'unplugin-secrets rm OLD_API_KEY',
  options: {},
  positionals: [1, 1],
  async run({ storePath, positionals }) {
    const name = positionals[0]!
    assertSecretName(name) // before the store is opened: a bad name is the first thing to hear about
    const store = await openStore({ path: storePath })
    if (!await store.delete(name)) {
      throw new SecretsError('SECRET_NOT_FOUND', [
        `No secret ${name} in ${store.path}; nothing was changed.`,
        'See the names with: unplugin-secrets list',
      ].join(' '))
    }
    note(`Deleted ${name}.`)
  },
}
