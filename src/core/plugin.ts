import { readFileSync } from 'node:fs'
import { readFile, unlink } from 'node:fs/promises'
import { basename, isAbsolute, relative, resolve } from 'node:path'
import type { FilterPattern, UnpluginFactory, UnpluginOptions } from 'unplugin'
import { SecretsError } from './errors'
import { expandJson } from './formats/json'
import type { ExpandedModule, SecretLookup, SourceMapData } from './formats/types'
import { toModuleCode } from './formats/module'
import { expandYaml, templateModule, yamlTemplate } from './formats/yaml'
import { TemplateCache, defaultCacheDir } from './cache'
import type { Options } from './options'
import { resolveOptions } from './options'
import { MIN_SCANNED_LENGTH, findLeaks, leakMessage } from './leak'
import { mentionsSecret } from './reference'
import { SecretResolver, fileStamp } from './resolver'

const YAML_FILE = /\.ya?ml$/
/** Rollup, runtime mode: a JSON config with references, loaded by us as a module (out of @rollup/plugin-json's way). */
const RUNTIME_JSON = '?unplugin-secrets-runtime'

/** Whether a JSON text holds references (not only escapes); an invalid file is left to the normal path's errors. */
function jsonHasReferences(text: string, file: string): boolean {
  try {
    return expandJson(text, file, () => '').names.size > 0
  }
  catch {
    return false
  }
}

/** include/exclude for Farm's raw hooks, where unplugin's filter does not run: regexes, and strings as substrings. */
function matchesFilter(id: string, include: FilterPattern, exclude: FilterPattern): boolean {
  const test = (pattern: FilterPattern) => [pattern].flat().some(p => (typeof p === 'string' ? id.includes(p) : p.test(id.replace(/\\/g, '/'))))
  return test(include) && !test(exclude)
}

