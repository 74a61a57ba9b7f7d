/** `check`: every reference in the config files and whether each store has it. Needs no key, so CI can run it. */
import { dirname, relative } from 'node:path'
import { CONFIG_FILES_GLOB, globConfigFiles, scanConfigFile } from '../../core/config-files'
import { environmentCoverage, missingPairs, storeNames } from '../../core/coverage'
import { formatLocation } from '../../core/errors'
import type { EnvironmentStore } from '../../core/store/locate'
import { storesIn } from '../../core/store/locate'
import type { Command } from '../command'
import { print, printBlock, table } from '../io'

/** What the config files hold, in file order: each reference, and each file that could not be checked. */
type Finding = { error: string } | { name: string, at: string }

async function scanConfigs(globs: string[], storePaths: string[]): Promise<{ files: number, findings: Finding[] }> {
  const files = (await globConfigFiles(globs.length ? globs : undefined)).filter(file => !storePaths.includes(file))
  const findings: Finding[] = []
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file
    const scan = await scanConfigFile(file, shown)
    // An unreadable file is a problem too: its references cannot be checked.
    const error = scan.invalid?.message ?? (scan.unreadable && `${shown}: cannot read it (${scan.unreadable})`)
    if (error) findings.push({ error })
    for (const { name, loc } of scan.references) findings.push({ name, at: formatLocation(loc) })
  }
  return { files: files.length, findings }
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`

/** One store: every reference with ok or MISSING. */
async function checkOneStore(storePath: string, globs: string[]): Promise<number> {
  const names = await storeNames(storePath)
  // Store files are JSON with no reference: not configs, whichever environment's.
  const { files, findings } = await scanConfigs(globs, [
    storePath,
    ...storesIn(dirname(storePath)).map(store => store.path),
  ])
  let problems = 0
  let references = 0
  for (const finding of findings) {
    if ('error' in finding) {
      print(`${finding.error}  ERROR`)
      problems++
      continue
    }
    references++
    const ok = names.has(finding.name)
    if (!ok) problems++
    print(`${finding.at}  ${finding.name}  ${ok ? 'ok' : 'MISSING'}`)
  }
  print([
    `${plural(references, 'reference')} in ${plural(files, 'file')};`,
    `${problems === 0 ? 'all present' : plural(problems, 'problem')}.`,
  ].join(' '))
  return problems === 0 ? 0 : 1
}

/** --env all: every referenced name against every environment's store, as a table. */
async function checkEveryEnvironment(stores: EnvironmentStore[], globs: string[]): Promise<number> {
  const { files, findings } = await scanConfigs(globs, stores.map(store => store.path))
  const errors = findings.flatMap(finding => ('error' in finding ? [finding.error] : []))
  for (const error of errors) print(`${error}  ERROR`)
  const coverage = await environmentCoverage(
    findings.flatMap(finding => ('name' in finding ? [finding.name] : [])),
    stores,
  )
  if (coverage.rows.length > 0) {
    printBlock(
      table([
        ['NAME', ...coverage.environments],
        ...coverage.rows.map(({ name, present }) => [name, ...present.map(ok => (ok ? 'ok' : 'MISSING'))]),
      ]),
    )
  }
  const missing = missingPairs(coverage)
  const problems = [
    ...(missing.length ? [`missing: ${missing.join(', ')}`] : []),
    ...(errors.length ? [`${plural(errors.length, 'file')} not checked`] : []),
  ]
  print([
    `${plural(coverage.rows.length, 'name')} referenced in ${plural(files, 'file')},`,
    `${plural(stores.length, 'environment')}; ${problems.length ? problems.join('; ') : 'all present everywhere'}.`,
  ].join(' '))
  return problems.length ? 1 : 0
}

export const check: Command = {
  name: 'check',
  summary: 'list every reference in config files and whether the store has it (no key needed)',
  usage: 'check [GLOB...]',
  details: [
    `  GLOB        files to scan (default: ${CONFIG_FILES_GLOB}, any case, without node_modules and .git)`,
    '  --env all   every environment\'s store: a table of each referenced name against each',
    '              environment (secrets.enc.json is "default"), MISSING where a store lacks it',
    '',
    '  Without GLOB, build output folders (dist, build, out, coverage) and what the',
    '  .gitignore files ignore (a rendered file) are skipped; a GLOB is taken as written.',
    '',
    '  Prints file:line:col, the name, and "ok" or "MISSING" for every reference;',
    '  exit 1 when a name is missing or a reference is malformed. Reads only the',
    '  names in the store, which need no key (they are not verified without it).',
  ].join('\n'),
  example: 'unplugin-secrets check --env all "config/**/*.yaml" "k8s/*.yaml"',
  options: {},
  positionals: [0, 100],
  everyEnvironment: true,
  async run({ storePath, environments, positionals }) {
    return environments ? checkEveryEnvironment(environments, positionals) : checkOneStore(storePath, positionals)
  },
}
