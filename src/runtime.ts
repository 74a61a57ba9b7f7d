/**
 * Start-up resolution for server builds made with `mode: 'runtime'`: the
 * built config modules import this and resolve their references from the
 * store when the server starts, so no value is written to `dist/`; each
 * server entry checks every config before anything else runs.
 *
 * @module unplugin-secrets/runtime
 * @example
 * ```sh
 * UNPLUGIN_SECRETS_KEY=usec_store_… node dist/server.js
 * ```
 */
export { SecretsError } from './core/errors'
export { checkAtStartUp, resolveConfig } from './core/runtime'
export type { RuntimeConfigOptions, StartUpCheck } from './core/runtime'
