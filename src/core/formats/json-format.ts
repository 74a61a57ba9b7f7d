/**
 * JSON behind the ConfigFormat interface: expanded in place (it stays JSON,
 * with a map), or as a JS module where a bundler or runtime mode needs one.
 */
import { expandJson } from './json'
import { recordReferences } from './record'
import { toModuleCode } from './module'
import type { ConfigFormat, ExpandedData, ExpandedModule, FoundReference, ModuleOptions, SecretLookup } from './types'
import { expandYaml } from './yaml'

const withoutBom = (code: string) => (code.startsWith('\uFEFF') ? code.slice(1) : code)

function data(code: string, file: string, lookup: SecretLookup): ExpandedData {
  const { code: expanded, names } = expandJson(code, file, lookup)
  return { data: JSON.parse(withoutBom(expanded)), namedExports: true, names }
}

/**
 * Runtime mode: strict JSON is YAML 1.2, so the YAML path builds the start-up
 * module (the caller checked the file as JSON first: strict, keys, references).
 */
async function module(
  code: string,
  file: string,
  lookup: SecretLookup,
  { runtime }: ModuleOptions = {},
): Promise<ExpandedModule> {
  if (runtime) return expandYaml(code, file, () => '', { runtime })
  const expanded = data(code, file, lookup)
  return { code: toModuleCode(expanded.data, expanded.namedExports), map: null, names: expanded.names }
}

function render(code: string, file: string, lookup: SecretLookup, { sourcemap = false } = {}): ExpandedModule {
  return expandJson(code, file, lookup, { sourcemap })
}

function references(code: string, file: string): FoundReference[] {
  return recordReferences(code, record => expandJson(code, file, record))
}

export const jsonFormat: ConfigFormat = { name: 'JSON', bundledAs: 'itself', data, module, render, references }
