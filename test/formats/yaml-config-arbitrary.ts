/**
 * fast-check arbitrary of config-shaped YAML text: nested block mappings
 * and sequences (compact, indented by 1 to 4, explicit keys), one-line
 * flow collections, every scalar style on one line or several, the core
 * schema's edge values as keys and values, references mixed in (good,
 * escaped, malformed), comments, document markers, unicode, long lines,
 * CRLF, a BOM, and now and then a mutation that breaks the text somewhere.
 */
import fc from 'fast-check'

interface Scalar { kind: 'scalar', style: 'plain' | 'single' | 'double' | 'empty', lines: string[] }
interface Key { style: 'plain' | 'single' | 'double' | 'explicit', text: string }
interface Mapping { kind: 'map', flow: boolean, entries: [Key, Node][] }
interface Sequence { kind: 'seq', flow: boolean, items: Node[] }
type Node = Scalar | Mapping | Sequence

const EDGE_VALUES = ['0o17', '0x1F', '0X1F', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '-.nan', '~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'FALSE', 'yes', 'No', 'on', '1e3', '1E-3', '-1.5e+3', '1e', '.5e3', '.5', '1.', '-0', '+0', '0', '007', '1_000', '0b101', '12345678901234567890', '1.0', '3.14', '-.5', '+12', '0o8', '0x', '-x', '---x', '...x', '__proto__', 'toString', 'constructor']
const TEXTS = ['x', 'hello world', 'a:b', 'a#b', 'http://x.example:8080/a?b=c#d', '?q', ':colon', 'ünïcödé', '日本語', '😀 emoji', 'a,b', 'a]b', 'x}y', 'it\'s', 'say "hi"', '$HOME', '${VAR}', '${{ secrets.X }}', 'a  b', 'back\\slash', 'registry.example.com/app:1.2.3', 'x'.repeat(300)]
const REFERENCES = ['${secret.A}', 'Bearer ${secret.B_2}', '${secret.TOKEN}/${secret._x}', 'pre $${secret.A} post', '$${secret.X}', '${secret.A}${secret.A}', 'a ${secret.TOKEN} b ${secret.B_2} c']
/** Texts the yaml path refuses somewhere (as a key, a plain scalar, in a flow collection): the fast path must leave them to it. */
const TROUBLE = ['${secret.}', '${ secret.A }', '${secret.A', 'x${secret.9}', 'tab\there', 'end:', '%x', '@x', '`x', '!x', '&x', '*x', '|x', '>x', '[x', '{x', ',x', '#x', ' x', 'x ', '- x', 'a: b', 'a #b', '<<', 'k'.repeat(1030)]
const KEY_NAMES = ['name', 'image', 'env', 'port', 'replicas', 'labels', 'url', 'token', 'a', 'b', 'c', 'd', '1', '2', '10', 'ключ', 'a b', 'x-y.z', '__proto__', 'sub.key', 'UPPER_CASE']
const ODD_CHARACTERS = 'ab xy:#-?,[]{}"\'\\$é😀01.~\n'

const text: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...EDGE_VALUES), weight: 4 },
  { arbitrary: fc.constantFrom(...TEXTS), weight: 4 },
  { arbitrary: fc.constantFrom(...REFERENCES), weight: 4 },
  // eslint-disable-next-line no-control-regex -- control characters are left to the yaml package's path
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }).map(text => text.replace(/[\0-\x1F\x7F-\x9F\u2028\u2029\uFEFF]/g, '')), weight: 1 },
  { arbitrary: fc.integer({ min: 20, max: 400 }).map(words => 'word '.repeat(words).trim()), weight: 1 },
  { arbitrary: fc.constantFrom(...TROUBLE), weight: 1 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...ODD_CHARACTERS), maxLength: 12 }), weight: 1 },
)

