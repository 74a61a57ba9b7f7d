/**
 * Which format a config file is: one rule, by extension and in any case
 * (`CONFIG.YAML` is YAML), for the plugin, the loader, config loading and the CLI.
 */
import { extname } from 'node:path'
import { SecretsError } from '../errors'
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

/** The extensions each format reads, as messages list them: "YAML (.yaml, .yml) and JSON (.json)". */
const extensionsOf = (format: ConfigFormat): string[] =>
  Object.keys(BY_EXTENSION).filter(extension => BY_EXTENSION[extension] === format).map(extension => `.${extension}`)
const SUPPORTED = [...new Set(Object.values(BY_EXTENSION))]
  .map(format => `${format.name} (${extensionsOf(format).join(', ')})`)
  .join(' and ')

/**
 * The format of a file a user names directly (`render FILE`, `loadConfig(path)`):
 * by its extension, else FORMAT_UNSUPPORTED naming the supported ones (a
 * `.env` or `.toml` file is not read as JSON).
 */
export function namedFileFormat(file: string): ConfigFormat {
  const format = formatByExtension(file)
  if (format) return format
  const extension = extname(file.split('?')[0]!)
  const what = extension ? `a ${extension} file` : 'a file without an extension'
  throw new SecretsError('FORMAT_UNSUPPORTED', [
    `${file} is ${what}: unplugin-secrets reads ${SUPPORTED} files, told by the extension.`,
    'Rename it if it is one of those, or keep its references in a YAML or JSON config.',
  ].join(' '))
}

/** The file with its values in place, in its own format and layout (the `render` command). */
export function renderConfig(code: string, file: string, lookup: SecretLookup): ExpandedModule {
  return namedFileFormat(file).render(code, file, lookup)
}

/** Every `${secret.NAME}` in a config file's text, located, with no store (`check`, the dashboard's "where used"). */
export function findReferences(code: string, file: string): FoundReference[] {
  return configFormat(file).references(code, file)
}

/**
 * Whether a config holds references (not only escapes); a malformed file says no and is left to the
 * normal path's errors.
 */
export function hasReferences(format: ConfigFormat, code: string, file: string): boolean {
  try {
    return format.references(code, file).length > 0
  }
  catch {
    return false
  }
}
