import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { expandYaml, expandYamlData } from '../../src/core/formats/yaml'
import { expandReferences } from '../../src/core/reference'

const values: Record<string, string> = { A: 'alpha "q" \\ \n line2', B: 'b: - #x', EMPTY: '' }
const lookup = (name: string) => {
  if (!(name in values)) throw new Error(`missing ${name}`)
  return values[name]!
}

function substitute(value: unknown): unknown {
  if (typeof value === 'string') return expandReferences(value, lookup)
  if (Array.isArray(value)) return value.map(substitute)
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]))
  return value
}

/** Expanding must equal parsing the document and substituting in the data. */
function expectSubstituted(source: string) {
  const expected = parseAllDocuments(source, { merge: true }) as unknown as { toJS: () => unknown }[]
  expect(expandYamlData(source, 'c.yaml', lookup).documents).toEqual(expected.map(doc => substitute(doc.toJS())))
}

describe('every YAML scalar style', () => {
  it.each([
    ['plain', 'k: ${secret.A}\nj: x ${secret.B} y\n'],
    ['single-quoted', 'k: \'${secret.A} it\'\'s\'\n'],
    ['double-quoted with escapes', 'k: "\\t${secret.A}\\u00e9\\n"\n'],
    ['literal block, clip/strip/keep', 'a: |\n  one ${secret.A}\n  two\nb: |-\n  ${secret.B}\nc: |+\n  ${secret.EMPTY}\n\n'],
    ['folded block', 'a: >\n  folded ${secret.A}\n  more text\n\n  para\nb: >-\n  ${secret.B}\n'],
    ['multi-line plain', 'k: first ${secret.A}\n  second line\n  third\n'],
    ['flow sequence and mapping (quoted references)', 'l: [1, "${secret.A}", \'${secret.B}\']\nm: {a: "${secret.A}", b: 2}\n'],
    ['quoted keys', '"quoted key": ${secret.A}\n\'single key\': ${secret.B}\n'],
    ['comments', '# ${secret.A} in a comment is not expanded\nk: ${secret.B} # trailing comment ${secret.A}\n'],
    ['nested lists', 'a:\n  - - ${secret.A}\n    - [x, "${secret.B}"]\n  - k: ${secret.A}\n'],
    ['anchors and aliases', 'base: &v ${secret.A}\ncopy: *v\nlist: [*v, *v]\n'],
    ['merge keys', 'defaults: &d\n  pw: ${secret.A}\n  host: db\nprod:\n  <<: *d\n  host: prod-db\n'],
    ['tags', 'a: !!str ${secret.A}\nb: !custom ${secret.B}\n'],
  ])('%s', (_name, source) => expectSubstituted(source))

  it('a multi-document file exports an array of documents; named exports only for one document', async () => {
    const source = '---\nk: ${secret.A}\n---\n- ${secret.B}\n'
    expect(expandYamlData(source, 'c.yaml', lookup).documents).toEqual([{ k: values.A }, [values.B]])
    const multi = await import(`data:text/javascript,${encodeURIComponent(expandYaml(source, 'c.yaml', lookup).code)}`)
    expect(Object.keys(multi)).toEqual(['default'])
    const single = await import(`data:text/javascript,${encodeURIComponent(expandYaml('grafana: ${secret.A}\n"not-an-id": 1\ndefault: 2\nlet: 3\n_data: 4\ndata: 5\n_0: 6\n', 'c.yaml', lookup).code)}`)
    expect(Object.keys(single).sort()).toEqual(['_0', '_data', 'data', 'default', 'grafana'])
    expect(single).toMatchObject({ grafana: values.A, _data: 4, data: 5, _0: 6 })
    expect(single.default).toEqual({ 'grafana': values.A, 'not-an-id': 1, 'default': 2, 'let': 3, '_data': 4, 'data': 5, '_0': 6 })
  })

  it('an alias of a scalar with a reference resolves to the same value; a value is never expanded again', () => {
    const { documents } = expandYamlData('a: &x "${secret.A}"\nb: *x\nc: "$${secret.A}"\n', 'c.yaml', name => (name === 'A' ? '${secret.B}' : 'never'))
    expect(documents[0]).toEqual({ a: '${secret.B}', b: '${secret.B}', c: '${secret.A}' })
  })

  it('data JSON cannot carry keeps its JS value (.inf, .nan, -0, Set)', async () => {
    const { code } = expandYaml('inf: .inf\nnan: .nan\nzero: -0\nset: !!set {a, b}\n', 'c.yaml', lookup)
    const data = (await import(`data:text/javascript,${encodeURIComponent(code)}`)).default
    expect(data.inf).toBe(Infinity)
    expect(data.nan).toBeNaN()
    expect(Object.is(data.zero, -0)).toBe(true)
    expect(data.set).toEqual(new Set(['a', 'b']))
  })

  it('__proto__ keys are own data in the module, never the prototype', async () => {
    for (const source of ['__proto__: {polluted: 1}\n', 'inf: .inf\n__proto__: {polluted: 1}\n']) {
      const data = (await import(`data:text/javascript,${encodeURIComponent(expandYaml(source, 'c.yaml', lookup).code)}`)).default
      expect(Object.getPrototypeOf(data)).toBe(Object.prototype)
      expect(Object.hasOwn(data, '__proto__')).toBe(true)
      expect(data.polluted).toBeUndefined()
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('the template behind the module (parse cache, runtime mode)', () => {
  // eslint-disable-next-line no-new-func -- runs the module code the plugin generated, as a bundler would
  const evaluate = (code: string) => new Function(code.replace('export default _data;', 'return _data;').replace(/^(const _\d+ = .*|export \{.*)$/gm, ''))() as unknown

  it('a document that is only a reference becomes the value', () => {
    expect(evaluate(expandYaml('${secret.B}\n', 'c.yaml', lookup).code)).toBe(values.B)
    expect(evaluate(expandYaml('--- ${secret.B}\n--- x${secret.EMPTY}\n', 'c.yaml', lookup).code)).toEqual([values.B, 'x'])
  })

  it('a reference inside a YAML 1.1 !!omap is expanded without the template; runtime mode refuses it with the reason', () => {
    const source = '%YAML 1.1\n---\nordered: !!omap\n  - first: ${secret.A}\n  - second: plain\n'
    const data = evaluate(expandYaml(source, 'c.yaml', lookup).code) as { ordered: Map<string, string> }
    expect([...data.ordered]).toEqual([['first', values.A], ['second', 'plain']])
    expect(() => expandYaml(source, 'c.yaml', lookup, { runtime: { store: 's.json' } })).toThrow(/!!omap, !!pairs or !!set cannot be resolved at start-up/)
  })
})
