/**
 * Config data as the ES module a bundler gets: a default export, named exports for keys that are
 * identifiers, and JS literals for what JSON cannot carry.
 */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/
const RESERVED = new Set((`${[
  'await break case catch class const',
  'continue debugger default delete do else enum export extends false finally for function if ',
].join(' ')
+ [
  'implements import in instanceof',
  'interface let new null package private protected public return static super switch this throw true try typeof ',
].join(' ')
}var void while with yield arguments eval undefined NaN Infinity`).split(' '))

const isLegalExport = (key: string): boolean => IDENTIFIER.test(key) && !RESERVED.has(key)

/**
 * The top-level keys a module of `data` exports by name: those that are legal identifiers, when it
 * has named exports at all.
 */
export function namedExportKeys(data: unknown, namedExports: boolean): string[] {
  if (!namedExports || data === null || typeof data !== 'object' || Array.isArray(data)) return []
  return Object.keys(data).filter(isLegalExport)
}

/** True when JSON round-trips the value exactly (no NaN, Infinity, -0, undefined, non-plain objects). */
export function isJsonSafe(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0)
  if (Array.isArray(value)) return value.every(isJsonSafe)
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return Object.values(value).every(isJsonSafe)
  return false
}

/** A JS expression for data JSON cannot carry. Keys are computed, so "__proto__" stays an own key. */
function toJsLiteral(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : Number.isNaN(value) ? 'NaN' : String(value)
  if (typeof value === 'bigint') return `${value}n`
  if (value === undefined) return 'undefined'
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(toJsLiteral).join(',')}]`
  if (value instanceof Map) return `new Map(${toJsLiteral([...value])})`
  if (value instanceof Set) return `new Set(${toJsLiteral([...value])})`
  if (value instanceof Date) return `new Date(${JSON.stringify(value.toISOString())})`
  if (value instanceof Uint8Array) return `new Uint8Array(${toJsLiteral([...value])})`
  return `{${Object.entries(value).map(([key, item]) => `[${JSON.stringify(key)}]:${toJsLiteral(item)}`).join(',')}}`
}

/**
 * `export default` for `data`, through JSON.parse when JSON carries it exactly
 * (V8 parses that faster than an object literal), plus named exports.
 */
export function toModuleCode(
  data: unknown,
  namedExports: boolean,
  resolveAtStartUp?: { store: string, file: string, refs: unknown[] },
): string {
  const literal = isJsonSafe(data) ? `JSON.parse(${JSON.stringify(JSON.stringify(data))})` : toJsLiteral(data)
  const lines = resolveAtStartUp
    ? [
        'import { resolveConfig } from \'unplugin-secrets/runtime\';',
        `const _data = resolveConfig(${literal}, ${JSON.stringify(resolveAtStartUp)});`,
        'export default _data;',
      ]
    : [`const _data = ${literal};`, 'export default _data;']
  // Keys never become local names (a key "_data" or "data" must not collide): export generated locals under them.
  namedExportKeys(data, namedExports).forEach((key, index) => {
    lines.push(`const _${index} = _data[${JSON.stringify(key)}];`, `export { _${index} as ${key} };`)
  })
  return `${lines.join('\n')}\n`
}

/** Sets `value` at `path` with own-property semantics (a "__proto__" key never reaches the prototype). */
export function setAt(root: unknown, path: (string | number)[], value: string): void {
  let target = root as Record<string | number, unknown>
  for (const key of path.slice(0, -1))
    target = Object.getOwnPropertyDescriptor(target, key)!.value as Record<string | number, unknown>
  Object.defineProperty(target, path.at(-1)!, { value, writable: true, enumerable: true, configurable: true })
}
