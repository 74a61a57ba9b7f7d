/**
 * esbuild's hooks: the platform tells browser from server, the written output
 * of a browser build is scanned (and removed on a hit), and the loader follows the transform.
 */
import { readFile, unlink } from 'node:fs/promises'
import { relative, resolve } from 'node:path'
import type { UnpluginOptions } from 'unplugin'
import type { OutputAsset, SecretsContext } from '../context'
import { SecretsError } from '../errors'
import { formatByExtension } from '../formats/registry'

type EsbuildHooks = NonNullable<UnpluginOptions['esbuild']>
type BuildResult = Parameters<Parameters<Parameters<NonNullable<EsbuildHooks['setup']>>[0]['onEnd']>[0]>[0]

export function esbuildHooks(ctx: SecretsContext): EsbuildHooks {
  let configured = false
  return {
    config(buildOptions) {
      // The plugin keeps per-build state (root, browser or server): two builds sharing it would mix them up.
      if (configured) {
        throw new SecretsError('USAGE', [
          'one secrets() plugin instance was given to two esbuild builds;',
          'call secrets() once per build (for example plugins: [secrets()] inside each build\'s options).',
        ].join(' '))
      }
      configured = true
      ctx.useBundlerRoot(buildOptions.absWorkingDir ?? ctx.root)
      // esbuild has no log for plugins: the line goes to stderr as esbuild's own do, at its info level.
      if (['info', 'debug', 'verbose'].includes(buildOptions.logLevel ?? 'warning'))
        ctx.info = message => process.stderr.write(`${message}\n`)
      ctx.browserBuild = (buildOptions.platform ?? 'browser') !== 'node'
      // the output scan reads what was written (server builds are not scanned)
      if (ctx.browserBuild) buildOptions.metafile = true
    },
    setup(build) {
      build.onEnd(async (result) => {
        if (!ctx.browserBuild || result.errors.length) return
        const assets = await writtenAssets(ctx.root, result)
        const warnings: { text: string }[] = []
        const message = await ctx.scanOutput(assets, 'browser bundle', { warn: text => warnings.push({ text }) })
        // esbuild has written the files already: a failed build must not leave them behind.
        if (message && !result.outputFiles)
          await Promise.all(assets.map(asset => unlink(resolve(ctx.root, asset.name)).catch(() => {})))
        // Errors returned from onEnd fail the build; pushed into result.errors they would not.
        return { errors: message ? [{ text: message }] : [], warnings }
      })
    },
    // unplugin applies it to untransformed files too: JSON the transform left alone stays JSON.
    loader: (_code, id) =>
      formatByExtension(id)?.bundledAs === 'module' || ctx.jsonModules.has(id.split('?')[0]!) ? 'js' : 'json',
  }
}

/** The build's output: in memory (write: false), else read back from the files the metafile lists. */
async function writtenAssets(root: string, result: BuildResult): Promise<OutputAsset[]> {
  if (result.outputFiles) return result.outputFiles.map(file => ({ name: relative(root, file.path), text: file.text }))
  const names = Object.keys(result.metafile?.outputs ?? {})
  return Promise.all(names.map(async name => ({ name, text: await readFile(resolve(root, name), 'utf8') })))
}