const scalar: fc.Arbitrary<Scalar> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('scalar' as const), style: fc.constantFrom('plain', 'single', 'double'), lines: fc.tuple(text) }), weight: 6 },
  {
    arbitrary: fc.record({
      kind: fc.constant('scalar' as const),
      style: fc.constantFrom('plain', 'single', 'double'),
      lines: fc.array(fc.oneof(text, fc.constant('')), { minLength: 2, maxLength: 4 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.constant<Scalar>({ kind: 'scalar', style: 'empty', lines: [] }), weight: 1 },
)

const key: fc.Arbitrary<Key> = fc.record({
  style: fc.constantFrom('plain', 'plain', 'plain', 'single', 'double', 'explicit'),
  text: fc.oneof(
    { arbitrary: fc.constantFrom(...KEY_NAMES), weight: 8 },
    { arbitrary: fc.constantFrom(...EDGE_VALUES), weight: 3 },
    { arbitrary: text, weight: 1 },
  ),
})

const node = fc.letrec<{ node: Node, map: Mapping, seq: Sequence }>(tie => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, { arbitrary: scalar, weight: 3 }, { arbitrary: tie('map'), weight: 2 }, { arbitrary: tie('seq'), weight: 1 }),
  map: fc.record({ kind: fc.constant('map' as const), flow: fc.constantFrom(false, false, false, true), entries: fc.array(fc.tuple(key, tie('node')), { maxLength: 5 }) }),
  seq: fc.record({ kind: fc.constant('seq' as const), flow: fc.constantFrom(false, false, true), items: fc.array(tie('node'), { maxLength: 4 }) }),
})).node

