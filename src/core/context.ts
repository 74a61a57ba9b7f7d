/**
 * One plugin instance: its options, root, store and state, and the steps every
 * bundler's hooks share (expand one config, track what uses the store, scan output).
 */
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { basename, isAbsolute, relative, resolve } from 'node:path'
import type { BuildStore } from './build-store'
import { buildStoreLine, chooseBuildStore, hasEnvironments } from './build-store'
import { defaultCacheDir, TemplateCache } from './cache'
import { DeclarationFiles, declarationPath } from './declarations'
import { SecretsError } from './errors'
import { configFormat, hasReferences } from './formats/registry'
import type { ConfigFormat, ExpandedModule, ModuleOptions, SecretLookup, SourceMapData } from './formats/types'
import { findLeaks, leakMessage, MIN_SCANNED_LENGTH } from './leak'
import type { BuildInfo, Options, ResolvedOptions } from './options'
import { resolveOptions } from './options'
import { mentionsSecret } from './reference'
import { SecretResolver } from './resolver'
import { environmentLabel } from './store/locate'

/** Where a module ends up, as far as the bundler tells. */
export interface ModuleTarget {
  /** Browser code: only the names in `client` may be expanded into it. */
  forBrowser: boolean
  /** Vite's dev server: the values live in its memory anyway, so they are resolved there. */
  inDevServer: boolean
}

/** One output file, as text, for the leak scan. */
export interface OutputAsset {
  name: string
  text: string
}

/** How a bundler hears about the scan: warnings, and (to drop them) the assets with a hit. */
interface ScanReport {
  warn: (message: string) => void
  onHit?: (asset: string) => void
}

/**
 * What a framework entry (Nuxt, Astro) fixes for every plugin it makes: the
 * root the store path is relative to (no bundler may move it), and one list
 * of start-up configs shared by the builds of one app (Vite's and Nitro's).
 */
export interface FrameworkSetup {
  root?: string
  startUpConfigs?: Map<string, string[]>
  /** Called with each context made, for the entry's own hooks (the scan after Astro's or Nitro's build). */
  onContext?: (ctx: SecretsContext) => void
}

/** What the bundler gets back from a transform. */
export interface TransformOutput {
  code: string
  map?: SourceMapData
  moduleType?: 'js'
}

export class SecretsContext {
  readonly options: ResolvedOptions
  /**
   * esbuild's JSON loader takes no source map and Farm turns JSON into JS
   * before any transform: there, configs with references become JS modules.
   */
  readonly jsonAsModule: boolean
  /** The folder the store path (and the cache folder) are relative to: the bundler's root, or the framework's. */
  root = process.cwd()
  /** What the environment option's function is given; each bundler family fills in its mode. */
  readonly build: BuildInfo
  /** The bundler's logger at info level, for the line naming the build's store (set by each bundler family). */
  info: (message: string) => void = () => {}
  /**
   * Runtime mode: each config resolved at start-up (as shown in messages) and its names, for the
   * entries' start-up check.
   */
  readonly startUpConfigs: Map<string, string[]>
  /** Vite: when this instance's first build started (what frameworks write for the browser since then is scanned). */
  buildStartedAt: number | undefined
  readonly #rootFixed: boolean
  /** A store that must be there for the output scan: set explicitly, or placed by a framework entry. */
  readonly #storeRequired: boolean
  /**
   * Whole-build browser signal (webpack/Rspack target, esbuild platform, Farm targetEnv, the target
   * option); Vite decides per module.
   */
  browserBuild: boolean
  /** Config files that referenced a secret: the store is a dependency of each. */
  readonly storeUsers = new Set<string>()
  /** JSON files turned into JS modules (esbuild needs the loader to match). */
  readonly jsonModules = new Set<string>()
  #resolver: SecretResolver | undefined
  #templates: TemplateCache | undefined
  readonly #declarations = new DeclarationFiles()
  /** The second look at a config whose declaration followed a change (followConfigChange). */
  readonly #settling = new Map<string, ReturnType<typeof setTimeout>>()
  #warnedNoScan = false
  #warnedShortValues = false
  #announced = false
  readonly #storeGiven: boolean
  #store: BuildStore | undefined

