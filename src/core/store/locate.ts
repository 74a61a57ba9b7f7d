/**
 * Where tools find a store: one file per environment, `secrets.enc.json` (the
 * default) and `secrets.<env>.enc.json` beside it, chosen by --store / --env,
 * UNPLUGIN_SECRETS_STORE / UNPLUGIN_SECRETS_ENV, else the nearest file.
 * (No crypto imports here: the CLI loads this before it knows what a command needs.)
 */
import { existsSync, readdirSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { SecretsError } from '../errors'
import { ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE, environmentNameProblem } from '../names'

export const DEFAULT_STORE_PATH = 'secrets.enc.json'
/** The environment whose store is `secrets.enc.json`. */
export const DEFAULT_ENVIRONMENT = 'default'
/** `--env all` (list and check): every environment's store. */
export const ALL_ENVIRONMENTS = 'all'
export const STORE_PATH_ENV = 'UNPLUGIN_SECRETS_STORE'
export const ENVIRONMENT_ENV = 'UNPLUGIN_SECRETS_ENV'

/**
 * Every environment's store file name (the environment in group 1), unanchored: `secrets.enc.json`,
 * `secrets.production.enc.json`.
 */
export const STORE_FILE_NAME = `secrets(?:\\.(${ENVIRONMENT_NAME_PATTERN.source.slice(1, -1)}))?\\.enc\\.json`
const STORE_FILE = new RegExp(`^${STORE_FILE_NAME}$`)

/** The store file of an environment, in the folder of the default store. */
export const storeFileName = (environment: string): string =>
  (environment === DEFAULT_ENVIRONMENT ? DEFAULT_STORE_PATH : `secrets.${environment}.enc.json`)

/** The environment a store file is named for (`default` for secrets.enc.json), or undefined for any other name. */
export function environmentOfStore(path: string): string | undefined {
  const named = STORE_FILE.exec(basename(path))
  if (!named) return undefined
  const environment = named[1] ?? DEFAULT_ENVIRONMENT
  // secrets.default.enc.json and secrets.all.enc.json are no environment's file: those names mean something else.
  return named[1] === DEFAULT_ENVIRONMENT || named[1] === ALL_ENVIRONMENTS ? undefined : environment
}

/** The one check of an environment name; `where` says where it was given (`--env`, the environment option). */
export function checkEnvironment(name: unknown, where: string): string {
  const problem = environmentNameProblem(name)
  if (problem !== undefined) {
    throw new SecretsError('USAGE', [
      `${where} must be an environment name, ${ENVIRONMENT_NAME_RULE},`,
      `for example production (${DEFAULT_ENVIRONMENT} is ${DEFAULT_STORE_PATH}); ${problem}.`,
    ].join(' '))
  }
  return name as string
}

/** One environment's store file. */
export interface EnvironmentStore {
  environment: string
  path: string
}

const byEnvironment = (a: EnvironmentStore, b: EnvironmentStore): number => {
  if (a.environment === DEFAULT_ENVIRONMENT) return -1
  if (b.environment === DEFAULT_ENVIRONMENT) return 1
  return a.environment < b.environment ? -1 : 1
}

/** The stores in `folder`: the default first, then by name. */
export function storesIn(folder: string): EnvironmentStore[] {
  let names: string[]
  try {
    names = readdirSync(folder)
  }
  catch {
    return []
  }
  return names.flatMap((name) => {
    const environment = environmentOfStore(name)
    return environment === undefined ? [] : [{ environment, path: join(folder, name) }]
  }).sort(byEnvironment)
}

/** The stores of the nearest folder, from `from` up, that holds any (`--env all`). */
export function findEnvironmentStores(from: string = process.cwd()): EnvironmentStore[] {
  for (let folder = resolve(from); ; folder = dirname(folder)) {
    const stores = storesIn(folder)
    if (stores.length > 0 || dirname(folder) === folder) return stores
  }
}

/** The nearest `file` in `from` or a parent folder, else `file` in `from`. */
function nearest(file: string, from: string): string {
  for (let folder = resolve(from); ; folder = dirname(folder)) {
    const candidate = join(folder, file)
    if (existsSync(candidate)) return candidate
    if (dirname(folder) === folder) return resolve(from, file)
  }
}

/** A store asked for by path or by environment, and where it was asked (`--env`, UNPLUGIN_SECRETS_STORE). */
export type StoreRequest = { store: string, by: string } | { environment: string, by: string }

function requestFrom(
  store: string | undefined,
  environment: string | undefined,
  storeLabel: string,
  environmentLabel: string,
): StoreRequest | undefined {
  if (store !== undefined && environment !== undefined) {
    throw new SecretsError('USAGE', [
      `${storeLabel} and ${environmentLabel} both choose the store: give one.`,
      `${storeLabel} names a file; ${environmentLabel}${environmentLabel.startsWith('--') ? ' ' : '='}NAME`,
      `means ${storeFileName('NAME')} (the nearest).`,
    ].join(' '))
  }
  if (store !== undefined) return { store, by: storeLabel }
  if (environment !== undefined)
    return { environment: checkEnvironment(environment, environmentLabel), by: environmentLabel }
  return undefined
}

/**
 * Which store was asked for: the command line (`--store`, `--env`) beats the
 * variables (UNPLUGIN_SECRETS_STORE, UNPLUGIN_SECRETS_ENV); a path and an
 * environment from the same place are refused (USAGE), since which one was
 * meant cannot be known. Undefined: nothing was asked (the nearest default store).
 */
export function storeRequest(commandLine: { store?: string, environment?: string } = {}): StoreRequest | undefined {
  const variables = {
    store: process.env[STORE_PATH_ENV] || undefined,
    environment: process.env[ENVIRONMENT_ENV] || undefined,
  }
  return requestFrom(commandLine.store, commandLine.environment, '--store', '--env')
    ?? requestFrom(variables.store, variables.environment, STORE_PATH_ENV, ENVIRONMENT_ENV)
}

/** The store a tool uses, the environment it is named for, and what asked for it (for messages). */
export interface StoreChoice {
  path: string
  environment: string | undefined
  by: string | undefined
}

/**
 * The file for a request: a path as given; an environment's file, the nearest
 * from `from` up (`create`, for init: in `from`); without a request, the
 * nearest secrets.enc.json.
 */
export function chooseStore(
  request: StoreRequest | undefined,
  { from = process.cwd(), create = false } = {},
): StoreChoice {
  if (request && 'store' in request)
    return { path: resolve(request.store), environment: environmentOfStore(request.store), by: request.by }
  const environment = request?.environment ?? DEFAULT_ENVIRONMENT
  const file = storeFileName(environment)
  return { path: create ? resolve(from, file) : nearest(file, from), environment, by: request?.by }
}

/**
 * Where tools look for the store when no path is given: the variables
 * (UNPLUGIN_SECRETS_STORE or UNPLUGIN_SECRETS_ENV), else the nearest
 * secrets.enc.json in `from` or a parent folder, else one in `from`.
 */
export const findStore = (from: string = process.cwd()): string => chooseStore(storeRequest(), { from }).path

/** "environment production" for a store named for one other than the default, for messages; else ''. */
export function environmentLabel(path: string): string {
  const environment = environmentOfStore(path)
  return environment === undefined || environment === DEFAULT_ENVIRONMENT ? '' : `environment ${environment}`
}

export function storeNotFound(path: string): SecretsError {
  const label = environmentLabel(path)
  const init = label ? `unplugin-secrets init --env ${environmentOfStore(path)}` : 'unplugin-secrets init'
  return new SecretsError('STORE_NOT_FOUND', [
    `No store at ${path}${label ? ` (${label})` : ''}. Create one with ${init}, or point to yours (CLI --store`,
    'or --env, plugin store or environment option, API path option, UNPLUGIN_SECRETS_STORE or UNPLUGIN_SECRETS_ENV).',
  ].join(' '))
}
