/**
 * The bundler plugin: `${secret.NAME}` in imported YAML and JSON configs is
 * replaced by the value from the encrypted store.
 *
 * @module unplugin-secrets
 * @example
 * ```ts
 * // vite.config.ts
 * import secrets from 'unplugin-secrets/vite'
 * export default { plugins: [secrets()] }
 * ```
 */
import { createUnplugin } from 'unplugin'
import type { UnpluginInstance } from 'unplugin'
import type { Options } from './core/options'
import { createUnpluginFactory } from './core/plugin'

/** Core imports no dashboard code: the Vite dev server gets the dashboard from here, loaded only when it starts. */
const unpluginFactory = /* #__PURE__ */ createUnpluginFactory(async (server, ctx) => {
  const { mountPluginDashboard } = await import('./dashboard/mount')
  await mountPluginDashboard(server, ctx)
})

/** One plugin per call, never an array (`false`): users' types show `Plugin`, not `Plugin | Plugin[]`. */
export const unplugin: UnpluginInstance<Options | undefined, false> = /* #__PURE__ */ createUnplugin(unpluginFactory)

export default unplugin
export { SecretsError } from './core/errors'
export type { BuildInfo, Options } from './core/options'
