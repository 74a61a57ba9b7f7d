/**
 * The unplugin factory: one context per plugin instance, the shared transform,
 * and each bundler family's hooks (core/bundlers/) composed into one plugin.
 */
import type { UnpluginFactory } from 'unplugin'
import { esbuildHooks } from './bundlers/esbuild'
import { farmHooks } from './bundlers/farm'
import { reportLocated, rolldownHooks, rollupHooks } from './bundlers/rollup'
import type { LocatingErrorContext } from './bundlers/rollup'
import type { DevServerExtension } from './bundlers/vite'
import { viteHooks, viteModuleTarget } from './bundlers/vite'
import { failLoader, webpackLikeHook } from './bundlers/webpack'
import { SecretsContext } from './context'
import type { FrameworkSetup } from './context'
import { SecretsError } from './errors'
import type { Options } from './options'

export type { DevServerExtension } from './bundlers/vite'
export type { FrameworkSetup } from './context'

/**
 * The factory; `extendDevServer` adds to Vite's dev server what core does not
 * own (the dashboard), `setup` what a framework entry fixes (root, shared start-up list).
 */
export function createUnpluginFactory(
  extendDevServer?: DevServerExtension,
  setup?: FrameworkSetup,
): UnpluginFactory<Options | undefined, false> {
  return (rawOptions, meta) => {
    const ctx = new SecretsContext(rawOptions, meta.framework, setup)
    return {
      name: 'unplugin-secrets',
      enforce: 'pre',
      transform: {
        filter: { id: { include: ctx.options.include, exclude: ctx.options.exclude } },
        async handler(code, id) {
          if (meta.framework === 'farm') return // Farm expands in its load hook
          const target = meta.framework === 'vite' ? viteModuleTarget(this) : ctx.buildTarget
          try {
            return await ctx.transform(code, id, target, file => this.addWatchFile(file))
          }
          catch (error) {
            if (!(error instanceof SecretsError)) throw error
            if (meta.framework === 'webpack' || meta.framework === 'rspack') failLoader(error)
            return reportLocated(this as LocatingErrorContext, error, id)
          }
        },
      },
      // Every bundler but esbuild calls it: a config's declaration (dts: true) follows the file.
      watchChange: (id, { event }) => ctx.followConfigChange(id, event),
      vite: viteHooks(ctx, extendDevServer),
      rollup: rollupHooks(ctx),
      rolldown: rolldownHooks(ctx),
      webpack: webpackLikeHook(ctx),
      rspack: webpackLikeHook(ctx),
      esbuild: esbuildHooks(ctx),
      farm: farmHooks(ctx),
    }
  }
}
