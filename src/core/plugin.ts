import { readFile } from 'node:fs/promises'
import { basename, relative, resolve } from 'node:path'
import type { FilterPattern, UnpluginFactory, UnpluginOptions } from 'unplugin'
import { SecretsError } from './errors'
import { expandJson } from './formats/json'
import type { ExpandedModule, SecretLookup, SourceMapData } from './formats/types'
import { toModuleCode } from './formats/module'
import { expandYaml } from './formats/yaml'
import type { Options } from './options'
import { resolveOptions } from './options'
import { mentionsSecret } from './reference'
import { SecretResolver } from './resolver'

const YAML_FILE = /\.ya?ml$/

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

  const storePath = () => resolve(root, options.store)
  const getResolver = () => (resolver ??= new SecretResolver(storePath(), options.key))

  async function expand(code: string, id: string, forBrowser = false): Promise<ExpandedModule | undefined> {
    const file = id.split('?')[0]!
    const shown = relative(root, file) || file
    if (mentionsSecret(code)) await getResolver().prepare()
    const lookup: SecretLookup = (name, locate) => {
      if (forBrowser && !options.client.includes(name))
        throw new SecretsError('SECRET_IN_CLIENT', `secret ${name} would be shipped to the browser (client build). Move the import to server code, or allow this name with client: ['${name}']`, { loc: locate() })
      return getResolver().lookup(name, locate)
    }
    if (!YAML_FILE.test(file)) {
      const json = expandJson(code, shown, lookup, { sourcemap: true })
      if (json.code === code) return undefined // nothing to expand: the bundler's JSON handling takes the file as it is
      if (!jsonAsModule) return json
      jsonModules.add(file)
      return { code: toModuleCode(JSON.parse(json.code), true), map: moduleMap(file, code), names: json.names }
    }
    const yaml = expandYaml(code, shown, lookup)
    return { ...yaml, map: moduleMap(file, code) }
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
        const consumer = (this as { environment?: { config?: { consumer?: string } } }).environment?.config?.consumer
        try {
          result = await expand(code, id, consumer === 'client')
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
        return result.map ? { code: result.code, map: result.map } : result.code
      },
    },
    esbuild: {
      config(buildOptions) {
        root = buildOptions.absWorkingDir ?? root
      },
      // unplugin applies it to untransformed files too: JSON the transform left alone stays JSON.
      loader: (_code, id) => (YAML_FILE.test(id) || jsonModules.has(id.split('?')[0]!) ? 'js' : 'json'),
    },
    farm: {
      configResolved(config) {
        root = config.root ?? root
      },
      // Farm needs a loader for .yaml and converts .json before transforms: load both here, once.
      load: {
        filters: { resolvedPaths: ['\\.ya?ml$', '\\.json$'] },
        async executor(params, context) {
          const id = params.resolvedPath
          if (!matchesFilter(id, options.include, options.exclude)) return null
          let result: ExpandedModule | undefined
          try {
            result = await expand(await readFile(id, 'utf8'), id)
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
    webpack(compiler) {
      root = compiler.options.context ?? root
    },
    rspack(compiler) {
      root = compiler.options.context ?? root
    },
    vite: {
      configResolved(config) {
        root = config.root
      },
      configureServer(server) {
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
      },
      hotUpdate({ file }) {
        if (file !== storePath()) return
        // Import analysis skips JSON, so JSON configs are not linked to the store: name them.
        const modules = [...users].flatMap(id => [...(this.environment.moduleGraph.getModulesByFile(id) ?? [])])
        return modules.length ? modules : undefined
      },
    },
  }
  return plugin
}
