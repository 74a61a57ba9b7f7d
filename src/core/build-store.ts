/**
 * Which store a build reads: the store option, else the environment option (a
 * name, or a function of the build), else in Vite the mode's store when it
 * exists, else secrets.enc.json. Chosen once per plugin instance, never changed.
 */
import { existsSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { environmentNameProblem } from './names'
import type { BuildInfo, ResolvedOptions } from './options'
import { SecretsError } from './errors'
import {
  ALL_ENVIRONMENTS,
  checkEnvironment,
  DEFAULT_ENVIRONMENT,
  environmentOfStore,
  storeFileName,
  storesIn,
} from './store/locate'

export interface BuildStore {
  path: string
  /** The environment the file is named for; undefined for a store option of another name. */
  environment: string | undefined
  /** What chose it, for the build's line: `Vite mode production`, `the environment option`. */
  reason: string
}

/** The name a function given as the environment option returned, checked as the option is. */
function calledEnvironment(choose: (build: BuildInfo) => string, build: BuildInfo): string {
  const name = choose(build)
  if (name === ALL_ENVIRONMENTS) {
    throw new SecretsError('USAGE', [
      'unplugin-secrets: the environment option\'s function returned "all";',
      'a build reads one environment\'s store.',
    ].join(' '))
  }
  return checkEnvironment(name, 'unplugin-secrets: what the environment option\'s function returned')
}

/**
 * Vite only: the mode's store (secrets.production.enc.json for `vite build`), when the mode is an
 * environment name and the file exists.
 */
function modeStore(root: string, build: BuildInfo): BuildStore | undefined {
  const { mode } = build
  if (
    build.bundler !== 'vite'
    || mode === undefined
    || mode === ALL_ENVIRONMENTS
    || environmentNameProblem(mode) !== undefined
  ) {
    return undefined
  }
  const path = resolve(root, storeFileName(mode))
  return existsSync(path) ? { path, environment: mode, reason: `Vite mode ${mode}` } : undefined
}

/** `storeGiven`: the store option was given (its default alone does not pin the file). */
export function chooseBuildStore(
  options: ResolvedOptions,
  storeGiven: boolean,
  root: string,
  build: BuildInfo,
): BuildStore {
  if (storeGiven) {
    return {
      path: resolve(root, options.store),
      environment: environmentOfStore(options.store),
      reason: 'the store option',
    }
  }
  const { environment } = options
  if (environment !== undefined) {
    const name = typeof environment === 'function' ? calledEnvironment(environment, build) : environment
    return { path: resolve(root, storeFileName(name)), environment: name, reason: 'the environment option' }
  }
  const byMode = modeStore(root, build)
  if (byMode) return byMode
  const unmatched = build.bundler === 'vite' && build.mode !== undefined && build.mode !== DEFAULT_ENVIRONMENT
    ? `Vite mode ${build.mode} has no ${storeFileName(build.mode)}`
    : 'the default'
  return {
    path: resolve(root, storeFileName(DEFAULT_ENVIRONMENT)),
    environment: DEFAULT_ENVIRONMENT,
    reason: unmatched,
  }
}

/**
 * Whether the build's line is worth printing: the project has environments
 * (the store is one's, or another environment's store lies beside it). A
 * one-store project's builds print what they printed before: nothing.
 */
export const hasEnvironments = (store: BuildStore): boolean =>
  (store.environment !== undefined && store.environment !== DEFAULT_ENVIRONMENT)
  || storesIn(dirname(store.path)).some(({ environment }) => environment !== DEFAULT_ENVIRONMENT)

/**
 * The line a build prints once: `unplugin-secrets: environment production,
 * secrets.production.enc.json (Vite mode production)`.
 */
export function buildStoreLine(store: BuildStore, root: string): string {
  const shown = relative(root, store.path) || store.path
  const what = store.environment === undefined ? `store ${shown}` : `environment ${store.environment}, ${shown}`
  return `unplugin-secrets: ${what} (${store.reason})`
}