/** Deterministic choices while rendering (mulberry32). */
function chooser(seed: number) {
  let state = seed | 0
  const next = () => {
    state = (state + 0x6D2B79F5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { chance: (p: number) => next() < p, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! }
}
type Chooser = ReturnType<typeof chooser>

const DOUBLE_ESCAPES: Record<string, string[]> = {
  '\\': ['\\\\'],
  '"': ['\\"'],
  '\n': ['\\n'],
  '\t': ['\\t', '\\x09'],
  'é': ['é', '\\u00e9', '\\xe9', '\\U000000e9'],
  '😀': ['😀', '\\U0001F600', '\\ud83d\\ude00'],
  ' ': [' ', ' ', ' ', '\\ '],
  '/': ['/', '\\/'],
  '$': ['$', '\\x24', '\\u0024'],
}

function doubleQuoted(value: string, choose: Chooser): string {
  let out = ''
  for (const char of value) out += DOUBLE_ESCAPES[char] ? choose.pick(DOUBLE_ESCAPES[char]) : char
  if (choose.chance(0.1)) out += choose.pick(['\\0', '\\e', '\\N', '\\_', '\\L', '\\P', '\\a', '\\0', '\\x41', '\\q', '\\x4', '\\U00110000'].slice(0, choose.chance(0.8) ? 9 : 12))
  return `"${out}"`
}

/** One scalar's source; continuation lines get `indent` spaces. */
function renderScalar(value: Scalar, indent: number, choose: Chooser, inFlow: boolean): string {
  const lines = value.lines.map(line => line.replace(/\n/g, value.style === 'double' ? '\n' : ' '))
  const piece = (line: string) => value.style === 'plain'
    ? line
    : value.style === 'single' ? line.replace(/'/g, '\'\'') : doubleQuoted(line, choose).slice(1, -1)
  if (inFlow || lines.length === 1) {
    const one = lines.join(' ')
    if (value.style === 'plain') return inFlow && /[,[\]{}#:]|^\s|\s$/.test(one) ? doubleQuoted(one, choose) : one
    return value.style === 'single' ? `'${piece(one)}'` : doubleQuoted(one, choose)
  }
  const continuation = () => ' '.repeat(Math.max(0, indent + choose.pick([0, 0, 0, 0, 0, 1, 2, -1])))
  const body = lines.map((line, index) => {
    if (index === 0) return piece(line) + (choose.chance(0.2) ? '  ' : '')
    if (index === lines.length - 1 && line === '') return continuation()
    if (line === '') return choose.chance(0.5) ? '' : ' '.repeat(indent + 1)
    const lead = value.style === 'double' && choose.chance(0.3) ? '\\ ' : ''
    return continuation() + lead + piece(line) + (value.style === 'double' && choose.chance(0.2) ? '\\' : '')
  }).join('\n')
  return value.style === 'plain' ? body : value.style === 'single' ? `'${body}'` : `"${body}"`
}

function renderKey(key: Key, choose: Chooser, inFlow: boolean): string {
  const text = key.text.replace(/\n/g, ' ')
  if (key.style === 'single') return `'${text.replace(/'/g, '\'\'')}'`
  if (key.style === 'double') return doubleQuoted(text, choose)
  if (inFlow && /[,[\]{}#:]/.test(text)) return doubleQuoted(text, choose)
  return text
}

const comment = (choose: Chooser) => (choose.chance(0.15) ? ` # ${choose.pick(['note', 'x: y', '${secret.A}', ''])}` : '')

function renderFlow(value: Node, choose: Chooser): string {
  if (value.kind === 'scalar') return value.style === 'empty' ? '""' : renderScalar(value, 0, choose, true)
  const gap = () => choose.pick(['', ' ', ' ', '  '])
  const trailing = choose.chance(0.15) && (value.kind === 'map' ? value.entries.length : value.items.length) ? ',' : ''
  if (value.kind === 'seq') return `[${gap()}${value.items.map(item => renderFlow(item, choose)).join(`,${gap()}`)}${trailing}${gap()}]`
  const entries = value.entries.map(([entryKey, item]) => {
    const keyText = renderKey({ ...entryKey, style: entryKey.style === 'explicit' ? 'plain' : entryKey.style }, choose, true)
    const jsonLike = entryKey.style === 'single' || entryKey.style === 'double'
    return choose.chance(0.1) ? keyText : `${keyText}:${jsonLike ? choose.pick([' ', '']) : ' '}${renderFlow(item, choose)}`
  })
  return `{${gap()}${entries.join(`,${gap()}`)}${trailing}${gap()}}`
}

const isBlockCollection = (value: Node): value is Mapping | Sequence =>
  value.kind !== 'scalar' && !value.flow && (value.kind === 'map' ? value.entries.length > 0 : value.items.length > 0)

/** What follows `key:` (or `-`, or an explicit key's `:`), for a value inside a collection at `indent`; `compact` allows a collection on the same line. */
function renderAfter(value: Node, indent: number, choose: Chooser, compact: boolean): string {
  const step = choose.pick([2, 2, 2, 1, 3, 4])
  if (!isBlockCollection(value)) {
    if (value.kind === 'scalar' && value.style === 'empty') return `${comment(choose)}\n`
    const inline = value.kind === 'scalar' ? renderScalar(value, indent + step, choose, false) : renderFlow(value, choose)
    return ` ${inline}${comment(choose)}\n`
  }
  if (compact && choose.chance(0.5)) {
    const gap = choose.pick([1, 1, 2, 3])
    return ' '.repeat(gap) + renderBlock(value, indent + 1 + gap, choose, true)
  }
  const seqIndent = value.kind === 'seq' && !compact && choose.chance(0.4) ? indent : indent + step
  return `${comment(choose)}\n${renderBlock(value, seqIndent, choose, false)}`
}

/** A block collection at column `indent`; `inline`: its first line continues the current one. */
function renderBlock(value: Mapping | Sequence, indent: number, choose: Chooser, inline: boolean): string {
  const lines: string[] = []
  const items = value.kind === 'map' ? value.entries : value.items
  items.forEach((item, index) => {
    const prefix = index === 0 && inline ? '' : ' '.repeat(indent)
    if (index > 0 && choose.chance(0.1)) lines.push(choose.pick(['', `${' '.repeat(choose.pick([0, indent, indent + 2]))}# comment`]))
    if (value.kind === 'seq') {
      lines.push(`${prefix}-${renderAfter(item as Node, indent, choose, true)}`)
      return
    }
    const [entryKey, entryValue] = item as [Key, Node]
    const explicitKey = () => `${prefix}? ${renderKey({ ...entryKey, style: 'plain' }, choose, false)}\n${' '.repeat(indent)}:`
    if (entryKey.style === 'explicit') lines.push(explicitKey() + renderAfter(entryValue, indent, choose, true))
    else lines.push(`${prefix}${renderKey(entryKey, choose, false)}:${renderAfter(entryValue, indent, choose, false)}`)
  })
  return lines.join('\n').replace(/\n+$/, '\n').replace(/([^\n])$/, '$1\n')
}

function renderDocument(root: Node, choose: Chooser): string {
  if (isBlockCollection(root)) return renderBlock(root, choose.pick([0, 0, 0, 1, 2]), choose, false)
  if (root.kind === 'scalar') return root.style === 'empty' ? '' : `${renderScalar(root, 1, choose, false)}\n`
  return `${renderFlow(root, choose)}\n`
}

const MUTATIONS = ['\t', ':', ': ', ' ', '#', ' #', '-', '- ', '?', '? ', '&a ', '*a', '!t ', '|', '>', '"', '\'', '[', ']', '{', '}', ',', '\n', '\r', '\uFEFF', '---\n', '...\n', '%YAML 1.2\n', '<<: ', '\\', '${secret.A}', '\u0085', '\u2028']

function mutate(yaml: string, choose: Chooser, where: number): string {
  const at = Math.floor(where * yaml.length)
  switch (choose.pick(['insert', 'insert', 'delete', 'indent', 'dedent'])) {
    case 'insert': return yaml.slice(0, at) + choose.pick(MUTATIONS) + yaml.slice(at)
    case 'delete': return yaml.slice(0, at) + yaml.slice(at + 1)
    case 'indent': {
      const line = yaml.lastIndexOf('\n', at) + 1
      return `${yaml.slice(0, line)} ${yaml.slice(line)}`
    }
    default: {
      const line = yaml.lastIndexOf('\n', at) + 1
      return yaml[line] === ' ' ? yaml.slice(0, line) + yaml.slice(line + 1) : yaml
    }
  }
}

/** Config-shaped YAML text (shrinks toward smaller trees). */
export const configYaml: fc.Arbitrary<string> = fc.tuple(
  fc.array(node, { minLength: 1, maxLength: 3 }),
  fc.integer(),
  fc.oneof({ arbitrary: fc.constant([]), weight: 4 }, { arbitrary: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 2 }), weight: 1 }),
).map(([roots, seed, mutations]) => {
  const choose = chooser(seed)
  // Most documents are mappings: a scalar root usually becomes `value: <it>`.
  const asMapping = (root: Node): Node => ({ kind: 'map', flow: false, entries: [[{ style: 'plain', text: 'value' }, root]] })
  const documents = roots.map(root => renderDocument(root.kind === 'scalar' && choose.chance(0.8) ? asMapping(root) : root, choose))
  let yaml = (roots.length > 1 || choose.chance(0.2) ? choose.pick(['---\n', '--- # doc\n', '']) : '')
    + documents.join(choose.pick(['---\n', '...\n---\n', '--- # next\n']))
    + (choose.chance(0.1) ? '...\n' : '')
  if (choose.chance(0.1)) yaml = `# header\n\n${yaml}`
  for (const where of mutations) yaml = mutate(yaml, choose, where)
  if (choose.chance(0.15)) yaml = yaml.replace(/\n/g, '\r\n')
  if (choose.chance(0.1)) yaml = `\uFEFF${yaml}`
  if (choose.chance(0.2)) yaml = yaml.replace(/\r?\n$/, '')
  return yaml
})

const FRAGMENTS = ['a:', 'a: 1', 'b: x y', 'c: -1.5', '-', '- a', '- b: 1', '- - a', '? k', '? "k"', ':', ': v', ': - x', ': k: v', '"q": 1', '\'s\': 2', 'x', 'more words', '"multi', 'line"', '\'m', 'end\'', '"a\\', '\\ b"', '[1, 2]', '{a: b}', '{}', '[]', '# c', '', '---', '...', '--- # d', 'k: [a, {b: c}]', 'k: "x\\" y"', 'k: v # c', 'k: ${secret.A}', '${secret.B_2}', 'k: "${secret.A}"', 'k: a ${secret.TOKEN}', 'c: d: e', '-x', 'k: -', 'k: :', 'k: ?', '__proto__: 1', '1: one', '01: two', 'true: t', '~: n']

/** Lines of YAML fragments at random indentation: the structures a rendered tree never makes. */
export const yamlLineSoup: fc.Arbitrary<string> = fc.array(
  fc.tuple(fc.nat({ max: 6 }), fc.constantFrom(...FRAGMENTS)).map(([indent, fragment]) => ' '.repeat(indent) + fragment),
  { minLength: 1, maxLength: 8 },
).map(lines => `${lines.join('\n')}\n`)