  constructor(rawOptions: Options | undefined, framework: string, setup: FrameworkSetup = {}) {
    this.options = resolveOptions(rawOptions)
    this.#storeGiven = rawOptions?.store !== undefined
    this.jsonAsModule = framework === 'esbuild' || framework === 'farm'
    this.browserBuild = this.options.target === 'browser'
    this.build = { bundler: framework as BuildInfo['bundler'], mode: undefined }
    this.startUpConfigs = setup.startUpConfigs ?? new Map()
    this.#rootFixed = setup.root !== undefined
    this.root = setup.root ?? this.root
    this.#storeRequired = this.#rootFixed || this.#storeGiven
    setup.onContext?.(this)
  }

  /**
   * The bundler's root, unless a framework entry fixed one (Nuxt's Vite root is app/, its store is
   * beside nuxt.config).
   */
  useBundlerRoot(root: string): void {
    if (!this.#rootFixed) this.root = root
  }

  /**
   * The store this build reads, chosen at its first use (after the bundler's
   * hooks set the root and the mode) and kept: a file created meanwhile does
   * not switch a running build to another environment.
   */
  get store(): BuildStore {
    return (this.#store ??= chooseBuildStore(this.options, this.#storeGiven, this.root, this.build))
  }

  get storePath(): string {
    return this.store.path
  }

  /**
   * The build's line naming its store, once: at the first config that needs the store, in a project
   * with environments.
   */
  #announce(): void {
    if (this.#announced) return
    this.#announced = true
    if (hasEnvironments(this.store)) this.info(buildStoreLine(this.store, this.root))
  }

  get resolver(): SecretResolver {
    return (this.#resolver ??= new SecretResolver(this.storePath, this.options.key))
  }

  /** The target of every module when the whole build has one (every bundler but Vite). */
  get buildTarget(): ModuleTarget {
    return { forBrowser: this.browserBuild, inDevServer: false }
  }

  /**
   * The store path a runtime-mode build writes: absolute stays absolute, else relative to the
   * build's working directory.
   */
  get startUpStorePath(): string {
    const { store } = this.options
    return this.#storeGiven && isAbsolute(store) ? store : relative(process.cwd(), this.storePath) || this.storePath
  }

  /**
   * The transform step: expands `code` and records whether the file depends
   * on the store (`watch` makes the store a dependency). A SecretsError is
   * thrown for the bundler family's hooks to report their way.
   */
  async transform(
    code: string,
    id: string,
    target: ModuleTarget,
    watch: (file: string) => void,
  ): Promise<TransformOutput | undefined> {
    const result = await this.expand(code, id, target)
    if (!result) return undefined
    this.trackStoreUse(id, result, watch)
    return {
      code: result.code,
      ...(result.map ? { map: result.map } : {}),
      ...(result.moduleType ? { moduleType: result.moduleType } : {}),
    }
  }

  /** Remembers whether `id` referenced a secret; if it did, the store becomes a watched dependency. */
  trackStoreUse(id: string, result: ExpandedModule, watch: (file: string) => void): void {
    if (result.names.size === 0) {
      this.storeUsers.delete(id)
      return
    }
    this.storeUsers.add(id)
    watch(this.storePath)
  }

  /**
   * One config file as the bundler gets it: YAML as a JS module, JSON as JSON (or JS where the
   * bundler needs it); undefined when nothing changes.
   */
  async expand(
    code: string,
    id: string,
    { forBrowser, inDevServer }: ModuleTarget,
  ): Promise<ExpandedModule | undefined> {
    const file = id.split('?')[0]!
    const shown = relative(this.root, file) || file
    const format = configFormat(file)
    // First: the types follow the file even while a secret is missing or refused for the browser.
    await this.#writeDeclaration(format, code, file, shown)
    if (this.options.mode === 'runtime' && !forBrowser && !inDevServer) {
      const startUp = await this.#startUpModule(format, code, file, shown)
      if (startUp) return startUp
    }
    if (mentionsSecret(code)) {
      this.#announce()
      await this.resolver.prepare()
    }
    const lookup = this.#lookup(forBrowser)
    if (format.bundledAs === 'module') {
      return {
        ...(await format.module(code, shown, lookup, { cache: this.#cache(file) })),
        map: this.#moduleMap(file, code),
      }
    }
    const expanded = format.render(code, shown, lookup, { sourcemap: true })
    // nothing to expand: the bundler's JSON handling takes the file as it is
    if (expanded.code === code) return undefined
    if (!this.jsonAsModule) return expanded
    this.jsonModules.add(file)
    return { ...await format.module(code, shown, lookup), map: this.#moduleMap(file, code) }
  }

  /**
   * Runtime mode, server code: a module that resolves its references at
   * start-up. A JSON file becomes one only if it has references (else it stays JSON).
   */
  async #startUpModule(
    format: ConfigFormat,
    code: string,
    file: string,
    shown: string,
  ): Promise<ExpandedModule | undefined> {
    if (mentionsSecret(code)) this.#announce()
    const runtime = { store: this.startUpStorePath }
    const map = this.#moduleMap(file, code)
    if (format.bundledAs === 'module') {
      return this.#checkedAtStartUp(shown, {
        ...(await format.module(code, shown, () => '', { runtime, cache: this.#cache(file) })),
        map,
      })
    }
    if (!hasReferences(format, code, shown)) return undefined
    this.jsonModules.add(file)
    return this.#checkedAtStartUp(shown, {
      ...(await format.module(code, shown, () => '', { runtime })),
      map,
      moduleType: 'js',
    })
  }

  /** Records a start-up module's names: every server entry checks them first. */
  #checkedAtStartUp(shown: string, module: ExpandedModule): ExpandedModule {
    if (module.names.size > 0) this.startUpConfigs.set(shown, [...module.names].sort())
    else this.startUpConfigs.delete(shown)
    return module
  }

  /** `dts: true`: the config's declaration beside it (a virtual module, with no folder, gets none). */
  async #writeDeclaration(format: ConfigFormat, code: string, file: string, shown: string): Promise<void> {
    if (!this.options.dts || !format.declaration || !isAbsolute(file)) return
    // An empty file over a declared one is most often a save caught between its truncation and its
    // write: it keeps the last declaration (a config emptied on purpose is declared again with content).
    if (code.trim() === '' && this.#declarations.has(file)) return
    const text = await format.declaration(code, shown, { cache: this.#cache(file) })
    await this.#declarations.write(file, text, relative(this.root, declarationPath(file)) || declarationPath(file))
  }

  /**
   * A file changed on disk (the bundler's watcher): a config with a
   * declaration gets it rewritten, or removed with the config, without
   * waiting for the config to be imported again (a dev server does that only
   * on the next request).
   */
  async followConfigChange(file: string, event: 'create' | 'update' | 'delete'): Promise<void> {
    if (!this.#declarations.has(file)) return
    await this.#redeclare(file, event)
    // A watcher drops some of several quick changes to one file (an editor's save in two writes, or a delete and a
    // create for an atomic save): look at the file once more when things settle.
    clearTimeout(this.#settling.get(file))
    this.#settling.set(file, setTimeout(() => {
      this.#settling.delete(file)
      void this.#redeclare(file, 'update').catch(() => {}) // nothing to report to here: the next transform writes it
    }, 300).unref())
  }

  /**
   * The declaration of `file` as the file now is; one that does not parse keeps its last (its error
   * is the transform's to report).
   */
  async #redeclare(file: string, event: 'create' | 'update' | 'delete'): Promise<void> {
    const code = event === 'delete' ? undefined : await readFile(file, 'utf8').catch(() => undefined)
    if (code === undefined) return this.#declarations.remove(file)
    const shown = relative(this.root, file) || file
    await this.#writeDeclaration(configFormat(file), code, file, shown).catch((error: unknown) => {
      if (!(error instanceof SecretsError)) throw error
    })
  }

  /** The parse cache's folder; undefined with `cache: false` (memory only). */
  get cacheDir(): string | undefined {
    const { cache } = this.options
    return cache === false
      ? undefined
      : typeof cache === 'string'
        ? resolve(this.root, cache)
        : defaultCacheDir(this.root)
  }

  /** The parse cache (memory, and the cache folder), keyed by the file's real path. */
  #cache(path: string): ModuleOptions['cache'] {
    this.#templates ??= new TemplateCache(this.cacheDir)
    return { templates: this.#templates, path }
  }

  /** Values from the store; for browser code, only the allowed names. */
  #lookup(forBrowser: boolean): SecretLookup {
    return (name, locate) => {
      if (forBrowser && !this.options.client.includes(name)) {
        throw new SecretsError('SECRET_IN_CLIENT', [
          `secret ${name} would be shipped to the browser (client build).`,
          `Move the import to server code, or allow this name with client: ['${name}']`,
        ].join(' '), { loc: locate() })
      }
      return this.resolver.lookup(name, locate)
    }
  }

  /**
   * A module rewritten from a config maps to the config's first line. Where
   * the bundler builds its final map from ours (esbuild), the original text
   * goes with it: otherwise the map would carry the expanded values.
   */
  #moduleMap(file: string, original: string): SourceMapData {
    return {
      version: 3,
      file: basename(file),
      sources: [file],
      names: [],
      mappings: 'AAAA',
      ...(this.jsonAsModule ? { sourcesContent: [original] } : {}),
    }
  }

