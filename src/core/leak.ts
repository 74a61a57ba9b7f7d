/** Values shorter than this are not looked for in output: too many false hits. */
export const MIN_SCANNED_LENGTH = 6

const hex = (code: number, width: number) => code.toString(16).padStart(width, '0')

/** The ways minifiers write characters outside printable ASCII inside a string literal. */
const NON_ASCII_STYLES: ((text: string) => string)[] = [
  text => text,
  text => text.replace(/[\u2028\u2029]/g, char => `\\u${hex(char.charCodeAt(0), 4)}`),
  text => text.replace(/[^\x00-\x7E]/g, char => `\\u${hex(char.charCodeAt(0), 4)}`),
  text => text.replace(/[^\x00-\x7E]/g, char => (char.charCodeAt(0) < 0x100 ? `\\x${hex(char.charCodeAt(0), 2)}` : `\\u${hex(char.charCodeAt(0), 4)}`)),
  text => text.replace(/[^\x00-\x7E]/gu, char => (char.length > 1 ? `\\u{${hex(char.codePointAt(0)!, 1)}}` : char.charCodeAt(0) < 0x100 ? `\\x${hex(char.charCodeAt(0), 2)}` : `\\u${hex(char.charCodeAt(0), 4)}`)),
]

/**
 * The spellings a value can take in emitted code: as is, inside a
 * double-quoted, single-quoted or template literal, each with the ways
 * minifiers write non-ASCII characters (as they are, \uXXXX, \xNN, \u{…}).
 */
export function valueSpellings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1)
  const single = json.replace(/\\"/g, '"').replace(/'/g, '\\\'')
  const template = value.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${')
  const spellings = [value, json, single, template].flatMap(form => NON_ASCII_STYLES.map(style => style(form)))
  const upperHex = (text: string) => text.replace(/\\(x|u\{|u)([0-9a-f]+)/g, (_, prefix: string, digits: string) => `\\${prefix}${digits.toUpperCase()}`)
  return [...new Set([...spellings, ...spellings.map(upperHex)])]
}

export interface LeakHit {
  asset: string
  name: string
}

/**
 * Every (asset, secret) pair where the asset's text holds the secret's value
 * in any spelling. Never returns the value itself.
 */
export function findLeaks(assets: Iterable<{ name: string, text: string }>, secrets: Map<string, string>): LeakHit[] {
  const needles = [...secrets]
    .filter(([, value]) => value.length >= MIN_SCANNED_LENGTH)
    .map(([name, value]) => ({ name, spellings: valueSpellings(value) }))
  const hits: LeakHit[] = []
  for (const { name: asset, text } of assets) {
    for (const { name, spellings } of needles) {
      if (spellings.some(spelling => text.includes(spelling))) hits.push({ asset, name })
    }
  }
  return hits
}

export function leakMessage(hits: LeakHit[], bundle: string): string {
  const list = hits.map(hit => `${hit.name} in ${hit.asset}`).join(', ')
  return `secret values were found in the ${bundle} output: ${list}. A secret reached browser code by a path the import check cannot see (a shared chunk, serialized server data, define, or another plugin). Find what puts it there; if the name is meant to be public, allow it with client: [${[...new Set(hits.map(hit => `'${hit.name}'`))].join(', ')}].`
}
