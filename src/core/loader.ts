/**
 * Node's module hook behind `unplugin-secrets/register`: YAML configs become
 * modules and JSON imports get their references expanded, from the process's store.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { SecretsError } from './errors'
import { formatByExtension } from './formats/registry'
import type { ConfigFormat, SecretLookup } from './formats/types'
import { mentionsSecret } from './reference'
import { storeFailure, storeLookup } from './resolver'
import type { SecretStore } from './store/store'
import { findStore, openStore } from './store/store'

let opening: Promise<SecretStore> | undefined

/**
 * The store for this process: UNPLUGIN_SECRETS_STORE or UNPLUGIN_SECRETS_ENV, else the nearest
 * secrets.enc.json from the working directory.
 */
async function lookupFor(file: string): Promise<SecretLookup> {
  const path = findStore()
  opening ??= openStore({ path })
  let store: SecretStore
  try {
    store = await opening
  }
  catch (error) {
    opening = undefined
    if (!(error instanceof SecretsError)) throw error
    throw storeFailure(error, path, `${file}: cannot expand its secrets`)
  }
  return storeLookup(store)
}

/** A YAML file's ES module source; the store opens only for a text that mentions a secret. */
async function moduleSource(format: ConfigFormat, text: string, file: string): Promise<string> {
  const lookup: SecretLookup = mentionsSecret(text) ? await lookupFor(file) : () => ''
  return (await format.module(text, file, lookup)).code
}

/** A JSON text for Node's JSON loader (ESM import with the json attribute). */
async function renderedSource(format: ConfigFormat, text: string, file: string): Promise<string> {
  if (!mentionsSecret(text)) return text
  return format.render(text, file, await lookupFor(file)).code
}

interface LoadContext { format?: string | null, importAttributes?: Record<string, string> }
interface LoadResult { format: string, source: string | ArrayBuffer | Uint8Array | null, shortCircuit?: boolean }
type NextLoad = (url: string, context?: LoadContext) => Promise<LoadResult>

/** Node module customization hook: YAML becomes a module; JSON imports get their references expanded. */
export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<LoadResult> {
  if (!url.startsWith('file:')) return nextLoad(url, context)
  const path = fileURLToPath(url)
  const format = formatByExtension(path)
  if (format?.bundledAs === 'module') {
    return {
      format: 'module',
      source: await moduleSource(format, await readFile(path, 'utf8'), path),
      shortCircuit: true,
    }
  }
  const result = await nextLoad(url, context)
  if (format && result.format === 'json' && result.source !== null) {
    const text = typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source)
    return { ...result, source: await renderedSource(format, text, path) }
  }
  return result
}
