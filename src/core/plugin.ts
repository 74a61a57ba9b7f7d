import { relative } from 'node:path'
import type { UnpluginFactory, UnpluginOptions } from 'unplugin'
import { SecretsError } from './errors'
import { expandJson } from './formats/json'
import type { ExpandedModule } from './formats/types'
import { expandYaml } from './formats/yaml'
import type { Options } from './options'
import { resolveOptions } from './options'
import { mentionsSecret } from './reference'
import { SecretResolver, storePathFrom } from './resolver'

const YAML_FILE = /\.ya?ml$/

export const unpluginFactory: UnpluginFactory<Options | undefined> = (rawOptions) => {
  const options = resolveOptions(rawOptions)
  let root = process.cwd()
  let resolver: SecretResolver | undefined
  /** Config files that referenced a secret: the store is a dependency of each. */
  const users = new Set<string>()

  const storePath = () => storePathFrom(root, options.store)
  const getResolver = () => (resolver ??= new SecretResolver(storePath(), options.key))

  async function expand(code: string, id: string, sourcemap: boolean): Promise<ExpandedModule> {
    const file = id.split('?')[0]!
    const shown = relative(root, file) || file
    if (mentionsSecret(code)) await getResolver().prepare()
    const lookup = (name: string, loc: Parameters<SecretResolver['lookup']>[1]) => getResolver().lookup(name, loc)
    return YAML_FILE.test(file) ? expandYaml(code, shown, lookup) : expandJson(code, shown, lookup, { sourcemap })
  }

  const plugin: UnpluginOptions = {
    name: 'unplugin-secrets',
    enforce: 'pre',
    transform: {
      filter: { id: { include: options.include, exclude: options.exclude } },
      async handler(code, id) {
        let result: ExpandedModule
        try {
          result = await expand(code, id, true)
        }
        catch (error) {
          if (!(error instanceof SecretsError)) throw error
          // webpack and Rspack record the error without throwing and drop loc: the message carries file:line:col.
          this.error(error.loc ? { message: error.message, id, loc: { line: error.loc.line, column: error.loc.column, file: id } } : { message: error.message, id })
          return
        }
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
    vite: {
      config(config) {
        root = config.root ?? root
        // Everything under the served root is public to Vite's dev server; the store must not be.
        return { server: { fs: { deny: [`**/${options.store.split(/[\\/]/).pop()}`] } } }
      },
      configResolved(config) {
        root = config.root
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
