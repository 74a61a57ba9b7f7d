/**
 * YAML behind the ConfigFormat interface: a JS module of the data (the parse
 * cached as a template), the data itself, render as double-quoted scalars, references, its declaration.
 */
import MagicString from 'magic-string'
import { basename } from 'node:path'
import { mentionsSecret } from '../reference'
import { configDeclaration } from './declaration'
import { recordReferences } from './record'
import type { ConfigFormat, ExpandedData, ExpandedModule, FoundReference, ModuleOptions, SecretLookup } from './types'
import type { YamlTemplate } from './yaml'
import { expandYaml, expandYamlData, templateModule, yamlTemplate } from './yaml'

/** A YAML double-quoted scalar for `value`: JSON's escapes are YAML's, plus the characters YAML must not see raw. */
function yamlDoubleQuoted(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007F-\u009F\u2028\u2029\uFEFF\uFFFE\uFFFF]/g,
    char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

function data(code: string, file: string, lookup: SecretLookup): ExpandedData {
  const { documents, names } = expandYamlData(code, file, lookup)
  const single = documents.length === 1
  return { data: single ? documents[0] : documents.length === 0 ? null : documents, namedExports: single, names }
}

/**
 * The parse, from the cache when the file is unchanged there; undefined for data a template cannot
 * hold (see yamlTemplate).
 */
function cachedTemplate(
  code: string,
  file: string,
  cache: NonNullable<ModuleOptions['cache']>,
): Promise<YamlTemplate | undefined> {
  return cache.templates.template(cache.path, code, () => yamlTemplate(code, file))
}

/** The module, its parse taken from the cache when the file is unchanged there. */
async function module(
  code: string,
  file: string,
  lookup: SecretLookup,
  { runtime, cache }: ModuleOptions = {},
): Promise<ExpandedModule> {
  if (!cache) return expandYaml(code, file, lookup, { runtime })
  const template = await cachedTemplate(code, file, cache)
  return template ? templateModule(template, file, lookup, { runtime }) : expandYaml(code, file, lookup, { runtime })
}

/**
 * Typed from the template (`''` where a reference is), or from the data with every reference as
 * `''`: never a value.
 */
async function declaration(code: string, file: string, { cache }: Pick<ModuleOptions, 'cache'> = {}): Promise<string> {
  const template = cache ? await cachedTemplate(code, file, cache) : yamlTemplate(code, file)
  const typed = template ? { data: template.data, namedExports: template.single } : data(code, file, () => '')
  return configDeclaration(typed.data, typed.namedExports, basename(file))
}

/**
 * Every scalar that holds a reference (or an escape) becomes a double-quoted
 * scalar of its final value (a block scalar `|`/`>` too); every other byte
 * stays. One pass: the YAML path checks everything (syntax, keys, references,
 * missing names) and reports each rewritten scalar.
 */
function render(code: string, file: string, lookup: SecretLookup): ExpandedModule {
  if (!mentionsSecret(code)) return { code, map: null, names: new Set() }
  const edits = new MagicString(code)
  const { names } = expandYamlData(code, file, lookup, {
    onRewrite(start, end, raw, value) {
      // A block scalar's range ends after its last line break: keep one.
      const newline = /^[|>]/.test(raw) && raw.endsWith('\n') ? '\n' : ''
      edits.overwrite(start, end, yamlDoubleQuoted(value) + newline)
    },
  })
  return { code: edits.toString(), map: null, names }
}

function references(code: string, file: string): FoundReference[] {
  return recordReferences(code, record => expandYamlData(code, file, record))
}

export const yamlFormat: ConfigFormat = {
  name: 'YAML',
  bundledAs: 'module',
  data,
  module,
  render,
  references,
  declaration,
}
