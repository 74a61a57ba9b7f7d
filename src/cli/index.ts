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
import { version } from '../../package.json'
import { SecretsError } from '../core/errors'
import type { EnvironmentStore } from '../core/store/locate'
import {
  ALL_ENVIRONMENTS,
  chooseStore,
  DEFAULT_STORE_PATH,
  ENVIRONMENT_ENV,
  findEnvironmentStores,
  STORE_PATH_ENV,
  storeFileName,
  storeRequest,
} from '../core/store/locate'
import type { Command } from './command'
import { parseCommandArgs, usageError } from './command'
import { noteBlock, print, printBlock, printError } from './io'

/**
 * Each command's module is imported when it runs: a command pays only for what it uses
 * (render/check load the YAML parser, list does not).
 */
const commandLoaders: Record<string, () => Promise<Command>> = {
  'init': () => import('./commands/init').then(m => m.init),
  'set': () => import('./commands/set').then(m => m.set),
  'get': () => import('./commands/get').then(m => m.get),
  'list': () => import('./commands/list').then(m => m.list),
  'rm': () => import('./commands/rm').then(m => m.rm),
  'rotate': () => import('./commands/rotate').then(m => m.rotate),
  'admins': () => import('./commands/admins').then(m => m.admins),
  'verify': () => import('./commands/verify').then(m => m.verify),
  'log': () => import('./commands/log').then(m => m.log),
  'key': () => import('./commands/key').then(m => m.key),
  'render': () => import('./commands/render').then(m => m.render),
  'check': () => import('./commands/check').then(m => m.check),
  'accept-rollback': () => import('./commands/accept-rollback').then(m => m.acceptRollback),
  'identity': () => import('./commands/identity').then(m => m.identity),
  'readers': () => import('./commands/readers').then(m => m.readers),
  'merge': () => import('./commands/merge').then(m => m.merge),
  'git': () => import('./commands/git').then(m => m.git),
  'show': () => import('./commands/show').then(m => m.show),
}
const commandNames = Object.keys(commandLoaders)
const loadCommand = (name: string): Promise<Command> | undefined =>
  Object.hasOwn(commandLoaders, name) ? commandLoaders[name]!() : undefined
const loadAll = (): Promise<Command[]> => Promise.all(commandNames.map(name => commandLoaders[name]!()))

function mainHelp(commands: Command[]): string {
  const width = Math.max(...commands.map(c => c.name.length))
  return [
    `unplugin-secrets ${version}: encrypted, admin-signed secrets for config files`,
    '',
    'Usage: unplugin-secrets <command> [options] [--store PATH | --env NAME]',
    '',
    'Commands:',
    ...commands.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    `  --store PATH   store file (default: $${STORE_PATH_ENV}, else the nearest`,
    `                 ${DEFAULT_STORE_PATH} in this folder or a parent; init: ./${DEFAULT_STORE_PATH})`,
    `  --env NAME     the environment's store, ${storeFileName('NAME')} (default: $${ENVIRONMENT_ENV});`,
    '                 list and check take --env all. --store and --env together are refused.',
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
    `Usage: unplugin-secrets ${command.usage} [--store PATH | --env ${command.everyEnvironment ? 'NAME|all' : 'NAME'}]`,
    ...(command.details ? ['', command.details] : []),
    '',
    'Example:',
    `  ${command.example}`,
  ].join('\n')
}

/** What a leading --store or --env needs, for its usage error. */
const LEADING_VALUES = { store: 'a path', env: 'an environment name' } as const

/** Options before the command name: --store, --env, --help, --version. */
function splitLeadingGlobals(argv: string[]) {
  const given: { store?: string, env?: string } = {}
  let help = false
  let showVersion = false
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i]!
    const option = /^--(store|env)(?:=(.*))?$/s.exec(arg)
    if (option) {
      const name = option[1] as keyof typeof LEADING_VALUES
      const value = option[2] ?? argv[++i]
      if (!value) throw usageError(`--${name} needs ${LEADING_VALUES[name]}.`)
      given[name] = value
    }
    else if (arg === '--help' || arg === '-h') {
      help = true
    }
    else if (arg === '--version' || arg === '-v') {
      showVersion = true
    }
    else if (arg.startsWith('-')) {
      throw usageError(`Unknown option ${arg.split('=')[0]} before the command.`)
    }
    else {
      break
    }
  }
  return { ...given, help, showVersion, rest: argv.slice(i) }
}

/** The store a command works on, or with --env all (list, check) every environment's store. */
function commandStores(
  command: Command,
  commandLine: { store?: string, environment?: string },
): { storePath: string, environments?: EnvironmentStore[] } {
  if (commandLine.store === '') throw usageError('--store needs a path.')
  if (commandLine.environment === '') throw usageError('--env needs an environment name.')
  const request = storeRequest(commandLine)
  if (request && 'environment' in request && request.environment === ALL_ENVIRONMENTS) {
    const asked = request.by === '--env' ? '--env all' : `${request.by}=all`
    if (!command.everyEnvironment) {
      throw usageError([
        `${command.name} works on one store; ${asked} is for list and check.`,
        'Name one environment, for example --env production.',
      ].join(' '), command.name)
    }
    const environments = findEnvironmentStores()
    if (environments.length === 0) {
      throw new SecretsError('STORE_NOT_FOUND', [
        `No store in this folder or a parent (${DEFAULT_STORE_PATH} or ${storeFileName('NAME')}).`,
        'Create one with unplugin-secrets init.',
      ].join(' '))
    }
    return { storePath: environments[0]!.path, environments }
  }
  return { storePath: chooseStore(request, { create: command.name === 'init' }).path }
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
    if (args[0] !== undefined && !topic)
      throw usageError(`No command "${args[0]}". Commands: ${commandNames.join(', ')}.`)
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
  const stores = commandStores(command, {
    store: (values.store as string | undefined) ?? globals.store,
    environment: (values.env as string | undefined) ?? globals.env,
  })
  return (await command.run({ ...stores, positionals, values })) ?? 0
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
      printError([
        `unexpected ${(error as Error)?.name ?? 'error'}:`,
        `${(error as Error)?.message ?? String(error)}. Please report it.`,
      ].join(' '))
      process.exitCode = 1
    }
  },
)
