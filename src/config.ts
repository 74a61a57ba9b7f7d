/**
 * Config loading without a bundler: read a YAML or JSON file with its
 * `${secret.NAME}` references expanded, or expand an object loaded by
 * another tool (c12, unconfig, cosmiconfig).
 *
 * @module unplugin-secrets/config
 * @example
 * ```ts
 * import { loadConfig, resolveSecrets } from 'unplugin-secrets/config'
 * const config = await loadConfig('config/integrations.yaml')
 * const fromC12 = await resolveSecrets((await loadC12Config({ name: 'app' })).config)
 * ```
 */
export { expandConfig, loadConfig, resolveSecrets } from './core/config'
export type { ConfigOptions, ExpandedConfig } from './core/config'
export { SecretsError } from './core/errors'
