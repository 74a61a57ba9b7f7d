/**
 * The unplugin factory: one context per plugin instance, the shared transform,
 * and each bundler family's hooks (core/bundlers/) composed into one plugin.
 */
import type { UnpluginFactory } from 'unplugin'
import { esbuildHooks } from './bundlers/esbuild'
import { farmHooks } from './bundlers/farm'
import { rolldownHooks, rollupHooks } from './bundlers/rollup'
import type { DevServerExtension } from './bundlers/vite'
import { viteHooks, viteModuleTarget } from './bundlers/vite'
import { webpackLikeHook } from './bundlers/webpack'
import { SecretsContext } from './context'
import type { Options } from './options'

export type { DevServerExtension } from './bundlers/vite'

/** The factory; `extendDevServer` adds to Vite's dev server what core does not own (the dashboard). */
export function createUnpluginFactory(extendDevServer?: DevServerExtension): UnpluginFactory<Options | undefined, false> {
  return (rawOptions, meta) => {
    const ctx = new SecretsContext(rawOptions, meta.framework)
    return {
      name: 'unplugin-secrets',
      enforce: 'pre',
      transform: {
        filter: { id: { include: ctx.options.include, exclude: ctx.options.exclude } },
        async handler(code, id) {
          if (meta.framework === 'farm') return // Farm expands in its load hook
          const target = meta.framework === 'vite' ? viteModuleTarget(this) : ctx.buildTarget
          return ctx.transform(this, code, id, target)
        },
      },
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
