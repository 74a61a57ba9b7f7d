import type { SourceLocation } from '../errors'

/** A v3 source map, as bundlers accept it from a transform. */
export interface SourceMapData {
  version: number
  file?: string
  sources: string[]
  sourcesContent?: (string | null)[]
  names: string[]
  mappings: string
}

/**
 * Returns the value of a secret, or throws a SecretsError located by
 * `locate()` (called only on failure: locating costs a scan).
 */
export type SecretLookup = (name: string, locate: () => SourceLocation) => string

export interface ExpandedModule {
  code: string
  /** Present when the output is the input with edits (JSON); null when it was rewritten (YAML to JS). */
  map: SourceMapData | null
  /** Names of the secrets the file referenced. */
  names: Set<string>
  /** Set when a .json file became a JS module (Vite and Rolldown read it; webpack gets a rule). */
  moduleType?: 'js'
}
