/**
 * Which format a config file is: one rule, by extension and in any case
 * (`CONFIG.YAML` is YAML), for the plugin, the loader, config loading and the CLI.
 */
import { jsonFormat } from './json-format'
import type { ConfigFormat, ExpandedModule, FoundReference, SecretLookup } from './types'
import { yamlFormat } from './yaml-format'

const BY_EXTENSION: Record<string, ConfigFormat> = { yaml: yamlFormat, yml: yamlFormat, json: jsonFormat }

/** A path whose extension names a config format, in any case (for filters given to a bundler as a pattern). */
export const CONFIG_FILE = /\.(ya?ml|json)$/i

/** The format a file's extension names (`.yaml`, `.yml`, `.json`, any case), else undefined. A `?query` is ignored. */
export function formatByExtension(file: string): ConfigFormat | undefined {
  const extension = CONFIG_FILE.exec(file.split('?')[0]!)?.[1]
  return extension === undefined ? undefined : BY_EXTENSION[extension.toLowerCase()]
}

/** The format of a config file: by its extension; JSON for any other file (one a user's include or glob picked). */
export function configFormat(file: string): ConfigFormat {
  return formatByExtension(file) ?? jsonFormat
}

/** The file with its values in place, in its own format and layout (the `render` command). */
export function renderConfig(code: string, file: string, lookup: SecretLookup): ExpandedModule {
  return configFormat(file).render(code, file, lookup)
}

/** Every `${secret.NAME}` in a config file's text, located, with no store (`check`, the dashboard's "where used"). */
export function findReferences(code: string, file: string): FoundReference[] {
  return configFormat(file).references(code, file)
}

/** Whether a config holds references (not only escapes); a malformed file says no and is left to the normal path's errors. */
export function hasReferences(format: ConfigFormat, code: string, file: string): boolean {
  try {
    return format.references(code, file).length > 0
  }
  catch {
    return false
  }
}
