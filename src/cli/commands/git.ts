/**
 * `git setup`: makes git merge store files with `unplugin-secrets merge` and
 * diff them through `unplugin-secrets show`, in this clone (idempotent).
 */
import { existsSync, realpathSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { basename, isAbsolute, join, relative, sep } from 'node:path'
import { usageError } from '../command'
import type { Command } from '../command'
import { localConfig, setLocalConfig, workTreeRoot } from '../git'
import { printBlock } from '../io'

const DRIVER = 'unplugin-secrets'
/** The store names the package uses: the default store and one per environment. */
const STORE_PATTERNS = ['secrets.enc.json', 'secrets.*.enc.json']
const STORE_NAME = /^secrets(?:\.[^/]+)?\.enc\.json$/

export const git: Command = {
  name: 'git',
  summary: 'set up this clone so git merges store files with unplugin-secrets merge and diffs them redacted',
  usage: 'git setup',
  details: [
    '  Adds "secrets.enc.json" and "secrets.*.enc.json" (and the --store file, if',
    '  named otherwise) with merge=unplugin-secrets diff=unplugin-secrets to',
    '  .gitattributes (commit it), and sets the merge driver and the textconv',
    '  diff driver in .git/config. git config is per clone: each teammate runs',
    '  this once. Running it again changes nothing.',
  ].join('\n'),
  example: 'npx unplugin-secrets git setup',
  options: {},
  positionals: [1, 1],
  async run({ positionals, storePath }) {
    if (positionals[0] !== 'setup')
      throw usageError(`Unknown git command ${JSON.stringify(positionals[0])}: use git setup.`, 'git')
    const root = workTreeRoot(process.cwd(), 'so there is no git to set up: run this in your repository')
    const added = await addAttributes(root, storePatterns(root, storePath))
    const cli = cliCommand(root)
    const changed = configureDrivers(root, cli.command)
    printBlock([
      `git set up for unplugin-secrets in ${root}:`,
      `  .gitattributes: ${added.length ? `added ${added.join(', ')}` : 'already lists the store files'}`,
      `  .git/config:    ${changed.length ? `set ${changed.join(', ')}` : 'drivers already set'}`,
      `  driver command: ${cli.command}`,
      ...(cli.inRepo
        ? []
        : [
            'unplugin-secrets is not installed in this repository, so the drivers run it from where it is now;',
            'install it as a devDependency (npm install -D unplugin-secrets)'
            + ' and run npx unplugin-secrets git setup again.',
          ]),
      '',
      ...(added.length ? ['Commit .gitattributes. '] : []),
      'Each teammate runs this once in their own clone (git config is not shared):',
      '  npx unplugin-secrets git setup',
      'Merge buttons on hosting sites do not run merge drivers: merge store changes locally',
      '(git merge) or in a CI job that has an admin key; verify --base catches a store resolved by hand.',
    ].join('\n'))
  },
}

/** The default names, and the --store file when it is named otherwise (anchored to the repository's top). */
function storePatterns(root: string, storePath: string): string[] {
  if (STORE_NAME.test(basename(storePath))) return STORE_PATTERNS
  const inRepo = relative(realpathSync(root), storePath)
  if (inRepo.startsWith('..') || isAbsolute(inRepo)) return STORE_PATTERNS
  return [...STORE_PATTERNS, `/${inRepo.split(sep).join('/')}`]
}

/** Appends a line per pattern that .gitattributes does not give both attributes yet; returns the patterns added. */
async function addAttributes(root: string, patterns: string[]): Promise<string[]> {
  const path = join(root, '.gitattributes')
  const text = await readFile(path, 'utf8').catch(() => '')
  const lines = text.split(/\r?\n/).map(line => line.trim().split(/\s+/))
  const present = (pattern: string) => lines.some(([first, ...attributes]) =>
    first === pattern && attributes.includes(`merge=${DRIVER}`) && attributes.includes(`diff=${DRIVER}`))
  const missing = patterns.filter(pattern => !present(pattern))
  if (missing.length === 0) return []
  const separator = text === '' || text.endsWith('\n') ? '' : '\n'
  await writeFile(
    path,
    `${text}${separator}${missing.map(pattern => `${pattern} merge=${DRIVER} diff=${DRIVER}`).join('\n')}\n`,
  )
  return missing
}

/** Sets the drivers in .git/config; returns the keys that changed. */
function configureDrivers(root: string, command: string): string[] {
  const wanted: Record<string, string> = {
    [`merge.${DRIVER}.name`]: 'unplugin-secrets signed three-way merge of a store',
    [`merge.${DRIVER}.driver`]: `${command} merge %O %A %B --path %P`,
    // A merge of two merge bases (criss-cross) takes their common ancestor, which both sides contain, as git's %O.
    [`merge.${DRIVER}.recursive`]: 'binary',
    [`diff.${DRIVER}.textconv`]: `${command} show`,
  }
  const changed = Object.keys(wanted).filter(key => localConfig(root, key) !== wanted[key])
  for (const key of changed) setLocalConfig(root, key, wanted[key]!)
  return changed
}

/** POSIX shell quoting: git runs drivers through sh (also Git for Windows). */
const shellQuote = (text: string): string => `'${text.replace(/'/g, '\'\\\'\'')}'`

/**
 * The command git runs, from the work tree's top folder: this node by its
 * absolute path (a plain terminal, an editor or a GUI may lack the PATH npx
 * had), and this CLI by its path from the top when it is installed in the
 * repository, so the command survives moving the clone.
 */
function cliCommand(root: string): { command: string, inRepo: boolean } {
  const cli = realpathSync(process.argv[1]!)
  const installed = join(root, 'node_modules', 'unplugin-secrets', 'dist', 'cli.mjs')
  const fromRoot = existsSync(installed) && realpathSync(installed) === cli
    ? 'node_modules/unplugin-secrets/dist/cli.mjs' // the stable path, not where a package manager keeps this version
    : relative(realpathSync(root), cli).split(sep).join('/')
  const inRepo = !fromRoot.startsWith('../') && !isAbsolute(fromRoot)
  return { command: `${shellQuote(process.execPath)} ${shellQuote(inRepo ? fromRoot : cli)}`, inRepo }
}
