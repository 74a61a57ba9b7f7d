import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { SecretsError } from './errors'
import { expandJson } from './formats/json'
import type { SecretLookup } from './formats/types'
import { expandYaml } from './formats/yaml'
import { mentionsSecret } from './reference'
import { storeLookup } from './resolver'
import type { SecretStore } from './store/store'
import { findStore, openStore } from './store/store'

const YAML_URL = /\.ya?ml$/i
const JSON_URL = /\.json$/i

let opening: Promise<SecretStore> | undefined

/** The store for this process: UNPLUGIN_SECRETS_STORE, else the nearest secrets.enc.json from the working directory. */
function lookupFor(file: string): () => Promise<SecretLookup> {
  return async () => {
    opening ??= openStore({ path: findStore() })
    let store: SecretStore
    try {
      store = await opening
    }
    catch (error) {
      opening = undefined
      if (!(error instanceof SecretsError)) throw error
      throw new SecretsError(error.code, `${file}: cannot expand its secrets: ${error.message}`)
    }
    return storeLookup(store)
  }
}

/** Expands a JSON text for a loader (ESM import with the json attribute, or CommonJS require). */
export async function expandJsonText(text: string, file: string): Promise<string> {
  if (!mentionsSecret(text)) return text
  const lookup = await lookupFor(file)()
  return expandJson(text, file, lookup).code
}

/** ES module source for a YAML file. */
export async function yamlModuleSource(text: string, file: string): Promise<string> {
  const lookup = mentionsSecret(text) ? await lookupFor(file)() : () => ''
  return expandYaml(text, file, lookup).code
}

interface LoadContext { format?: string | null, importAttributes?: Record<string, string> }
interface LoadResult { format: string, source: string | ArrayBuffer | Uint8Array | null, shortCircuit?: boolean }
type NextLoad = (url: string, context?: LoadContext) => Promise<LoadResult>

/** Node module customization hook: YAML becomes a module; JSON imports get their references expanded. */
export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<LoadResult> {
  if (!url.startsWith('file:')) return nextLoad(url, context)
  const path = fileURLToPath(url)
  if (YAML_URL.test(path))
    return { format: 'module', source: await yamlModuleSource(await readFile(path, 'utf8'), path), shortCircuit: true }
  const result = await nextLoad(url, context)
  if (JSON_URL.test(path) && result.format === 'json' && result.source !== null) {
    const text = typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source)
    return { ...result, source: await expandJsonText(text, path) }
  }
  return result
}
