/** What every config format is, to every caller: the interface in front of formats/yaml.ts and formats/json.ts. */
import type { TemplateCache } from '../cache'
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

/** A reference found without a store: the name and where it is written. */
export interface FoundReference {
  name: string
  loc: SourceLocation
}

/** A config's data with references expanded. */
export interface ExpandedData {
  /** An array of documents for a multi-document YAML file; null for an empty one. */
  data: unknown
  /** Whether a module of it exports each top-level key too (one document that is a mapping). */
  namedExports: boolean
  names: Set<string>
}

export interface ModuleOptions {
  /** Runtime mode: the module resolves its references from this store path at start-up; no value is written. */
  runtime?: { store: string }
  /** The parse cache, and the file's real path (its key); `file` is only the name shown in messages. */
  cache?: { templates: TemplateCache, path: string }
}

/**
 * One config file format (YAML, JSON). Every caller reaches the formats
 * through this: the bundler plugin, the Node loader, `unplugin-secrets/config`,
 * `render`, `check` and the dashboard. `file` is the name errors show.
 */
export interface ConfigFormat {
  readonly name: 'YAML' | 'JSON'
  /**
   * What a bundler is given for the file: `module`, a JS module exporting the
   * data (YAML), or `itself`, the file with values in place (JSON: each
   * bundler's own JSON handling takes it).
   */
  readonly bundledAs: 'module' | 'itself'
  /** The data, references expanded. */
  data: (code: string, file: string, lookup: SecretLookup) => ExpandedData
  /** A JS module exporting the data. */
  module: (code: string, file: string, lookup: SecretLookup, options?: ModuleOptions) => Promise<ExpandedModule>
  /**
   * The file in its own format with values in place, every other line unchanged (a map on request,
   * where the format keeps offsets).
   */
  render: (code: string, file: string, lookup: SecretLookup, options?: { sourcemap?: boolean }) => ExpandedModule
  /** Every reference, located, with no store; throws a located SecretsError on a malformed file or reference. */
  references: (code: string, file: string) => FoundReference[]
  /**
   * The TypeScript declaration of the module (`dts: true`), from the text
   * alone: no store, no value. Absent where TypeScript types the file itself (JSON).
   */
  declaration?: (code: string, file: string, options?: Pick<ModuleOptions, 'cache'>) => Promise<string>
}
