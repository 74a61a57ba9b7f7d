/** `render FILE`: a YAML/JSON file written with its secrets filled in, at deploy time. */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { SecretsError } from '../../core/errors'
import { namedFileFormat } from '../../core/formats/registry'
import type { SecretLookup } from '../../core/formats/types'
import { mentionsSecret } from '../../core/reference'
import { missingSecret } from '../../core/resolver'
import { writeFileAtomic } from '../../core/store/files'
import type { SecretStore } from '../../core/store/store'
import { openStore } from '../../core/store/store'
import type { Command } from '../command'
import { note } from '../io'

export const render: Command = {
  name: 'render',
  summary: 'write a YAML/JSON file with its secrets filled in (deploy time)',
  usage: 'render FILE [-o OUT] [--check]',
  details: [
    '  -o, --output OUT   write OUT atomically with mode 0600 instead of printing to stdout',
    '  --check            resolve every reference and write nothing; exit 1 listing missing names',
    '',
    '  The file keeps its format, comments and layout: only the strings that hold',
    '  references change (in YAML they become double-quoted; a block scalar too).',
    '  A file without references comes out byte-identical. The output is final:',
    '  $${secret.X} becomes the literal ${secret.X}, so do not render twice.',
  ].join('\n'),
  example: 'unplugin-secrets render k8s/deployment.yaml -o /run/deploy/deployment.yaml',
  options: { output: { type: 'string', short: 'o' }, check: { type: 'boolean' } },
  positionals: [1, 1],
  async run({ storePath, positionals, values }) {
    const file = positionals[0]!
    const format = namedFileFormat(file)
    let code: string
    try {
      code = await readFile(file, 'utf8')
    }
    catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new SecretsError('USAGE', [
        `Cannot read the config ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? String(error)}.`,
        'Pass the path of a YAML or JSON file you can read.',
      ].join(' '))
    }
    let store: SecretStore | undefined
    if (mentionsSecret(code)) store = await openStore({ path: storePath })
    const missing = new Set<string>()
    const lookup: SecretLookup = (name, locate) => {
      const value = store?.getSync(name)
      if (value !== undefined) return value
      if (!values.check) throw missingSecret(store!, name, locate)
      missing.add(name)
      return ''
    }
    const { code: rendered, names } = format.render(code, file, lookup)
    if (values.check) {
      if (missing.size > 0) {
        throw new SecretsError('SECRET_MISSING', [
          `${file}: ${missing.size === 1 ? 'secret' : `${missing.size} secrets`} missing from ${storePath}:`,
          `${[...missing].sort().join(', ')}.`,
          `Add ${missing.size === 1 ? 'it' : 'each'} with: unplugin-secrets set NAME`,
        ].join(' '))
      }
      return note(`${file}: all ${names.size} referenced secret${names.size === 1 ? '' : 's'} resolve.`)
    }
    if (values.output !== undefined) {
      await writeFileAtomic(resolve(values.output as string), rendered, 0o600)
      return note(`Wrote ${values.output as string} (mode 0600).`)
    }
    process.stdout.write(rendered)
  },
}
