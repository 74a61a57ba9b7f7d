import { SecretsError } from './errors'
import type { FilterPattern } from 'unplugin'

export interface Options {
  /**
   * The store file, relative to the bundler's root (Vite `root`, webpack
   * `context`, else the current directory).
   * @default 'secrets.enc.json'
   */
  store?: string
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
}

export interface ResolvedOptions {
  store: string
  key: string | undefined
  include: FilterPattern
  exclude: FilterPattern
  client: string[]
  target: 'browser' | 'server'
  mode: 'inline' | 'runtime'
  cache: boolean | string
  dashboard: boolean
  maxAge: number | false
}

/** Every default in one place. */
export function resolveOptions(options: Options = {}): ResolvedOptions {
  const maxAge = options.maxAge ?? 90
  // Checked here, so a build with a bad value fails too (not only a dev server).
  if (maxAge !== false && !(typeof maxAge === 'number' && maxAge > 0 && Number.isFinite(maxAge)))
    throw new SecretsError('USAGE', `unplugin-secrets: maxAge must be a number of days above 0, or false to turn the dashboard's rotation banner off; got ${JSON.stringify(maxAge)}.`)
  return {
    store: options.store ?? 'secrets.enc.json',
    key: options.key,
    include: options.include ?? [/\.ya?ml$/, /\.json$/],
    exclude: options.exclude ?? [/[\\/]node_modules[\\/]/],
    client: options.client ?? [],
    target: options.target ?? 'server',
    mode: options.mode ?? 'inline',
    cache: options.cache ?? true,
    dashboard: options.dashboard ?? true,
    maxAge,
  }
}
