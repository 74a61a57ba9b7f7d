/**
 * Rollup's and Rolldown's hooks: the `target` option tells browser from
 * server, the browser bundle is scanned, and runtime-mode JSON is loaded here.
 */
import { readFile } from 'node:fs/promises'
import type { UnpluginOptions } from 'unplugin'
import type { OutputAsset, SecretsContext } from '../context'
import { formatLocation, SecretsError } from '../errors'
import { formatByExtension, hasReferences } from '../formats/registry'
import { StartUpEntries } from './start-up'

type RollupHooks = NonNullable<UnpluginOptions['rollup']>
type RolldownHooks = NonNullable<UnpluginOptions['rolldown']>

/** Rollup, runtime mode: a JSON config with references, loaded by us as a module (out of @rollup/plugin-json's way). */
const RUNTIME_JSON = '?unplugin-secrets-runtime'

/**
 * The part of Rollup's, Rolldown's, Vite's and (through unplugin) esbuild's transform context that
 * reports an error.
 */
export interface LocatingErrorContext {
  error: (
    error: string | { message: string, id: string, loc: SourcePosition & { file: string } },
    position?: SourcePosition,
  ) => void
}

interface SourcePosition { line: number, column: number }

/**
 * A config's error for a bundler that shows the location itself (in its own
 * column convention): the location goes in `loc`, and the message says only
 * what is wrong, so the user reads one location, not two that differ by one.
 * Given the position too, Rollup, Rolldown and Vite add a code frame of the
 * config's line (its text as written: a reference, never a value).
 */
export function reportLocated(context: LocatingErrorContext, error: SecretsError, id: string): void {
  if (!error.loc) return context.error(error.message)
  const prefix = `${formatLocation(error.loc)}: `
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message
  const position = { line: error.loc.line, column: error.loc.column }
  context.error({ message, id, loc: { ...position, file: id } }, position)
}

/** A Rollup-style output bundle (Rollup, Rolldown, Vite) as text assets. */
export function bundleAssets(
  bundle: Record<string, { type: string, code?: string, source?: string | Uint8Array }>,
): OutputAsset[] {
  return Object.entries(bundle).map(([name, output]) => ({
    name,
    text:
      output.type === 'chunk'
        ? output.code ?? ''
        : typeof output.source === 'string'
          ? output.source
          : new TextDecoder().decode(output.source),
  }))
}

export function rollupHooks(ctx: SecretsContext): RollupHooks {
  const startUp = new StartUpEntries(ctx)
  return {
    buildStart() {
      ctx.info = message => this.info(message)
    },
    async resolveId(source, importer, resolveOptions) {
      const format = formatByExtension(source)
      if (ctx.options.mode !== 'runtime' || ctx.browserBuild || format?.bundledAs !== 'itself') return null
      const resolved = await this.resolve(source, importer, { ...resolveOptions, skipSelf: true })
      if (!resolved || resolved.external) return null
      const text = await readFile(resolved.id, 'utf8').catch(() => undefined)
      return text !== undefined && hasReferences(format, text, resolved.id) ? `${resolved.id}${RUNTIME_JSON}` : null
    },
    async load(id) {
      if (!id.endsWith(RUNTIME_JSON)) return null
      const file = id.slice(0, -RUNTIME_JSON.length)
      try {
        const result = (await ctx.expand(await readFile(file, 'utf8'), file, ctx.buildTarget))!
        return { code: result.code, map: result.map }
      }
      catch (error) {
        if (!(error instanceof SecretsError)) throw error
        return this.error(error.message)
      }
    },
    renderChunk(code, chunk, { format }) {
      return startUp.applies(!ctx.browserBuild, format) ? startUp.renderChunk(code, chunk, format) : null
    },
    generateBundle: {
      order: 'post', // after every other plugin's generateBundle, so assets they add are scanned too
      async handler({ format }, bundle) {
        if (!ctx.browserBuild) return startUp.applies(true, format) ? startUp.emit(this, format) : undefined
        const message = await ctx.scanOutput(bundleAssets(bundle), 'browser bundle', { warn: text => this.warn(text) })
        if (message) this.error(message)
      },
    },
  }
}

export function rolldownHooks(ctx: SecretsContext): RolldownHooks {
  const startUp = new StartUpEntries(ctx)
  return {
    buildStart() {
      ctx.info = message => this.info(message)
    },
    renderChunk(code, chunk, { format }) {
      return startUp.applies(!ctx.browserBuild, format) ? startUp.renderChunk(code, chunk, format) : null
    },
    generateBundle: {
      order: 'post',
      async handler({ format }, bundle) {
        if (!ctx.browserBuild) return startUp.applies(true, format) ? startUp.emit(this, format) : undefined
        const message = await ctx.scanOutput(bundleAssets(bundle as never), 'browser bundle', {
          warn: text => this.warn(text),
        })
        if (message) this.error(message)
      },
    },
  }
}
