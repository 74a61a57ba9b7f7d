/** `get NAME`: one secret's value, for scripts (with `render`, the only command that outputs a value). */
import { SecretsError } from '../../core/errors'
import { assertSecretName } from '../../core/names'
import { openStore } from '../../core/store/store'
import type { Command } from '../command'

export const get: Command = {
  name: 'get',
  summary: 'print one secret\'s value (render also outputs values; no other command does)',
  usage: 'get NAME [--no-newline]',
  details: '  --no-newline   print the value byte for byte, without a trailing newline',
  example: 'unplugin-secrets get GRAFANA_API_KEY --no-newline > grafana.key',
  options: { 'no-newline': { type: 'boolean' } },
  positionals: [1, 1],
  async run({ storePath, positionals, values }) {
    const name = positionals[0]!
    assertSecretName(name)
    const store = await openStore({ path: storePath })
    const value = await store.get(name)
    if (value === undefined) {
      throw new SecretsError('SECRET_NOT_FOUND', [
        `No secret ${name} in ${store.path}.`,
        'See the names with: unplugin-secrets list',
      ].join(' '))
    }
    process.stdout.write(values['no-newline'] ? value : `${value}\n`)
  },
}
