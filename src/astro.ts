/**
 * unplugin-secrets for Astro: an integration that adds the plugin to Astro's
 * Vite builds, prints the dashboard's sign-in link in `astro dev`, and scans
 * everything written for the browser after the build, prerendered pages included.
 *
 * @module unplugin-secrets/astro
 * @example
 * ```ts
 * // astro.config.mjs
 * import { defineConfig } from 'astro/config'
 * import secrets from 'unplugin-secrets/astro'
 *
 * export default defineConfig({ integrations: [secrets()] })
 * ```
 */
import { fileURLToPath } from 'node:url'
import { createUnplugin } from 'unplugin'
import type { SecretsContext } from './core/context'
import type { Options } from './core/options'
import type { DevServerExtension } from './core/plugin'
import { createUnpluginFactory } from './core/plugin'
import { scanBrowserFolder } from './core/written-output'
import type { DashboardBanner } from './dashboard/mount'

/** The part of Astro's logger the integration uses. */
interface AstroLogger {
  info: (message: string) => void
  warn: (message: string) => void
}

/** Astro's `updateConfig`: `vite` as any object, so Astro's own (typed with its own Vite's plugin type) fits. */
type UpdateConfig = (config: { vite: object }) => unknown

/**
 * The hooks, in the shape Astro 5 calls them: the object fits Astro's own
 * `AstroIntegration` type (checked against Astro 5) without importing it.
 */
export interface SecretsAstroIntegration {
  name: 'unplugin-secrets'
  hooks: {
    'astro:config:setup': (options: { config: { root: URL }, updateConfig: UpdateConfig }) => void
    'astro:server:start': (options: { address: { port: number }, logger: AstroLogger }) => void
    'astro:build:done': (options: { dir: URL, logger: AstroLogger }) => Promise<void>
  }
}

/** The integration: `integrations: [secrets({ client: ['PUBLIC_MAPS_KEY'] })]`, options as for every bundler. */
export default function secrets(options?: Options): SecretsAstroIntegration {
  let ctx: SecretsContext | undefined
  let banner: DashboardBanner | undefined
  const mountDashboard: DevServerExtension = async (server, context) => {
    const { mountPluginDashboard } = await import('./dashboard/mount')
    banner = await mountPluginDashboard(server, context, { printUrls: false }) // Astro prints its own banner
  }
  return {
    name: 'unplugin-secrets',
    hooks: {
      'astro:config:setup': ({ config, updateConfig }) => {
        const root = fileURLToPath(config.root)
        const factory = createUnpluginFactory(mountDashboard, { root, onContext: (made) => { ctx = made } })
        updateConfig({ vite: { plugins: [createUnplugin(factory).vite(options)] } })
      },
      'astro:server:start': ({ address, logger }) => {
        for (const line of banner?.(`http://localhost:${address.port}/`) ?? []) logger.info(line)
      },
      'astro:build:done': async ({ dir, logger }) => {
        if (ctx) await scanBrowserFolder(ctx, fileURLToPath(dir), 'Astro (browser)', message => logger.warn(message))
      },
    },
  }
}

export type { Options } from './core/options'
