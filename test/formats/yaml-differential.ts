/**
 * The fast YAML path against the yaml package's path, on one text: the
 * same template (data with its key order and types, references and their
 * locations), the same expansion (lookups in the same order with the same
 * locations, the same rewrites for render, the same first error), or the
 * fast path gave the file to the yaml package. Shared by the corpus tests
 * and the property (npm test runs it briefly, npm run fuzz at length).
 */
import { SecretsError } from '../../src/core/errors'
import type { SourceLocation } from '../../src/core/errors'
import { parsedYamlData, parsedYamlTemplate } from '../../src/core/formats/yaml'
import { fastYamlData, fastYamlTemplate, parseConfigYaml } from '../../src/core/formats/yaml-fast'

const FILE = 'config/app.yaml'

/** Every difference that matters, as text: types (-0, NaN, Infinity), key order, prototypes. */
export function canonical(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value)
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (Object.getPrototypeOf(value) !== Object.prototype) return `<${Object.prototype.toString.call(value)}>`
  return `{${Object.keys(value).map(key => `${JSON.stringify(key)}:${canonical(Object.getOwnPropertyDescriptor(value, key)!.value)}`).join(',')}}`
}

type Expand = typeof parsedYamlData

/** One expansion, recorded: lookups with their locations, rewrites, the result or the error. `_x` is missing from the store. */
function recordExpansion(expand: Expand, code: string): string {
  const events: string[] = []
  const lookup = (name: string, locate: () => SourceLocation) => {
    const { line, column } = locate()
    events.push(`lookup ${name} ${line}:${column}`)
    if (name === '_x') throw new SecretsError('SECRET_MISSING', `secret ${name} is not in the store.`, { loc: locate() })
    return `value-of-${name}`
  }
  const onRewrite = (start: number, end: number, raw: string, value: string) => {
    events.push(`rewrite ${start}-${end} ${JSON.stringify(raw)} ${JSON.stringify(value)}`)
  }
  try {
    const { documents, names } = expand(code, FILE, lookup, { onRewrite })
    events.push(`documents ${canonical(documents)}`, `names ${[...names].join(',')}`)
  }
  catch (error) {
    if (!(error instanceof SecretsError)) throw error
    events.push(`error ${error.code} ${error.message}`)
  }
  return events.join('\n')
}

/** Whether the yaml package's path accepts `code`, and its template when it does. */
function parsedTemplate(code: string): { template?: string, error?: string } {
  try {
    return { template: canonical(parsedYamlTemplate(code, FILE)) }
  }
  catch (error) {
    if (!(error instanceof SecretsError)) throw error
    return { error: `${error.code} ${error.message}` }
  }
}

export interface Difference { what: string, fast: string, yaml: string }

/**
 * Compares the two paths on `code`: undefined when the fast path bailed
 * out or agrees in every respect, else the first difference.
 */
export function differenceFromYamlPath(code: string): Difference | undefined {
  if (typeof parseConfigYaml(code) === 'string') return undefined
  const parsed = parsedTemplate(code)
  if (parsed.error) return { what: 'the yaml path refuses the text', fast: 'parsed it', yaml: parsed.error }
  const fast = canonical(fastYamlTemplate(code, FILE))
  if (fast !== parsed.template) return { what: 'template', fast, yaml: parsed.template! }
  const fastExpansion = recordExpansion((text, file, lookup, options) => fastYamlData(text, file, lookup, options?.onRewrite)!, code)
  const parsedExpansion = recordExpansion(parsedYamlData, code)
  if (fastExpansion !== parsedExpansion) return { what: 'expansion', fast: fastExpansion, yaml: parsedExpansion }
  return undefined
}

/** Whether the fast path handles `code` (rather than giving it to the yaml package). */
export const handledByFastPath = (code: string): boolean => typeof parseConfigYaml(code) !== 'string'
