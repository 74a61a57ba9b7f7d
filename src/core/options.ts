/** The plugin's options: their documentation, defaults and checks, all here (one row per option in OPTION_RULES). */
import type { FilterPattern } from 'unplugin'
import { SecretsError } from './errors'
import { ENVIRONMENT_NAME_RULE, environmentNameProblem, kindOf, secretNameProblem } from './names'
import { suggestName } from './suggest'

/** The build, as a function given as the `environment` option sees it. */
export interface BuildInfo {
  bundler: 'vite' | 'rollup' | 'rolldown' | 'webpack' | 'rspack' | 'esbuild' | 'farm'
  /**
   * Vite's mode (`vite build`: production, `vite dev`: development, or
   * `--mode`), webpack's and Rspack's `mode`, Farm's `compilation.mode`;
   * undefined for Rollup, Rolldown and esbuild (read `process.env` there).
   */
  mode: string | undefined
}

export interface Options {
  /**
   * The store file, relative to the bundler's root (Vite `root`, webpack
   * `context`, else the current directory). Not with `environment`.
   * @default 'secrets.enc.json'
   */
  store?: string
  /**
   * The environment whose store this build reads: `secrets.<name>.enc.json`
   * in the root (`'default'` is secrets.enc.json), or a function of the build
   * that returns the name. Not with `store`.
   * @default Vite: the mode's store (`vite build` reads secrets.production.enc.json,
   * `vite dev` secrets.development.enc.json) when that file exists, else
   * secrets.enc.json; the other bundlers: secrets.enc.json
   * @example secrets({ environment: ({ mode }) => (mode === 'production' ? 'production' : 'staging') })
   */
  environment?: string | ((build: BuildInfo) => string)
  /**
   * The store key (`usec_store_…`).
   * @default process.env.UNPLUGIN_SECRETS_KEY, then the key file
   */
  key?: string
  /**
   * Config files to expand. `?raw` and `?url` imports never match.
   * @default [/\.ya?ml$/, /\.json$/]
   */
  include?: FilterPattern
  /** @default [/[\\/]node_modules[\\/]/] */
  exclude?: FilterPattern
  /**
   * Names that may be expanded into modules for the browser (Vite's client
   * environment, in dev and build). Any other reference there is an error.
   * @default []
   */
  client?: string[]
  /**
   * Rollup and Rolldown cannot tell a browser build from a server build: say
   * which this is. (Vite, webpack, Rspack, esbuild and Farm tell us.)
   * @default 'server'
   */
  target?: 'browser' | 'server'
  /**
   * `inline` writes values into the built modules. `runtime` (server builds,
   * YAML and JSON configs) leaves the references in the output and resolves them when
   * the server starts, through `unplugin-secrets/runtime`: no value in `dist/`.
   * Browser modules are always inline (and guarded).
   * @default 'inline'
   */
  mode?: 'inline' | 'runtime'
  /**
   * The YAML parse cache: parsed configs with no value in them, keyed by
   * content, kept in memory and in this folder (relative to the root) so a
   * store change or a repeat build does not parse again. `false`: memory only.
   * @default 'node_modules/.cache/unplugin-secrets' of the nearest package.json folder
   */
  cache?: boolean | string
  /**
   * Vite dev server only: the admin dashboard at `/__secrets/` (sign-in with
   * an admin key or the one-time link printed at start-up). Never in a build.
   * @default true
   */
  dashboard?: boolean
  /**
   * Days after which the dashboard flags a secret whose value was last set
   * earlier ("rotate keys regularly"); `false` turns the banner off.
   * @default 90
   */
  maxAge?: number | false
  /**
   * Writes the TypeScript types of each YAML config the bundler imports
   * beside it (`config.yaml` → `config.d.yaml.ts`, found by TypeScript with
   * `allowArbitraryExtensions`), in dev and build, and again when the config
   * changes. Types only: a reference is typed `string`, no value is written.
   * JSON needs none: TypeScript types it with `resolveJsonModule`.
   * @default false
   */
  dts?: boolean
}

/**
 * The options with every default filled in; `key` stays optional (the
 * variables and the key file come later), and so does `environment` (chosen
 * once the build is known).
 */
export type ResolvedOptions = Omit<Required<Options>, 'key' | 'environment'> & Pick<Options, 'key' | 'environment'>

interface OptionRule<T> {
  /** The values accepted, as the error message lists them. */
  accepts: string
  default: T
  /** What is wrong with a given value (`got …`), or undefined when it is accepted. */
  problem: (value: unknown) => string | undefined
}

/** A given value as an error message may show it: options are code, not secrets (except `key`, never shown). */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value instanceof RegExp) return String(value)
  return kindOf(value)
}

const got = (value: unknown): string => `got ${shown(value)}`

const oneOf = <T extends string | boolean>(...choices: T[]) => (value: unknown): string | undefined =>
  choices.includes(value as T) ? undefined : got(value)

const STORE_KEY_SHAPE = /^usec_store_[\w-]+$/

function keyProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `got ${kindOf(value)}`
  if (value === '')
    return 'got an empty string (an unset variable?); leave the option out to use UNPLUGIN_SECRETS_KEY or your key file'
  return STORE_KEY_SHAPE.test(value.trim())
    ? undefined
    : `got a string of ${value.length} characters that is not one (not shown)`
}

const isPattern = (value: unknown): boolean => typeof value === 'string' || value instanceof RegExp