  /**
   * The output scan: every text asset of a browser bundle against every value
   * in the store but the allowed ones. Resolves to an error message, if any.
   */
  async scanOutput(assets: OutputAsset[], label: string, report: ScanReport): Promise<string | undefined> {
    if (this.#storeRequired && !existsSync(this.storePath)) throw this.#noStoreToScan()
    const values = await this.resolver.allValues().catch(() => undefined)
    if (!values) {
      this.#warnNoScan(report)
      return undefined
    }
    const allowed = this.options.client
      .map(name => values.get(name))
      .filter((value): value is string => value !== undefined)
    for (const name of this.options.client) values.delete(name)
    this.#warnShortValues(values, report)
    const hits = findLeaks(assets, values, allowed)
    for (const hit of hits) report.onHit?.(hit.asset)
    return hits.length ? leakMessage(hits, label) : undefined
  }

  #noStoreToScan(): SecretsError {
    const store = relative(this.root, this.storePath) || this.storePath
    return new SecretsError('STORE_NOT_FOUND', [
      `unplugin-secrets: no store at ${store} (resolved from ${this.root}), so the browser output cannot be scanned`,
      'for secret values. Point the store option at your store file, or create one with unplugin-secrets init.',
    ].join(' '))
  }

  #warnNoScan(report: ScanReport): void {
    if (this.#warnedNoScan) return
    this.#warnedNoScan = true
    const store = relative(this.root, this.storePath) || this.storePath
    // Why it did not open (no store, no key, a rollback): the store's own message, which holds no value.
    const why = this.resolver.failure ? ` (${this.resolver.failure.code}: ${this.resolver.failure.message})` : ''
    const environment = environmentLabel(this.storePath)
    report.warn([
      'unplugin-secrets: the browser output was not scanned for secret values:',
      `the store ${store}${environment ? ` (${environment})` : ''} or its key is not available to this build${why}.`,
    ].join(' '))
  }

  #warnShortValues(values: Map<string, string>, report: ScanReport): void {
    const short = [...values].filter(([, value]) => value.length < MIN_SCANNED_LENGTH).map(([name]) => name)
    if (short.length === 0 || this.#warnedShortValues) return
    this.#warnedShortValues = true
    const [verb, pronoun] = short.length === 1 ? ['is', 'it'] : ['are', 'them']
    report.warn([
      `unplugin-secrets: ${short.join(', ')} ${verb} shorter than ${MIN_SCANNED_LENGTH} characters,`,
      `so the output scan does not look for ${pronoun}.`,
    ].join(' '))
  }
}
