/** What a CLI command is (its name, usage, options and run) and the argument parsing all commands share. */
import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import { SecretsError } from '../core/errors'
import type { EnvironmentStore } from '../core/store/locate'

type OptionSpec = NonNullable<ParseArgsConfig['options']>

interface CommandContext {
  /**
   * Store path from --store or --env, UNPLUGIN_SECRETS_STORE or UNPLUGIN_SECRETS_ENV, or the search
   * from the current folder.
   */
  storePath: string
  /** `--env all`, for the commands that take it: every environment's store found. */
  environments?: EnvironmentStore[]
  positionals: string[]
  /** Option values; an option declared `multiple` gives a list. */
  values: Record<string, string | boolean | string[] | undefined>
}

export interface Command {
  name: string
  summary: string
  /** Usage lines, e.g. `set NAME [--description TEXT] [--from-file FILE]`. */
  usage: string
  /** Option descriptions shown by --help. */
  details: string
  example: string
  options: OptionSpec
  /** Number of positional arguments taken: [min, max]. */
  positionals: [number, number]
  /** Arguments may hold a value pasted by mistake: error messages must not repeat them. */
  sensitiveArgs?: boolean
  /** Takes `--env all` (every environment's store, in `environments`). */
  everyEnvironment?: boolean
  run: (context: CommandContext) => Promise<number | void>
}

export const usageError = (message: string, command?: string): SecretsError =>
  new SecretsError('USAGE', `${message} See: unplugin-secrets ${command ? `${command} ` : ''}--help`)

/** Options every command takes after its name, besides its own. */
const COMMON_OPTIONS: OptionSpec = {
  store: { type: 'string' },
  env: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
}

export function parseCommandArgs(
  command: Command,
  args: string[],
): { positionals: string[], values: CommandContext['values'] } {
  let parsed
  try {
    parsed = parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    })
  }
  catch (error) {
    if (command.sensitiveArgs) {
      throw usageError([
        `${command.name} takes only these options:`,
        `${Object.keys({ ...command.options, ...COMMON_OPTIONS }).map(name => `--${name}`).join(', ')}.`,
        'Values are never read from the command line.',
      ].join(' '), command.name)
    }
    const { message: raw } = error as Error
    const message = raw.replace(/\. To specify a positional argument.*$/s, '.').replace(/\s*\n\s*/g, ' ')
    throw usageError(message, command.name)
  }
  if (parsed.values.help) return { positionals: [], values: parsed.values as CommandContext['values'] }
  const [min, max] = command.positionals
  if (parsed.positionals.length < min) {
    throw usageError(
      `${command.name} needs ${min === 1 ? 'an argument' : `${min} arguments`}: ${command.usage}.`,
      command.name,
    )
  }
  if (parsed.positionals.length > max) {
    throw usageError([
      `${command.name} takes ${max === 0 ? 'no arguments' : `at most ${max} argument${max > 1 ? 's' : ''}`}:`,
      `${command.usage}.`,
    ].join(' '), command.name)
  }
  return { positionals: parsed.positionals, values: parsed.values as CommandContext['values'] }
}
