/**
 * Vite's hooks: each module's environment tells browser from server, the dev
 * server refuses the package's files, and store changes reach the configs that use it.
 */
import type { UnpluginOptions } from 'unplugin'
import type { ViteDevServer } from 'vite'
import type { ModuleTarget, SecretsContext } from '../context'
import { fileStamp } from '../resolver'
import { removeAssets, writtenForBrowser } from '../written-output'
import { refusePackageFiles } from './dev-server-guard'
import { loadEnvFiles } from './vite-env'
import { bundleAssets } from './rollup'
import { StartUpEntries } from './start-up'

type ViteHooks = NonNullable<UnpluginOptions['vite']>

/**
 * Something to add to Vite's dev server besides the plugin's own middleware (the dashboard, mounted
 * from outside core).
 */
export type DevServerExtension = (server: ViteDevServer, context: SecretsContext) => Promise<void>

/** The environment of a Vite transform, as far as the plugin reads it. */
interface ViteEnvironmentContext {
  environment?: { mode?: string, config?: { consumer?: string } }
}

/**
 * The browser output folders of every Vite build in this process. Frameworks
 * run the client and the server build as two builds (two plugin instances:
 * React Router, SvelteKit), and prerender into the client's folder at the
 * end of the server build, so the server build looks at what the client's wrote.
 */
const browserFolders = new Set<string>()
/** The server output folders of this process's Vite builds: what is written there is not for the browser. */
const serverFolders = new Set<string>()

/** A server environment's build (not the dev server, whose closeBundle runs when it stops). */
function isServerBuild(context: unknown): boolean {
  const { environment } = context as ViteEnvironmentContext
  return environment?.config?.consumer === 'server' && environment.mode === 'build'
}

/** Vite knows which environment each module is for: client modules are browser code, even in dev. */
export function viteModuleTarget(context: unknown): ModuleTarget {
  const { environment } = context as ViteEnvironmentContext
  return { forBrowser: environment?.config?.consumer !== 'server', inDevServer: environment?.mode === 'dev' }
}

export function viteHooks(ctx: SecretsContext, extendDevServer?: DevServerExtension): ViteHooks {
  /** The dev server (to replay a store change its watcher dropped) and the pending re-check. */
  let devServer: ViteDevServer | undefined
  let settle: ReturnType<typeof setTimeout> | undefined
  const startUp = new StartUpEntries(ctx)
  return {
    async configResolved(config) {
      ctx.useBundlerRoot(config.root)
      ctx.build.mode = config.mode
      ctx.info = message => config.logger.info(message)
      await loadEnvFiles(config)
    },
    async configureServer(server) {
      devServer = server
      refusePackageFiles(server, ctx)
      if (ctx.options.dashboard) await extendDevServer?.(server, ctx)
    },
    buildStart() {
      ctx.buildStartedAt ??= Date.now()
    },
    renderChunk(code, chunk, { format }) {
      return startUp.applies(isServerBuild(this), format) ? startUp.renderChunk(code, chunk, format) : null
    },
    // order 'post': after every other plugin's generateBundle, so assets they add (HTML, CSS) are scanned too.
    generateBundle: {
      order: 'post',
      async handler({ format, dir }, bundle) {
        if (dir) (isServerBuild(this) ? serverFolders : browserFolders).add(dir)
        if (isServerBuild(this)) return startUp.applies(true, format) ? startUp.emit(this, format) : undefined
        const message = await ctx.scanOutput(bundleAssets(bundle), `${this.environment.name} (browser) bundle`, {
          warn: text => this.warn(text),
        })
        if (message) this.error(message)
      },
    },
    // After a server build (and what frameworks do at its end: prerendering, adapters), whose hooks run first.
    closeBundle: {
      order: 'post',
      sequential: true,
      async handler() {
        if (!isServerBuild(this) || ctx.buildStartedAt === undefined) return
        const assets = await writtenForBrowser(
          ctx.root,
          { browser: browserFolders, server: serverFolders },
          ctx.buildStartedAt,
        )
        if (assets.length === 0) return
        const hits = new Set<string>()
        const message = await ctx.scanOutput(assets, 'prerendered (browser)', {
          warn: text => this.warn(text),
          onHit: hit => hits.add(hit),
        })
        if (!message) return
        await removeAssets(ctx.root, hits)
        this.error(message)
      },
    },
    async hotUpdate({ file }) {
      if (file !== ctx.storePath) return
      // The watcher can drop the last of several quick changes (chokidar throttles change events per file):
      // look at the file again once things settle, and replay the change if it moved on since this one.
      const seen = await fileStamp(file)
      clearTimeout(settle)
      settle = setTimeout(() => {
        void fileStamp(file).then(now => now !== seen && devServer?.watcher.emit('change', file))
      }, 300)
      settle.unref()
      // Import analysis skips JSON, so JSON configs are not linked to the store: name them.
      const modules = [...ctx.storeUsers].flatMap(id => [...(this.environment.moduleGraph.getModulesByFile(id) ?? [])])
      // A plain (non-HMR) invalidation too: it stamps the module, so a transform that started before this
      // store change (and read the old values) is not kept as its result; an HMR invalidation alone does not.
      for (const module of modules) this.environment.moduleGraph.invalidateModule(module)
      return modules.length ? modules : undefined
    },
  }
}
