/**
 * unplugin-secrets for Nuxt: a module that adds the plugin to Vite (client and
 * SSR) and to Nitro's Rollup build, with the store resolved from Nuxt's
 * rootDir, and scans Nitro's public folder (prerendered pages) after the build.
 *
 * @module unplugin-secrets/nuxt
 * @example
 * ```ts
 * // nuxt.config.ts
 * export default defineNuxtConfig({
 *   modules: ['unplugin-secrets/nuxt'],
 *   secrets: { mode: 'runtime' },
 * })
 * ```
 */
import { addVitePlugin, defineNuxtModule, useLogger } from '@nuxt/kit'
// From nuxt/schema, not @nuxt/schema: every Nuxt app resolves the nuxt package, not always
// @nuxt/schema (a nested dependency).
import type { NuxtModule } from 'nuxt/schema'
import { createUnplugin } from 'unplugin'
import type { SecretsContext } from './core/context'
import type { Options } from './core/options'
import { createUnpluginFactory } from './core/plugin'
import { scanBrowserFolder } from './core/written-output'

/** Why `nuxt dev` has no dashboard, and what to use instead. */
const NO_DASHBOARD = 'the dashboard is not served by nuxt dev: '
  + 'Nuxt runs Vite in middleware mode behind its own server (and a proxy), '
  + 'so the dashboard cannot check which host and port a request came to. '
  + 'Manage secrets with the CLI instead: npx unplugin-secrets list | set NAME | rm NAME.'

/**
 * The Nitro hooks the module uses, typed here: their types come with nitropack, which Nuxt brings
 * and this package does not.
 */
interface NitroHooks {
  hook: ((name: 'nitro:config', run: (config: { rollupConfig?: { plugins?: unknown } }) => void) => void)
    & ((name: 'nitro:init', run: (nitro: Nitro) => void) => void)
}
interface Nitro {
  options: { output: { publicDir: string } }
  hooks: { hook: (name: 'compiled', run: () => Promise<void>) => void }
}

const secretsModule: NuxtModule<Options> = defineNuxtModule<Options>({
  meta: { name: 'unplugin-secrets', configKey: 'secrets' },
  setup(options, nuxt) {
    const logger = useLogger('unplugin-secrets')
    let ctx: SecretsContext | undefined
    // One start-up list for both builds: Nitro's server entry checks the configs of the Vue app's SSR build too.
    const setup = {
      root: nuxt.options.rootDir,
      startUpConfigs: new Map<string, string[]>(),
      onContext: (made: SecretsContext) => {
        ctx ??= made
      },
    }
    const plugins = createUnplugin(createUnpluginFactory(undefined, setup))
    addVitePlugin(plugins.vite(options))
    const nitroPlugin = plugins.rollup(options)
    const nitroHooks = nuxt as unknown as NitroHooks
    nitroHooks.hook('nitro:config', (config) => {
      config.rollupConfig ??= {}
      config.rollupConfig.plugins = [nitroPlugin, ...[config.rollupConfig.plugins ?? []].flat()]
    })
    if (nuxt.options.dev) {
      if (options.dashboard !== false) nuxt.hook('listen', () => logger.info(NO_DASHBOARD))
      return
    }
    nitroHooks.hook('nitro:init', (nitro) => {
      // After Nitro's build: the public folder holds the client bundle, public/ and every prerendered page and payload.
      nitro.hooks.hook('compiled', async () => {
        if (ctx) {
          await scanBrowserFolder(ctx, nitro.options.output.publicDir, 'Nuxt public (browser)', message =>
            logger.warn(message))
        }
      })
    })
  },
})

export default secretsModule
export type { Options } from './core/options'
