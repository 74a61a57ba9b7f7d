#!/usr/bin/env node
/**
 * The `unplugin-secrets` command: manage the encrypted store from a shell.
 *
 * @module unplugin-secrets/cli
 * @example
 * ```sh
 * unplugin-secrets init --admin alice
 * printf %s "$TOKEN" | unplugin-secrets set GRAFANA_API_KEY
 * unplugin-secrets list
 * ```
 */
import { resolve } from 'node:path'
import { version } from '../../package.json'
import { SecretsError } from '../core/errors'
import { DEFAULT_STORE_PATH, findStore } from '../core/store/locate'
import type { Command } from './command'
import { parseCommandArgs, usageError } from './command'
import { noteBlock, print, printBlock, printError } from './io'

/** Each command's module is imported when it runs: a command pays only for what it uses (render/check load the YAML parser, list does not). */
const commandLoaders: Record<string, () => Promise<Command>> = {
  init: () => import('./commands/init').then(m => m.init),
  set: () => import('./commands/set').then(m => m.set),
  get: () => import('./commands/get').then(m => m.get),
  list: () => import('./commands/list').then(m => m.list),
  rm: () => import('./commands/rm').then(m => m.rm),
  rotate: () => import('./commands/rotate').then(m => m.rotate),
  admins: () => import('./commands/admins').then(m => m.admins),
  verify: () => import('./commands/verify').then(m => m.verify),
  log: () => import('./commands/log').then(m => m.log),
  key: () => import('./commands/key').then(m => m.key),
  render: () => import('./commands/render').then(m => m.render),
  check: () => import('./commands/check').then(m => m.check),
  'accept-rollback': () => import('./commands/accept-rollback').then(m => m.acceptRollback),
  identity: () => import('./commands/identity').then(m => m.identity),
  readers: () => import('./commands/readers').then(m => m.readers),
  merge: () => import('./commands/merge').then(m => m.merge),
  git: () => import('./commands/git').then(m => m.git),
  show: () => import('./commands/show').then(m => m.show),
}
const commandNames = Object.keys(commandLoaders)
const loadCommand = (name: string): Promise<Command> | undefined => (Object.hasOwn(commandLoaders, name) ? commandLoaders[name]!() : undefined)
const loadAll = (): Promise<Command[]> => Promise.all(commandNames.map(name => commandLoaders[name]!()))

function mainHelp(commands: Command[]): string {
  const width = Math.max(...commands.map(c => c.name.length))
  return [
    `unplugin-secrets ${version}: encrypted, admin-signed secrets for config files`,
    '',
    'Usage: unplugin-secrets <command> [options] [--store PATH]',
    '',
    'Commands:',
    ...commands.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --store PATH   store file (default: $UNPLUGIN_SECRETS_STORE, else the nearest',
    `                 ${DEFAULT_STORE_PATH} in this folder or a parent; init: ./${DEFAULT_STORE_PATH})`,
    '  -h, --help     help for a command: unplugin-secrets set --help',
    '  -v, --version  print the version',
    '',
    'Keys: UNPLUGIN_SECRETS_KEY (read) and UNPLUGIN_SECRETS_ADMIN_KEY (change), else your key file.',
    'Exit codes: 0 success, 1 failure, 2 usage error.',
  ].join('\n')
}

function commandHelp(command: Command): string {
  return [
    `unplugin-secrets ${command.name}: ${command.summary}`,
    '',
    `Usage: unplugin-secrets ${command.usage} [--store PATH]`,
    ...(command.details ? ['', command.details] : []),
    '',
    'Example:',
    `  ${command.example}`,
  ].join('\n')
}

/** Options before the command name: --store, --help, --version. */
function splitLeadingGlobals(argv: string[]) {
  let store: string | undefined
  let help = false
  let showVersion = false
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--store' || arg.startsWith('--store=')) {
      store = arg === '--store' ? argv[++i] : arg.slice('--store='.length)
      if (!store) throw usageError('--store needs a path.')
    }
    else if (arg === '--help' || arg === '-h') help = true
    else if (arg === '--version' || arg === '-v') showVersion = true
    else if (arg.startsWith('-')) throw usageError(`Unknown option ${arg.split('=')[0]} before the command.`)
    else break
  }
  return { store, help, showVersion, rest: argv.slice(i) }
}

function resolveStorePath(command: Command, store: string | undefined): string {
  if (store === '') throw usageError('--store needs a path.')
  if (store !== undefined) return resolve(store)
  return command.name === 'init' ? resolve(process.env.UNPLUGIN_SECRETS_STORE || DEFAULT_STORE_PATH) : findStore(process.cwd())
}

export async function main(argv: string[]): Promise<number> {
  const globals = splitLeadingGlobals(argv)
  if (globals.showVersion) {
    print(version)
    return 0
  }
  const [name, ...args] = globals.rest
  if (name === undefined) {
    if (globals.help) {
      printBlock(mainHelp(await loadAll()))
      return 0
    }
    noteBlock(mainHelp(await loadAll())) // no command: a usage error, so help goes to stderr
    return 2
  }
  if (name === 'help') {
    const topic = args[0] === undefined ? undefined : await loadCommand(args[0])
    if (args[0] !== undefined && !topic) throw usageError(`No command "${args[0]}". Commands: ${commandNames.join(', ')}.`)
    printBlock(topic ? commandHelp(topic) : mainHelp(await loadAll()))
    return 0
  }
  const command = await loadCommand(name)
  if (!command) throw usageError(`Unknown command "${name}". Commands: ${commandNames.join(', ')}.`)
  if (globals.help) {
    printBlock(commandHelp(command))
    return 0
  }
  const { positionals, values } = parseCommandArgs(command, args)
  if (values.help) {
    printBlock(commandHelp(command))
    return 0
  }
  const storePath = resolveStorePath(command, (values.store as string | undefined) ?? globals.store)
  return (await command.run({ storePath, positionals, values })) ?? 0
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (error: unknown) => {
    if (error instanceof SecretsError) {
      printError(error.message)
      process.exitCode = error.code === 'USAGE' ? 2 : error.code === 'CANCELLED' ? 130 : 1
    }
    else {
      // Not ours: show only its name and message (a stack could carry data from a frame).
      printError(`unexpected ${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? String(error)}. Please report it.`)
      process.exitCode = 1
    }
  },
)
