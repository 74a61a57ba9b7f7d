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

/** Returns the value of a secret, or throws a SecretsError located at `loc`. */
export type SecretLookup = (name: string, loc: SourceLocation) => string

export interface ExpandedModule {
  code: string
  /** Present when the output is the input with edits (JSON); null when it was rewritten (YAML to JS). */
  map: SourceMapData | null
  /** Names of the secrets the file referenced. */
  names: Set<string>
}

/**
 * Where a reference at `offset` inside a string value sits in the source:
 * exact when the value appears verbatim in the scalar's source text (no
 * escapes, one line), else the start of the scalar.
 */
export function referenceOffset(source: string, start: number, end: number, value: string, offset: number): number {
  const raw = source.slice(start, end)
  for (const skip of [0, 1]) {
    if (raw.startsWith(value, skip)) return start + skip + offset
  }
  return start
}
