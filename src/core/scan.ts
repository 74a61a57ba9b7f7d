import type { SourceLocation } from './errors'
import { expandJson } from './formats/json'
import { expandYamlData } from './formats/yaml'
import { mentionsSecret } from './reference'

export interface FoundReference {
  name: string
  loc: SourceLocation
}

/**
 * Every `${secret.NAME}` in a config file's text, located, without a store:
 * for `check` and the dashboard's "where used". `file` is the path shown in
 * locations. Throws a located SecretsError on a malformed file or reference.
 */
export function findReferences(code: string, file: string): FoundReference[] {
  if (!mentionsSecret(code)) return []
  const found: FoundReference[] = []
  const record = (name: string, locate: () => SourceLocation) => {
    found.push({ name, loc: locate() })
    return ''
  }
  if (/\.ya?ml$/i.test(file)) expandYamlData(code, file, record)
  else expandJson(code, file, record)
  return found
}
