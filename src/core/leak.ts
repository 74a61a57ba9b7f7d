/**
 * The output scan: finds secret values in a bundle's text, in any spelling a
 * minifier or JSON.parse('…') wrapper gives them. Never returns a value.
 */

/** Values shorter than this are not looked for in output: too many false hits. */
export const MIN_SCANNED_LENGTH = 6

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', 0: '\0' }
const LINE_CONTINUATIONS = new Set(['\n', '\r\n', '\r', '\u2028', '\u2029'])
const ESCAPE = /\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|(\r\n|[\s\S]))/g

/** What one escape (a match of ESCAPE) stands for. */
function unescape(
  hex2: string | undefined,
  point: string | undefined,
  hex4: string | undefined,
  char: string | undefined,
): string {
  if (hex2) return String.fromCharCode(Number.parseInt(hex2, 16))
  if (point) return Number.parseInt(point, 16) <= 0x10FFFF ? String.fromCodePoint(Number.parseInt(point, 16)) : ''
  if (hex4) return String.fromCharCode(Number.parseInt(hex4, 16))
  if (LINE_CONTINUATIONS.has(char!)) return ''
  return SIMPLE_ESCAPES[char!] ?? char!
}

/** One kind of escaping the scan reads through: what a match looks like, and what it stands for. */
interface Decoder {
  pattern: RegExp
  decode: (match: RegExpMatchArray) => string
}

/** JavaScript and JSON string escapes: \xHH, \uHHHH, \u{…}, \n and friends, \<char>, line continuations. */
const STRING_ESCAPES: Decoder = { pattern: ESCAPE, decode: match => unescape(match[1], match[2], match[3], match[4]) }

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'', nbsp: '\u00A0' }

function entity(name: string): string | undefined {
  const point = /^#x[0-9a-f]+$/i.test(name)
    ? Number.parseInt(name.slice(2), 16)
    : /^#\d+$/.test(name)
      ? Number(name.slice(1))
      : undefined
  if (point === undefined) return NAMED_ENTITIES[name.toLowerCase()]
  return point <= 0x10FFFF ? String.fromCodePoint(point) : undefined
}

/** HTML character references (`&quot;`, `&#34;`, `&#x22;`, …): how prerendered pages write text. */
const HTML_ENTITIES: Decoder = {
  pattern: /&(#x[0-9a-f]+|#\d+|[a-z]+);/gi,
  decode: match => entity(match[1]!) ?? match[0],
}

/**
 * Decodes JavaScript and JSON string escapes wherever they stand in `text`.
 * Whatever quoting and escaping a minifier chose for a string, its value
 * appears in the decoded text (decoded twice for strings inside JSON.parse('…')).
 */
export function decodeEscapes(text: string): string {
  return decodeWith(STRING_ESCAPES, text)
}

function decodeWith({ pattern, decode }: Decoder, text: string): string {
  return text.replace(pattern, (...args) => decode(args.slice(0, -2) as unknown as RegExpMatchArray))
}

/**
 * For each UTF-16 unit of `decodeWith(decoder, text)`, the span of `text` it
 * was decoded from: `[from[i], to[i])` (a literal character: itself; a
 * decoded sequence's units: the whole sequence).
 */
function decodedSpans({ pattern, decode }: Decoder, text: string): { from: Int32Array, to: Int32Array } {
  // Decoding never lengthens the text: one slot per input unit is enough.
  const from = new Int32Array(text.length)
  const to = new Int32Array(text.length)
  let length = 0
  const literal = (start: number, end: number) => {
    for (let i = start; i < end; i++, length++) {
      from[length] = i
      to[length] = i + 1
    }
  }
  let last = 0
  for (const match of text.matchAll(pattern)) {
    literal(last, match.index)
    const end = match.index + match[0].length
    for (let unit = decode(match).length; unit > 0; unit--, length++) {
      from[length] = match.index
      to[length] = end
    }
    last = end
  }
  literal(last, text.length)
  return { from: from.subarray(0, length), to: to.subarray(0, length) }
}

/** One way of reading an asset, and where its text came from in the asset as written. */
interface View {
  text: string
  /** Maps [start, end) in `text` to the span of the written asset it was decoded from. */
  toWritten: (start: number, end: number) => [number, number]
}

/**
 * The asset as written, with string escapes decoded once and twice, and with
 * HTML character references decoded (text in a page). Spans are worked out only when asked for.
 */
function views(written: string): View[] {
  const identity: View = { text: written, toWritten: (start, end) => [start, end] }
  const decodedFrom = (parent: View, decoder: Decoder): View => {
    let spans: { from: Int32Array, to: Int32Array } | undefined
    return {
      text: decodeWith(decoder, parent.text),
      toWritten(start, end) {
        spans ??= decodedSpans(decoder, parent.text)
        return parent.toWritten(spans.from[start]!, spans.to[end - 1]!)
      },
    }
  }
  const readings = [identity]
  const once = decodedFrom(identity, STRING_ESCAPES)
  if (once.text !== written) {
    readings.push(once)
    const twice = decodedFrom(once, STRING_ESCAPES)
    if (twice.text !== once.text) readings.push(twice)
  }
  const entities = written.includes('&') ? decodedFrom(identity, HTML_ENTITIES) : undefined
  if (entities && entities.text !== written) readings.push(entities)
  return readings
}

/** Every start of `needle` in `text`, overlapping ones included. */
function occurrences(text: string, needle: string): number[] {
  const starts: number[] = []
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) starts.push(at)
  return starts
}

