/**
 * webpack's and Rspack's hook: the target tells browser from server, and the
 * finished assets of a browser build are scanned (a leaky one is not emitted).
 */
import { readFileSync } from 'node:fs'
import type { SecretsContext } from '../context'
import type { SecretsError } from '../errors'
import { formatByExtension, hasReferences } from '../formats/registry'

/** The part of webpack's and Rspack's compiler the plugin uses (their types differ in detail). */
interface WebpackLikeCompiler {
  options: {
    context?: string
    mode?: string
    target?: string | false | (string | false)[]
    module: { rules: object[] }
  }
  webpack: { Compilation: { PROCESS_ASSETS_STAGE_REPORT: number }, WebpackError: new (message: string) => Error }
  getInfrastructureLogger: (name: string) => { info: (message: string) => void }
  hooks: { thisCompilation: { tap: (name: string, run: (compilation: WebpackLikeCompilation) => void) => void } }
}

interface WebpackLikeCompilation {
  deleteAsset: (name: string) => void
  errors: Error[]
  warnings: Error[]
  hooks: {
    processAssets: {
      tapPromise: (
        options: { name: string, stage: number, additionalAssets?: boolean },
        run: (assets: Record<string, { source: () => string | Buffer }>) => Promise<void>,
      ) => void
    }
  }
}

/**
 * The targets known to run only in Node, as webpack names them: `node`,
 * `async-node` and `electron-main`, with or without a version (node18.12,
 * electron28-main). Anything else may run in a browser: false, es20xx,
 * browserslist, web, nwjs and its alias node-webkit, electron-preload.
 */
const NODE_ONLY_TARGET = /^(?:(?:async-)?node(?:\d+(?:\.\d+)?)?|electron(?:\d+(?:\.\d+)?)?-main)$/

/** Fail closed: a server build is one whose every target is known to be Node-only. */
function isBrowserTarget(target: WebpackLikeCompiler['options']['target']): boolean {
  const targets = [target ?? 'browserslist'].flat()
  return !targets.every(each => typeof each === 'string' && NODE_ONLY_TARGET.test(each))
}

/**
 * A config's error for webpack and Rspack: thrown, so the loader fails with
 * it alone. (Their `this.error` only records it, and the config's source
 * would go on to the JS parser: "Module parse failed … You may need an
 * additional loader" would come first.) The message keeps file:line:col, as
 * they drop `loc`; `hideStack` keeps our stack out of webpack's output.
 */
export function failLoader(error: SecretsError): never {
  throw Object.assign(error, { hideStack: true })
}

/** The `webpack(compiler)` / `rspack(compiler)` hook. */
export function webpackLikeHook(ctx: SecretsContext): (compiler: unknown) => void {
  return (raw) => {
    const compiler = raw as WebpackLikeCompiler
    ctx.useBundlerRoot(compiler.options.context ?? ctx.root)
    ctx.build.mode = compiler.options.mode
    const logger = compiler.getInfrastructureLogger('unplugin-secrets')
    ctx.info = message => logger.info(message.replace(/^unplugin-secrets: /, '')) // the logger names the plugin itself
    ctx.browserBuild = isBrowserTarget(compiler.options.target)
    if (ctx.browserBuild) scanAssets(ctx, compiler)
    else if (ctx.options.mode === 'runtime') startUpJsonAsJs(compiler)
  }
}

/** Runtime mode turns JSON configs with references into JS modules: webpack must not parse them as JSON. */
function startUpJsonAsJs(compiler: WebpackLikeCompiler): void {
  const startsUpAsJs = (resource: string) => {
    const format = formatByExtension(resource)
    return format?.bundledAs === 'itself' && hasReferences(format, readFileSync(resource, 'utf8'), resource)
  }
  compiler.options.module.rules.push({ test: startsUpAsJs, type: 'javascript/auto' })
}

function scanAssets(ctx: SecretsContext, compiler: WebpackLikeCompiler): void {
  const { Compilation, WebpackError } = compiler.webpack
  const stage = { name: 'unplugin-secrets', stage: Compilation.PROCESS_ASSETS_STAGE_REPORT, additionalAssets: true }
  compiler.hooks.thisCompilation.tap('unplugin-secrets', (compilation) => {
    compilation.hooks.processAssets.tapPromise(stage, async (assets) => {
      const texts = Object.entries(assets).map(([name, asset]) => ({ name, text: String(asset.source()) }))
      const hits = new Set<string>()
      const warn = (text: string) => compilation.warnings.push(new WebpackError(text))
      const message = await ctx.scanOutput(texts, 'browser bundle', { warn, onHit: hit => hits.add(hit) })
      if (!message) return
      compilation.errors.push(new WebpackError(message))
      for (const name of hits) compilation.deleteAsset(name) // not emitted even where errors do not stop emitting
    })
  })
}
