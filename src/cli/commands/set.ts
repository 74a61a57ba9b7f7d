/** `set NAME`: create or update a secret, its value from stdin, a hidden prompt or a file. */
import { readFile } from 'node:fs/promises'
import { SecretsError } from '../../core/errors'
import { assertSecretName } from '../../core/names'
import { openStore } from '../../core/store/store'
import type { Command } from '../command'
import { usageError } from '../command'
import { decodeUtf8, dropOneNewline, note, promptHidden, readStdinText } from '../io'

async function readValue(name: string, fromFile: string | undefined): Promise<string> {
  if (fromFile !== undefined) {
    let bytes: Buffer
    try {
      bytes = await readFile(fromFile)
    }
    catch (error) {
      throw new SecretsError('INVALID_VALUE', [
        `Cannot read --from-file ${fromFile}:`,
        `${(error as NodeJS.ErrnoException).code ?? 'unreadable'}. Check the path.`,
      ].join(' '))
    }
    return decodeUtf8(bytes, `--from-file ${fromFile}`)
  }
  if (process.stdin.isTTY) return promptHidden(`Value for ${name} (input hidden): `)
  return dropOneNewline(await readStdinText(`The value for ${name}`))
}

export const set: Command = {
  name: 'set',
  summary: 'create or update a secret (value from stdin, a hidden prompt or a file)',
  usage: 'set NAME [--description TEXT] [--from-file FILE]',
  details: [
    '  --description TEXT   what the secret is for (kept when omitted on an update)',
    '  --from-file FILE     read the value from FILE, byte for byte',
    '',
    '  Without --from-file the value comes from stdin when piped (one trailing',
    '  newline dropped) or from a hidden prompt on a terminal. A value is never',
    '  taken from the command line, where shell history would keep it.',
  ].join('\n'),
  example: 'printf %s "$TOKEN" | unplugin-secrets set GRAFANA_API_KEY --description "Grafana read-only"',
  options: { 'description': { type: 'string' }, 'from-file': { type: 'string' } },
  positionals: [1, 2],
  sensitiveArgs: true,
  async run({ storePath, positionals, values }) {
    if (positionals.length > 1) {
      throw usageError([
        'set never takes the value as an argument: it would stay in your shell history. Pipe',
        'it (printf %s "$TOKEN" | unplugin-secrets set NAME), type it at the hidden prompt, or use --from-file FILE.',
      ].join(' '), 'set')
    }
    const name = positionals[0]!
    assertSecretName(name)
    const store = await openStore({ path: storePath })
    store.assertAdmin() // before asking for a value that could not be saved
    const value = await readValue(name, values['from-file'] as string | undefined)
    const info = await store.set(name, value, { description: values.description as string | undefined })
    note(`${info.version === 1 ? 'Created' : 'Updated'} ${name} (version ${info.version}).`)
  },
}
