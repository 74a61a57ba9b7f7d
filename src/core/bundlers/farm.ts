/**
 * Farm's hooks: targetEnv tells browser from server, configs are expanded in
 * `load` (Farm needs a loader for YAML and turns JSON into JS before any
 * transform), and a browser build's resources are scanned before they are written.
 */
import { readFile } from 'node:fs/promises'
import type { FilterPattern, UnpluginOptions } from 'unplugin'
import type { SecretsContext } from '../context'
import type { ExpandedModule } from '../formats/types'
import { SecretsError } from '../errors'
import { CONFIG_FILE } from '../formats/registry'

type FarmHooks = NonNullable<UnpluginOptions['farm']>
/** A resource as Farm's finalizeResources hands it over: its bytes as an array of numbers. */
interface FarmResource { bytes: number[] | Uint8Array }

/** include/exclude for Farm's raw hooks, where unplugin's filter does not run: regexes, and strings as substrings. */
function matchesFilter(id: string, include: FilterPattern, exclude: FilterPattern): boolean {
  const test = (pattern: FilterPattern) =>
    [pattern].flat().some(p => (typeof p === 'string' ? id.includes(p) : p.test(id.replace(/\\/g, '/'))))
  return test(include) && !test(exclude)
}

export function farmHooks(ctx: SecretsContext): FarmHooks {
  return {
    configResolved(config) {
      ctx.useBundlerRoot(config.root ?? ctx.root)
      ctx.build.mode = config.compilation?.mode
      // The resolved config Farm hands plugins has no logger: its own lines go to the console too.
      ctx.info = message => console.info(message) // eslint-disable-line no-console
      ctx.browserBuild = !/node/.test(config.compilation?.output?.targetEnv ?? 'browser')
    },
    load: {
      filters: { resolvedPaths: [`(?i)${CONFIG_FILE.source}`] }, // a Rust regex: (?i) for any case
      async executor(params, context) {
        const id = params.resolvedPath
        if (!matchesFilter(id, ctx.options.include, ctx.options.exclude)) return null
        let result: ExpandedModule | undefined
        try {
          result = await ctx.expand(await readFile(id, 'utf8'), id, ctx.buildTarget)
        }
        catch (error) {
          throw error instanceof SecretsError ? new Error(error.message) : error
        }
        if (!result) return null
        if (result.names.size > 0) context?.addWatchFile(id, ctx.storePath)
        return { content: result.code, moduleType: 'js', sourceMap: JSON.stringify(result.map) }
      },
    },
    finalizeResources: {
      // Farm writes nothing when this throws; returning the map (even unchanged) made Farm 1.7
      // panic, so it returns nothing.
      async executor({ resourcesMap }: { resourcesMap: Record<string, FarmResource> }) {
        if (!ctx.browserBuild) return undefined
        const assets = Object.entries(resourcesMap).map(([name, resource]) => ({
          name,
          text: new TextDecoder().decode(Uint8Array.from(resource.bytes)),
        }))
        const message = await ctx.scanOutput(assets, 'browser bundle', { warn: text => console.warn(text) })
        if (message) throw new Error(message)
        return undefined
      },
    },
  }
}