export const unpluginFactory: UnpluginFactory<Options | undefined> = (rawOptions, meta) => {
  /**
   * esbuild's JSON loader takes no source map and Farm turns JSON into JS
   * before any transform: there, configs with references become JS modules.
   */
  const jsonAsModule = meta.framework === 'esbuild' || meta.framework === 'farm'
  const options = resolveOptions(rawOptions)
  let root = process.cwd()
  let resolver: SecretResolver | undefined
  /** Config files that referenced a secret: the store is a dependency of each. */
  const users = new Set<string>()
  /** JSON files turned into JS modules (esbuild needs the loader to match). */
  const jsonModules = new Set<string>()

  let templates: TemplateCache | undefined
  /** Vite dev: the server (to replay a store change its watcher dropped) and the pending re-check. */
  let devServer: { watcher: { emit: (event: string, path: string) => boolean } } | undefined
  let settle: ReturnType<typeof setTimeout> | undefined
  const storePath = () => resolve(root, options.store)
  const getResolver = () => (resolver ??= new SecretResolver(storePath(), options.key))
  /** Whole-build browser signal (webpack/Rspack target, esbuild platform, Farm targetEnv, the target option); Vite decides per module. */
  let browserBuild = options.target === 'browser'
  let esbuildConfigured = false
  let warnedNoScan = false
  let warnedShortValues = false

  /**
   * The output scan: every text asset of a browser bundle against every value
   * in the store but the allowed ones. Resolves to an error message, if any.
   */
  async function scanOutput(assets: { name: string, text: string }[], label: string, warn: (message: string) => void, onHit?: (asset: string) => void): Promise<string | undefined> {
    const values = await getResolver().allValues().catch(() => undefined)
    if (!values) {
      if (!warnedNoScan) warn(`unplugin-secrets: the browser output was not scanned for secret values: the store ${relative(root, storePath()) || storePath()} or its key is not available to this build.`)
      warnedNoScan = true
      return undefined
    }
    const allowed = options.client.map(name => values.get(name)).filter((value): value is string => value !== undefined)
    for (const name of options.client) values.delete(name)
    const short = [...values].filter(([, value]) => value.length < MIN_SCANNED_LENGTH).map(([name]) => name)
    if (short.length && !warnedShortValues) {
      warnedShortValues = true
      warn(`unplugin-secrets: ${short.join(', ')} ${short.length === 1 ? 'is' : 'are'} shorter than ${MIN_SCANNED_LENGTH} characters, so the output scan does not look for ${short.length === 1 ? 'it' : 'them'}.`)
    }
    const hits = findLeaks(assets, values, allowed)
    for (const hit of hits) onHit?.(hit.asset)
    return hits.length ? leakMessage(hits, label) : undefined
  }

  const bundleAssets = (bundle: Record<string, { type: string, code?: string, source?: string | Uint8Array }>) =>
    Object.entries(bundle).map(([name, output]) => ({
      name,
      text: output.type === 'chunk' ? output.code ?? '' : typeof output.source === 'string' ? output.source : new TextDecoder().decode(output.source),
    }))

  /** The store path a runtime-mode build writes: absolute stays absolute, else relative to the build's working directory. */
  const startUpStorePath = () => (isAbsolute(options.store) ? options.store : relative(process.cwd(), storePath()) || options.store)

  async function expand(code: string, id: string, forBrowser = false, inDevServer = false): Promise<ExpandedModule | undefined> {
    const file = id.split('?')[0]!
    const shown = relative(root, file) || file
    const atStartUp = options.mode === 'runtime' && !forBrowser && !inDevServer
    if (atStartUp && YAML_FILE.test(file))
      return { ...await yamlModule(code, file, shown, () => '', { store: startUpStorePath() }), map: moduleMap(file, code) }
    if (mentionsSecret(code)) await getResolver().prepare()
    const lookup: SecretLookup = (name, locate) => {
      if (forBrowser && !options.client.includes(name))
        throw new SecretsError('SECRET_IN_CLIENT', `secret ${name} would be shipped to the browser (client build). Move the import to server code, or allow this name with client: ['${name}']`, { loc: locate() })
      return getResolver().lookup(name, locate)
    }
    if (!YAML_FILE.test(file)) {
      if (atStartUp && jsonHasReferences(code, shown)) {
        // Checked as JSON above (strict, keys, references); strict JSON is YAML 1.2, so the YAML path builds the start-up module.
        jsonModules.add(file)
        return { ...expandYaml(code, shown, () => '', { runtime: { store: startUpStorePath() } }), map: moduleMap(file, code), moduleType: 'js' }
      }
      const json = expandJson(code, shown, lookup, { sourcemap: true })
      if (json.code === code) return undefined // nothing to expand: the bundler's JSON handling takes the file as it is
      if (!jsonAsModule) return json
      jsonModules.add(file)
      return { code: toModuleCode(JSON.parse(json.code), true), map: moduleMap(file, code), names: json.names }
    }
    return { ...await yamlModule(code, file, shown, lookup), map: moduleMap(file, code) }
  }

  /** A YAML config's module, its parse taken from the cache when the file is unchanged. */
  async function yamlModule(code: string, file: string, shown: string, lookup: SecretLookup, runtime?: { store: string }): Promise<ExpandedModule> {
    templates ??= new TemplateCache(options.cache === false ? undefined : typeof options.cache === 'string' ? resolve(root, options.cache) : defaultCacheDir(root))
    const template = await templates.template(file, code, () => yamlTemplate(code, shown))
    return template ? templateModule(template, shown, lookup, { runtime }) : expandYaml(code, shown, lookup, { runtime })
  }

  /**
   * A module rewritten from a config maps to the config's first line. Where
   * the bundler builds its final map from ours (esbuild), the original text
   * goes with it: otherwise the map would carry the expanded values.
   */
  function moduleMap(file: string, original: string): SourceMapData {
    return { version: 3, file: basename(file), sources: [file], names: [], mappings: 'AAAA', ...(jsonAsModule ? { sourcesContent: [original] } : {}) }
  }

  const plugin: UnpluginOptions = {
    name: 'unplugin-secrets',
    enforce: 'pre',
    transform: {
      filter: { id: { include: options.include, exclude: options.exclude } },
      async handler(code, id) {
        if (meta.framework === 'farm') return // done by farm.load
        let result: ExpandedModule | undefined
        // Vite knows which environment a module is for; the other bundlers' signals come with the leak guard.
        const environment = (this as { environment?: { mode?: string, config?: { consumer?: string } } }).environment
        try {
          // In Vite dev the values live in the dev server's memory anyway: resolve them there (and follow store changes).
          result = meta.framework === 'vite'
            ? await expand(code, id, environment?.config?.consumer !== 'server', environment?.mode === 'dev')
            : await expand(code, id, browserBuild)
        }
        catch (error) {
          if (!(error instanceof SecretsError)) throw error
          // webpack and Rspack record the error without throwing and drop loc: the message carries file:line:col.
          this.error(error.loc ? { message: error.message, id, loc: { line: error.loc.line, column: error.loc.column, file: id } } : error.message)
          return
        }
        if (!result) return
        if (result.names.size > 0) {
          users.add(id)
          this.addWatchFile(storePath())
        }
        else {
          users.delete(id)
        }
        return { code: result.code, ...(result.map ? { map: result.map } : {}), ...(result.moduleType ? { moduleType: result.moduleType } : {}) }
      },
    },
    // order 'post': after every other plugin's generateBundle, so assets they add (HTML, CSS) are scanned too.
    rollup: {
      async resolveId(source, importer, resolveOptions) {
        if (options.mode !== 'runtime' || browserBuild || !/\.json$/.test(source)) return null
        const resolved = await this.resolve(source, importer, { ...resolveOptions, skipSelf: true })
        if (!resolved || resolved.external) return null
        const text = await readFile(resolved.id, 'utf8').catch(() => undefined)
        return text !== undefined && jsonHasReferences(text, resolved.id) ? `${resolved.id}${RUNTIME_JSON}` : null
      },
      async load(id) {
        if (!id.endsWith(RUNTIME_JSON)) return null
        const file = id.slice(0, -RUNTIME_JSON.length)
        try {
          const result = (await expand(await readFile(file, 'utf8'), file))!
          return { code: result.code, map: result.map }
        }
        catch (error) {
          if (!(error instanceof SecretsError)) throw error
          return this.error(error.message)
        }
      },
      generateBundle: {
        order: 'post',
        async handler(_, bundle) {
          if (!browserBuild) return
          const message = await scanOutput(bundleAssets(bundle), 'browser bundle', text => this.warn(text))
          if (message) this.error(message)
        },
      },
    },
    rolldown: {
      generateBundle: {
        order: 'post',
        async handler(_, bundle) {
          if (!browserBuild) return
          const message = await scanOutput(bundleAssets(bundle as never), 'browser bundle', text => this.warn(text))
          if (message) this.error(message)
        },
      },
    },
    esbuild: {
      config(buildOptions) {
        // The plugin keeps per-build state (root, browser or server): two builds sharing it would mix them up.
        if (esbuildConfigured)
          throw new SecretsError('USAGE', 'one secrets() plugin instance was given to two esbuild builds; call secrets() once per build (for example plugins: [secrets()] inside each build\'s options).')
        esbuildConfigured = true
        root = buildOptions.absWorkingDir ?? root
        browserBuild = (buildOptions.platform ?? 'browser') !== 'node'
        if (browserBuild) buildOptions.metafile = true // the output scan reads what was written (server builds are not scanned)
      },
      setup(build) {
        build.onEnd(async (result) => {
          if (!browserBuild || result.errors.length) return
          const assets = result.outputFiles
            ? result.outputFiles.map(file => ({ name: relative(root, file.path), text: file.text }))
            : await Promise.all(Object.keys(result.metafile?.outputs ?? {}).map(async name => ({ name, text: await readFile(resolve(root, name), 'utf8') })))
          const warnings: { text: string }[] = []
          const message = await scanOutput(assets, 'browser bundle', text => warnings.push({ text }))
          // esbuild has written the files already: a failed build must not leave them behind.
          if (message && !result.outputFiles) await Promise.all(assets.map(asset => unlink(resolve(root, asset.name)).catch(() => {})))
          // Errors returned from onEnd fail the build; pushed into result.errors they would not.
          return { errors: message ? [{ text: message }] : [], warnings }
        })
      },
      // unplugin applies it to untransformed files too: JSON the transform left alone stays JSON.
      loader: (_code, id) => (YAML_FILE.test(id) || jsonModules.has(id.split('?')[0]!) ? 'js' : 'json'),
    },
    farm: {
      configResolved(config) {
        root = config.root ?? root
        browserBuild = !/node/.test(config.compilation?.output?.targetEnv ?? 'browser')
      },
      // Farm needs a loader for .yaml and converts .json before transforms: load both here, once.
      load: {
        filters: { resolvedPaths: ['\\.ya?ml$', '\\.json$'] },
        async executor(params, context) {
          const id = params.resolvedPath
          if (!matchesFilter(id, options.include, options.exclude)) return null
          let result: ExpandedModule | undefined
          try {
            result = await expand(await readFile(id, 'utf8'), id, browserBuild)
          }
          catch (error) {
            throw error instanceof SecretsError ? new Error(error.message) : error
          }
          if (!result) return null
          if (result.names.size > 0) context?.addWatchFile(id, storePath())
          return { content: result.code, moduleType: 'js', sourceMap: JSON.stringify(result.map) }
        },
      },
    },
    webpack: compiler => guardWebpackLike(compiler as unknown as WebpackLikeCompiler),
    rspack: compiler => guardWebpackLike(compiler as unknown as WebpackLikeCompiler),
    vite: {
      configResolved(config) {
        root = config.root
      },
      async configureServer(server) {
        devServer = server
        // Everything under the served root is public to Vite's dev server; the store must not be.
        // (A server.fs.deny entry from a plugin would replace Vite's default deny list.)
        const storeName = basename(storePath()).toLowerCase()
        server.middlewares.use((request, response, next) => {
          let path = (request.url ?? '').split('?')[0]!
          try {
            path = decodeURIComponent(path)
          }
          catch {}
          if (path.replace(/\\/g, '/').split('/').pop()!.toLowerCase() !== storeName) return next()
          response.statusCode = 403
          response.end('unplugin-secrets: the secret store is not served')
        })
        if (options.dashboard) {
          const { mountDashboard } = await import('../dashboard/mount')
          await mountDashboard(server, { storePath: storePath(), key: options.key, include: options.include, exclude: options.exclude, maxAge: options.maxAge, transformed: () => users })
        }
      },
      generateBundle: {
        order: 'post',
        async handler(_, bundle) {
          if (this.environment.config.consumer === 'server') return
          const message = await scanOutput(bundleAssets(bundle), `${this.environment.name} (browser) bundle`, text => this.warn(text))
          if (message) this.error(message)
        },
      },
      async hotUpdate({ file }) {
        if (file !== storePath()) return
        // The watcher can drop the last of several quick changes (chokidar throttles change events per file):
        // look at the file again once things settle, and replay the change if it moved on since this one.
        const seen = await fileStamp(file)
        clearTimeout(settle)
        settle = setTimeout(() => {
          void fileStamp(file).then(now => now !== seen && devServer?.watcher.emit('change', file))
        }, 300)
        settle.unref()
        // Import analysis skips JSON, so JSON configs are not linked to the store: name them.
        const modules = [...users].flatMap(id => [...(this.environment.moduleGraph.getModulesByFile(id) ?? [])])
        // A plain (non-HMR) invalidation too: it stamps the module, so a transform that started before this
        // store change (and read the old values) is not kept as its result; an HMR invalidation alone does not.
        for (const module of modules) this.environment.moduleGraph.invalidateModule(module)
        return modules.length ? modules : undefined
      },
    },
  }
  /** webpack and Rspack: the target tells browser from server; the scan runs on the finished assets. */
  function guardWebpackLike(compiler: WebpackLikeCompiler): void {
    root = compiler.options.context ?? root
    // Fail closed: a server build is one whose every target is a Node one; false, es20xx, browserslist, nwjs, electron-preload count as browser.
    const targets = [compiler.options.target ?? 'browserslist'].flat()
    browserBuild = !targets.every(target => typeof target === 'string' && /^(node|async-node|electron-main)/.test(target))
    if (!browserBuild) {
      // Runtime mode turns JSON configs with references into JS modules: webpack must not parse them as JSON.
      if (options.mode === 'runtime')
        compiler.options.module.rules.push({ test: (resource: string) => /\.json$/.test(resource) && jsonHasReferences(readFileSync(resource, 'utf8'), resource), type: 'javascript/auto' })
      return
    }
    const { Compilation, WebpackError } = compiler.webpack
    compiler.hooks.thisCompilation.tap('unplugin-secrets', (compilation) => {
      compilation.hooks.processAssets.tapPromise({ name: 'unplugin-secrets', stage: Compilation.PROCESS_ASSETS_STAGE_REPORT, additionalAssets: true }, async (assets) => {
        const texts = Object.entries(assets).map(([name, asset]) => ({ name, text: String(asset.source()) }))
        const hits: string[] = []
        const message = await scanOutput(texts, 'browser bundle', text => compilation.warnings.push(new WebpackError(text)), hit => hits.push(hit))
        if (!message) return
        compilation.errors.push(new WebpackError(message))
        for (const name of new Set(hits)) compilation.deleteAsset(name) // not emitted even where errors do not stop emitting
      })
    })
  }

  return plugin
}

/** The part of webpack's and Rspack's compiler the guard uses (their types differ in detail). */
interface WebpackLikeCompiler {
  options: { context?: string, target?: string | false | (string | false)[], module: { rules: object[] } }
  webpack: { Compilation: { PROCESS_ASSETS_STAGE_REPORT: number }, WebpackError: new (message: string) => Error }
  hooks: { thisCompilation: { tap: (name: string, run: (compilation: WebpackLikeCompilation) => void) => void } }
}

interface WebpackLikeCompilation {
  deleteAsset: (name: string) => void
  errors: Error[]
  warnings: Error[]
  hooks: { processAssets: { tapPromise: (options: { name: string, stage: number, additionalAssets?: boolean }, run: (assets: Record<string, { source: () => string | Buffer }>) => Promise<void>) => void } }
}
