/** Values shorter than this are not looked for in output: too many false hits. */
export const MIN_SCANNED_LENGTH = 6

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', 0: '\0' }
const LINE_CONTINUATIONS = new Set(['\n', '\r\n', '\r', '\u2028', '\u2029'])

/**
 * Decodes JavaScript and JSON string escapes wherever they stand in `text`:
 * \xHH, \uHHHH, \u{…}, \n and friends, \<char>, line continuations. Whatever
 * quoting and escaping a minifier chose for a string, its value appears in
 * the decoded text (decoded twice for strings inside JSON.parse('…')).
 */
export function decodeEscapes(text: string): string {
  return text.replace(/\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|(\r\n|[\s\S]))/g, (_, hex2: string, point: string, hex4: string, char: string) => {
    if (hex2) return String.fromCharCode(Number.parseInt(hex2, 16))
    if (point) return Number.parseInt(point, 16) <= 0x10FFFF ? String.fromCodePoint(Number.parseInt(point, 16)) : ''
    if (hex4) return String.fromCharCode(Number.parseInt(hex4, 16))
    if (LINE_CONTINUATIONS.has(char)) return ''
    return SIMPLE_ESCAPES[char] ?? char
  })
}

/** The asset as written, with escapes decoded once, and twice. */
function views(text: string): string[] {
  const once = decodeEscapes(text)
  const twice = decodeEscapes(once)
  return [...new Set([text, once, twice])]
}

export interface LeakHit {
  asset: string
  name: string
}

/**
 * Every (asset, secret) pair where the asset holds the secret's value, as
 * written or in any escaped spelling. Occurrences of `allowed` values are
 * masked first, so a secret that is part of (or equal to) an allowed value is
 * not reported for it. Never returns a value.
 */
export function findLeaks(assets: Iterable<{ name: string, text: string }>, secrets: Map<string, string>, allowed: string[] = []): LeakHit[] {
  const needles = [...secrets].filter(([, value]) => value.length >= MIN_SCANNED_LENGTH)
  const masks = allowed.filter(value => value.length > 0).sort((a, b) => b.length - a.length)
  const hits: LeakHit[] = []
  for (const { name: asset, text } of assets) {
    const texts = views(text).map(view => masks.reduce((masked, value) => masked.split(value).join('\0'), view))
    for (const [name, value] of needles) {
      if (texts.some(view => view.includes(value))) hits.push({ asset, name })
    }
  }
  return hits
}

export function leakMessage(hits: LeakHit[], bundle: string): string {
  const list = hits.map(hit => `${hit.name} in ${hit.asset}`).join(', ')
  return `secret values were found in the ${bundle} output: ${list}. A secret reached browser code by a path the import check cannot see (a shared chunk, serialized server data, define, or another plugin). Find what puts it there; if the name is meant to be public, allow it with client: [${[...new Set(hits.map(hit => `'${hit.name}'`))].join(', ')}].`
}