function filterProblem(value: unknown): string | undefined {
  if (value === null || isPattern(value)) return undefined
  if (!Array.isArray(value)) return got(value)
  const bad = value.findIndex(item => !isPattern(item))
  return bad === -1 ? undefined : `got an array whose item ${bad} is ${kindOf(value[bad])}`
}

function clientProblem(value: unknown): string | undefined {
  // A string would be searched as text (every name inside it allowed): refuse it, and show the array to write.
  if (typeof value === 'string' && secretNameProblem(value) === undefined)
    return `got the string ${shown(value)}; write client: [${shown(value)}]`
  if (!Array.isArray(value)) return `got ${kindOf(value)}`
  const bad = value.findIndex(item => secretNameProblem(item) !== undefined)
  // The entry is not shown: something that is not a name may be a value pasted by mistake.
  return bad === -1 ? undefined : `item ${bad} is not a secret name: ${secretNameProblem(value[bad])}`
}

function environmentProblem(value: unknown): string | undefined {
  if (typeof value === 'function') return undefined
  // 'all' is the CLI's every-environment listing; a build reads one store.
  return value === 'all' ? 'got "all"; a build reads one environment\'s store' : environmentNameProblem(value)
}

function maxAgeProblem(value: unknown): string | undefined {
  return value === false || (typeof value === 'number' && value > 0 && Number.isFinite(value)) ? undefined : got(value)
}

/**
 * One row per option: what it accepts, its default, its check. Adding an option is adding a row
 * (and its JSDoc above).
 */
const OPTION_RULES: { [K in keyof Options]-?: OptionRule<ResolvedOptions[K]> } = {
  store: {
    accepts: 'the store file\'s path (a non-empty string)',
    default: 'secrets.enc.json',
    problem: value => (typeof value === 'string' && value !== '' ? undefined : got(value)),
  },
  environment: {
    accepts: `an environment name (${ENVIRONMENT_NAME_RULE}; `
      + '\'default\' is secrets.enc.json) or a function of the build that returns one',
    default: undefined,
    problem: environmentProblem,
  },
  key: { accepts: 'a store key (a string that starts with usec_store_)', default: undefined, problem: keyProblem },
  include: {
    accepts: 'a FilterPattern: a glob string, a RegExp, an array of them, or null',
    default: [/\.ya?ml$/, /\.json$/],
    problem: filterProblem,
  },
  exclude: {
    accepts: 'a FilterPattern: a glob string, a RegExp, an array of them, or null',
    default: [/[\\/]node_modules[\\/]/],
    problem: filterProblem,
  },
  client: {
    accepts: 'an array of secret names, for example client: [\'PUBLIC_MAPS_KEY\']',
    default: [],
    problem: clientProblem,
  },
  target: { accepts: '\'browser\' or \'server\'', default: 'server', problem: oneOf('browser', 'server') },
  mode: { accepts: '\'inline\' or \'runtime\'', default: 'inline', problem: oneOf('inline', 'runtime') },
  cache: {
    accepts: 'true, false (memory only) or a folder path',
    default: true,
    problem: value =>
      typeof value === 'boolean' || (typeof value === 'string' && value !== '') ? undefined : got(value),
  },
  dashboard: { accepts: 'true or false', default: true, problem: oneOf(true, false) },
  maxAge: {
    accepts: 'a number of days above 0, or false to turn the dashboard\'s rotation banner off',
    default: 90,
    problem: maxAgeProblem,
  },
  dts: {
    accepts: 'true (write config.d.yaml.ts beside each YAML config) or false',
    default: false,
    problem: oneOf(true, false),
  },
}

const OPTION_NAMES = Object.keys(OPTION_RULES)

const usage = (message: string): SecretsError => new SecretsError('USAGE', `unplugin-secrets: ${message}`)

function unknownOption(name: string): SecretsError {
  const near = suggestName(name, OPTION_NAMES)
  return usage([
    `unknown option ${shown(name)}.${near ? ` Did you mean ${near}?` : ''}`,
    `The options are ${OPTION_NAMES.join(', ')}.`,
  ].join(' '))
}

/**
 * Checks every option and fills in every default, in one place. Options
 * come from untyped (`.js`) configs too, so nothing is assumed: a wrong
 * value is refused (USAGE) instead of falling back to a default that would
 * turn a guard off.
 */
export function resolveOptions(options: unknown = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw usage(
      `the options must be an object, for example secrets({ client: ['PUBLIC_MAPS_KEY'] }); got ${kindOf(options)}.`,
    )
  }
  const given = options as Record<string, unknown>
  const unknown = Object.keys(given).find(name => !Object.hasOwn(OPTION_RULES, name))
  if (unknown !== undefined) throw unknownOption(unknown)
  const resolved: Record<string, unknown> = {}
  for (const [name, rule] of Object.entries(OPTION_RULES) as [string, OptionRule<unknown>][]) {
    const value = given[name]
    const problem = value === undefined ? undefined : rule.problem(value)
    if (problem !== undefined) throw usage(`${name} must be ${rule.accepts}; ${problem}.`)
    resolved[name] = value === undefined ? rule.default : value
  }
  if (given.store !== undefined && given.environment !== undefined) {
    throw usage([
      'store and environment both choose the store: give one.',
      'store names a file; environment: \'NAME\' reads secrets.NAME.enc.json in the root.',
    ].join(' '))
  }
  return resolved as ResolvedOptions
}