/** Every span of the written asset that spells `value`, in any view. */
function writtenSpans(readings: View[], value: string): [number, number][] {
  return readings.flatMap(view =>
    occurrences(view.text, value).map(start => view.toWritten(start, start + value.length)),
  )
}

/** Whether `view.text` holds `value` at a place no allowed value holds whole (in this view, then in any). */
function holdsUnexcused(view: View, value: string, sameView: () => Coverage, anyView: () => Coverage): boolean {
  // Most occurrences an allowed value excuses are excused in their own view: no span of the written text is needed.
  const left = occurrences(view.text, value).filter(start => !sameView().holds(start, start + value.length))
  if (left.length === 0) return false
  if (anyView().empty) return true
  return left.some(start => !anyView().holds(...view.toWritten(start, start + value.length)))
}

interface Coverage {
  empty: boolean
  /** Whether one of the spans holds [start, end) whole, in O(log n). */
  holds: (start: number, end: number) => boolean
}

function coverage(spans: [number, number][]): Coverage {
  const sorted = spans.toSorted((a, b) => a[0] - b[0])
  const reach: number[] = [] // reach[i]: the furthest end among sorted[0..i]
  for (const [, end] of sorted) reach.push(Math.max(end, reach.at(-1) ?? -1))
  const holds = (start: number, end: number): boolean => {
    let low = 0
    let high = sorted.length // find the last span that starts at or before `start`
    while (low < high) {
      const middle = (low + high) >> 1
      if (sorted[middle]![0] <= start) low = middle + 1
      else high = middle
    }
    return low > 0 && reach[low - 1]! >= end
  }
  return { empty: sorted.length === 0, holds }
}

/** Computes a value on first use. */
const lazy = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined
  return () => (made ??= { value: make() }).value
}

export interface LeakHit {
  asset: string
  name: string
}

/**
 * Every (asset, secret) pair where the asset holds the secret's value, as
 * written or in any escaped spelling. An occurrence is excused only when it
 * lies wholly inside an occurrence of an `allowed` value (an allowed value
 * that contains the secret, or equals it): an allowed value inside a secret,
 * or overlapping it, hides nothing. Never returns a value.
 */
export function findLeaks(
  assets: Iterable<{ name: string, text: string }>,
  secrets: Map<string, string>,
  allowed: string[] = [],
): LeakHit[] {
  const needles = [...secrets].filter(([, value]) => value.length >= MIN_SCANNED_LENGTH)
  // A shorter allowed value cannot hold a scanned one.
  const excusing = allowed.filter(value => value.length >= MIN_SCANNED_LENGTH)
  const hits: LeakHit[] = []
  for (const { name: asset, text } of assets) {
    const readings = views(text)
    // Where allowed values stand is looked up only once a secret is found.
    const inView = readings.map(view =>
      lazy(() =>
        coverage(
          excusing.flatMap(allowed =>
            occurrences(view.text, allowed).map(start => [start, start + allowed.length] as [number, number]),
          ),
        ),
      ),
    )
    const inAnyView = lazy(() => coverage(excusing.flatMap(allowed => writtenSpans(readings, allowed))))
    for (const [name, value] of needles) {
      if (readings.some((view, i) => holdsUnexcused(view, value, inView[i]!, inAnyView))) hits.push({ asset, name })
    }
  }
  return hits
}

export function leakMessage(hits: LeakHit[], bundle: string): string {
  const list = hits.map(hit => `${hit.name} in ${hit.asset}`).join(', ')
  return [
    `secret values were found in the ${bundle} output: ${list}.`,
    'A secret reached browser code by a path the import check cannot see (a shared chunk,',
    'serialized server data, define, or another plugin). Find what puts it there; if the name is meant to be public,',
    `allow it with client: [${[...new Set(hits.map(hit => `'${hit.name}'`))].join(', ')}].`,
  ].join(' ')
}
