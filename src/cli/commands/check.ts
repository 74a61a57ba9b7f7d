import { relative } from 'node:path'
import { CONFIG_FILES_GLOB, globConfigFiles, scanConfigFile } from '../../core/config-files'
import { SecretsError, formatLocation } from '../../core/errors'
import { parseStoreFile } from '../../core/store/format'
import { readTextFile } from '../../core/store/files'
import type { Command } from '../command'
import { print } from '../io'

export const check: Command = {
  name: 'check',
  summary: 'list every reference in config files and whether the store has it (no key needed)',
  usage: 'check [GLOB...]',
  details: [
    `  GLOB   files to scan (default: ${CONFIG_FILES_GLOB}, any case, without node_modules and .git)`,
    '',
    '  Without GLOB, build output folders (dist, build, out, coverage) and what the',
    '  .gitignore files ignore (a rendered file) are skipped; a GLOB is taken as written.',
    '',
    '  Prints file:line:col, the name, and "ok" or "MISSING" for every reference;',
    '  exit 1 when a name is missing or a reference is malformed. Reads only the',
    '  names in the store, which need no key (they are not verified without it).',
  ].join('\n'),
  example: 'unplugin-secrets check "config/**/*.yaml" "k8s/*.yaml"',
  options: {},
  positionals: [0, 100],
  async run({ storePath, positionals }) {
    const text = await readTextFile(storePath)
    if (text === undefined) throw new SecretsError('STORE_NOT_FOUND', `No store at ${storePath}. Create one with unplugin-secrets init, or pass --store PATH.`)
    const names = new Set(parseStoreFile(text, storePath).secrets.keys())
    const files = await globConfigFiles(positionals.length ? positionals : undefined)
    let problems = 0
    let references = 0
    for (const file of files) {
      if (file === storePath) continue
      const shown = relative(process.cwd(), file) || file
      const scan = await scanConfigFile(file, shown)
      // An unreadable file is a problem too: its references cannot be checked.
      const error = scan.invalid?.message ?? (scan.unreadable && `${shown}: cannot read it (${scan.unreadable})`)
      if (error) {
        print(`${error}  ERROR`)
        problems++
      }
      for (const { name, loc } of scan.references) {
        references++
        const ok = names.has(name)
        if (!ok) problems++
        print(`${formatLocation(loc)}  ${name}  ${ok ? 'ok' : 'MISSING'}`)
      }
    }
    print(`${references} reference${references === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}; ${problems === 0 ? 'all present' : `${problems} problem${problems === 1 ? '' : 's'}`}.`)
    return problems === 0 ? 0 : 1
  },
}
