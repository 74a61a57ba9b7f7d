/**
 * Build helpers shared by the plugin tests: a server build of a fixture
 * folder with each bundler, webpack and Rspack (one configuration, two
 * compilers) and Farm (a failed build in a child process).
 */
import { join } from 'node:path'
import { dist, ROOT, runNode } from './helpers'
import type { RunResult } from './helpers'

export const BUNDLERS = ['vite', 'rollup', 'rolldown', 'esbuild', 'webpack', 'rspack', 'farm'] as const
export type Bundler = typeof BUNDLERS[number]

/** What a build wrote: its entry module (with a source map beside it). */
export interface Built {
  file: string
}

type Builder = (project: string, secretsOptions: Record<string, unknown>) => Promise<Built>

/** Each builds `project`/entry.js for Node into `project`/out-<bundler>/entry.mjs with the plugin, source maps on. */
const builders: Record<Bundler, Builder> = {
  async vite(project, options) {
    const { build } = await import('vite')
    const { default: secrets } = await dist('vite')
    const outDir = join(project, 'out-vite')
    await build({ root: project, configFile: false, logLevel: 'silent', plugins: [secrets(options)], build: { ssr: join(project, 'entry.js'), outDir, sourcemap: true, minify: false } })
    return { file: join(outDir, 'entry.mjs') }
  },
  async rollup(project, options) {
    const { rollup } = await import('rollup')
    const { default: json } = await import('@rollup/plugin-json')
    const { default: secrets } = await dist('rollup')
    const bundle = await rollup({ input: join(project, 'entry.js'), onwarn: () => {}, plugins: [secrets(options), json()] })
    const file = join(project, 'out-rollup/entry.mjs')
    await bundle.write({ file, format: 'es', sourcemap: true })
    return { file }
  },
  async rolldown(project, options) {
    const { rolldown } = await import('rolldown')
    const { default: secrets } = await dist('rolldown')
    const bundle = await rolldown({ input: join(project, 'entry.js'), cwd: project, logLevel: 'silent', plugins: [secrets(options)] })
    const file = join(project, 'out-rolldown/entry.mjs')
    await bundle.write({ file, format: 'es', sourcemap: true })
    return { file }
  },
  async esbuild(project, options) {
    const { build } = await import('esbuild')
    const { default: secrets } = await dist('esbuild')
    const outfile = join(project, 'out-esbuild/entry.mjs')
    await build({ entryPoints: [join(project, 'entry.js')], absWorkingDir: project, bundle: true, format: 'esm', platform: 'node', outfile, sourcemap: true, logLevel: 'silent', plugins: [secrets(options)] })
    return { file: outfile }
  },
  webpack: (project, options) => webpackLikeEntry('webpack', project, options),
  rspack: (project, options) => webpackLikeEntry('rspack', project, options),
  async farm(project, options) {
    const { build } = await import('@farmfe/core')
    const { default: secrets } = await dist('farm')
    const outDir = join(project, 'out-farm')
    await build({
      root: project,
      compilation: { input: { entry: './entry.js' }, output: { path: outDir, targetEnv: 'node', format: 'esm', entryFilename: '[entryName].mjs' }, sourcemap: true, minify: false, persistentCache: false, presetEnv: false },
      plugins: [secrets(options)],
    })
    return { file: join(outDir, 'entry.mjs') }
  },
}

/** A server build of `project`/entry.js with `bundler` and the plugin's `secretsOptions`. */
export const buildEntry = (bundler: Bundler, project: string, secretsOptions: Record<string, unknown>): Promise<Built> =>
  builders[bundler](project, secretsOptions)

/**
 * The text a failed build reports (message, and the errors webpack-like
 * bundlers attach), or undefined when it built. Farm reports a failed build
 * and calls process.exit(1): it builds in a child process.
 */
export async function buildError(bundler: Bundler, project: string, secretsOptions: Record<string, unknown>): Promise<string | undefined> {
  if (bundler === 'farm') {
    const result = await farmBuildInChild(project, { path: join(project, 'out-farm'), targetEnv: 'node' }, secretsOptions)
    return result.code === 0 ? undefined : result.stdout + result.stderr
  }
  const error = await buildEntry(bundler, project, secretsOptions).then(() => undefined, (caught: unknown) => caught as Error & { errors?: unknown })
  return error && `${error.message}\n${error.errors ? JSON.stringify(error.errors) : ''}`
}

/** webpack and Rspack take the same configuration. */
async function webpackLikeEntry(name: WebpackLike, project: string, secretsOptions: Record<string, unknown>): Promise<Built> {
  const { default: secrets } = await dist(name)
  const outDir = join(project, `out-${name}`)
  await webpackLikeBuild(name, {
    mode: 'production',
    target: 'node',
    context: project,
    entry: join(project, 'entry.js'),
    output: { path: outDir, filename: 'entry.mjs', library: { type: 'module' }, module: true, chunkFormat: 'module' },
    experiments: { outputModule: true },
    optimization: { minimize: false },
    devtool: 'source-map',
    plugins: [secrets(secretsOptions)],
  })
  return { file: join(outDir, 'entry.mjs') }
}

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
