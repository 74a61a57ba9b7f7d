/**
 * Build helpers shared by the plugin tests: webpack and Rspack (one
 * configuration, two compilers) and Farm (built in a child process).
 */
import { join } from 'node:path'
import { ROOT, runNode } from './helpers'
import type { RunResult } from './helpers'

export type WebpackLike = 'webpack' | 'rspack'

interface Stats { hasErrors: () => boolean, toString: (preset: string) => string }

export interface WebpackLikeCompiler {
  run: (done: (error: Error | null, stats?: Stats) => void) => void
  watch: (options: object, done: () => void) => { close: (done: () => void) => void }
}

/** A webpack or Rspack compiler for `options` (both take the same configuration). */
export async function webpackLikeCompiler(name: WebpackLike, options: object): Promise<WebpackLikeCompiler> {
  const create = name === 'webpack' ? (await import('webpack')).default : (await import('@rspack/core')).rspack
  return (create as unknown as (options: object) => WebpackLikeCompiler)(options)
}

/** Runs a webpack or Rspack build; rejects with its errors (as webpack prints them) when it has any. */
export async function webpackLikeBuild(name: WebpackLike, options: object): Promise<void> {
  const compiler = await webpackLikeCompiler(name, options)
  return new Promise<void>((resolve, reject) => compiler.run((error, stats) => {
    if (error) reject(error)
    else if (stats?.hasErrors()) reject(new Error(stats.toString('errors-only')))
    else resolve()
  }))
}

/** webpack's or Rspack's DefinePlugin. */
export async function definePlugin(name: WebpackLike, definitions: Record<string, string>): Promise<object> {
  const { DefinePlugin } = name === 'webpack' ? (await import('webpack')).default : (await import('@rspack/core')).rspack
  return new DefinePlugin(definitions)
}

/**
 * A Farm build of `root`/entry.js with the plugin, in a child process: Farm
 * reports a failed build and calls process.exit(1).
 */
export function farmBuildInChild(root: string, output: Record<string, unknown>, secretsOptions: Record<string, unknown>, compilation: Record<string, unknown> = {}): Promise<RunResult> {
  return runNode(`
    import { build } from '@farmfe/core'
    import secrets from ${JSON.stringify(join(ROOT, 'dist/farm.mjs'))}
    await build({ root: ${JSON.stringify(root)}, compilation: { input: { entry: './entry.js' }, output: ${JSON.stringify(output)}, persistentCache: false, presetEnv: false, ...${JSON.stringify(compilation)} }, plugins: [secrets(${JSON.stringify(secretsOptions)})] })
  `, { cwd: ROOT })
}

/**
 * How a bundler prints a config error: where it shows a location itself, it
 * does so from the plugin's `loc` with a 0-based column (Rollup `file (2:5): `,
 * Rolldown and Vite `file:2:5` on a line of its own, esbuild
 * `file:2:5: ERROR: [plugin: unplugin-secrets] `) and the message follows; webpack,
 * Rspack and Farm show none, so the message carries ours: `file:2:6: `
 * (1-based, as editors count). `column` is 1-based.
 */
export function locatedMessage(bundler: string, file: string, line: number, column: number, message: RegExp): RegExp {
  const name = file.replace(/\./g, '\\.')
  const at = {
    rollup: `${name} \\(${line}:${column - 1}\\): `,
    rolldown: `${name}:${line}:${column - 1}\\n.*`,
    vite: `${name}:${line}:${column - 1}\\n.*`,
    esbuild: `${name}:${line}:${column - 1}: ERROR: \\[plugin: unplugin-secrets\\] `,
  }[bundler] ?? `${name}:${line}:${column}: `
  return new RegExp(at + message.source)
}
