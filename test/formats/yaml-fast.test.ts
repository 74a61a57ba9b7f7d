import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expandYaml, parsedYamlTemplate } from '../../src/core/formats/yaml'
import { parseConfigYaml, resolvePlain } from '../../src/core/formats/yaml-fast'
import { ROOT } from '../helpers'
import { canonical, differenceFromYamlPath, handledByFastPath } from './yaml-differential'

const CORPUS = join(ROOT, 'test/corpus')
const suiteCases = readdirSync(join(CORPUS, 'yaml-test-suite')).filter(id => /^[0-9A-Z]{4}(?:-\d+)?$/.test(id)).sort()
const jsonFiles = readdirSync(join(CORPUS, 'json-test-suite')).filter(name => name.endsWith('.json')).sort()
const realConfigs = readdirSync(join(CORPUS, 'real-configs')).filter(name => /\.(?:ya?ml|json)$/.test(name)).sort()
const read = (...path: string[]) => readFileSync(join(CORPUS, ...path), 'utf8')

/**
 * A config with references written into it: every 7th line holding
 * `key: plain text` gets ` ${secret.NAME}` appended, cycling through names
 * that exist, one that is missing (`_x`) and an escaped one.
 */
function withReferences(yaml: string): string {
  const pieces = ['${secret.A}', 'Bearer ${secret.B_2}', '$${secret.ESCAPED}', '${secret.TOKEN}-${secret._x}']
  let count = 0
  return yaml.split('\n').map((line, index) => {
    if (index % 7 !== 3 || !/^\s*(?:- )?[\w.-]+: [A-Za-z][^#'"]*$/.test(line)) return line
    return `${line} ${pieces[count++ % pieces.length]}`
  }).join('\n')
}

function expectNoDifferences(texts: [string, string][]): number {
  const differences = texts.flatMap(([name, text]) => {
    const difference = differenceFromYamlPath(text)
    return difference ? [`${name}: ${difference.what}\n  fast: ${difference.fast.slice(0, 400)}\n  yaml: ${difference.yaml.slice(0, 400)}`] : []
  })
  expect(differences).toEqual([])
  return texts.filter(([, text]) => handledByFastPath(text)).length
}

describe('the fast YAML path gives what the yaml package\'s path gives, or leaves the file to it', () => {
  it(`every yaml-test-suite case (${suiteCases.length}, data and errors)`, () => {
    const handled = expectNoDifferences(suiteCases.map(id => [id, read('yaml-test-suite', id, 'in.yaml')]))
    expect(handled).toBeGreaterThanOrEqual(75) // the plain configs among them; the rest test what configs rarely use
  })

  it(`every JSONTestSuite file read as YAML (${jsonFiles.length})`, () => {
    expectNoDifferences(jsonFiles.map(name => [name, read('json-test-suite', name)]))
  })

  it(`every real-world config (${realConfigs.length}), as it is and with references written in`, () => {
    expectNoDifferences(realConfigs.flatMap(name => [[name, read('real-configs', name)], [`${name} with references`, withReferences(read('real-configs', name))]]))
  }, 120_000)

  it('the files the benchmark targets are handled by the fast path, with and without references', () => {
    for (const name of ['openapi-twilio-api-v2010.yaml', 'helm-bitnami-postgresql-values.yaml', 'k8s-guestbook-all-in-one.yaml', 'compose-wordpress-mysql.yaml']) {
      expect(parseConfigYaml(read('real-configs', name)), name).not.toBeTypeOf('string')
      expect(parseConfigYaml(withReferences(read('real-configs', name))), name).not.toBeTypeOf('string')
    }
  })
})

describe('the fast path on its own cases', () => {
  const same = (yaml: string) => {
    expect(parseConfigYaml(yaml), yaml).not.toBeTypeOf('string')
    expect(differenceFromYamlPath(yaml), yaml).toBeUndefined()
  }
  const bails = (yaml: string, reason: RegExp) => {
    expect(parseConfigYaml(yaml), yaml).toMatch(reason)
  }

  it('resolves plain scalars by the core schema, as the yaml package does', () => {
    const cases: [string, unknown][] = [
      ['0o17', 15],
      ['0x1F', 31],
      ['0X1F', '0X1F'],
      ['.inf', Infinity],
      ['-.Inf', -Infinity],
      ['+.INF', Infinity],
      ['.nan', Number.NaN],
      ['-.nan', '-.nan'],
      ['~', null],
      ['null', null],
      ['Null', null],
      ['nULL', 'nULL'],
      ['True', true],
      ['TRUE', true],
      ['tRUE', 'tRUE'],
      ['false', false],
      ['yes', 'yes'],
      ['1e3', 1000],
      ['1E-3', 0.001],
      ['1e', '1e'],
      ['.5e3', 500],
      ['1_000', '1_000'],
      ['-0', -0],
      ['+12', 12],
      ['1.', 1],
      ['.5', 0.5],
      ['0b1', '0b1'],
      ['12345678901234567890', 12345678901234567000],
      ['+0x1', '+0x1'],
      ['007', 7],
    ]
    for (const [text, value] of cases) expect(canonical(resolvePlain(text)), text).toBe(canonical(value))
    same(`${cases.map(([text], index) => `k${index}: ${text}`).join('\n')}\n`)
    // Keys are the values' strings: 0o17 is "15", ~ is "".
    same('0o17: a\n0x1F: b\n0X1F: c\n.inf: d\n-.Inf: e\n~: f\nTrue: g\nfalse: h\n1e3: i\n1_000: j\n-0: k\n.nan: l\n1.: m\nnULL: n\n')
  })

  it('keeps key order, and __proto__ and inherited names as own keys', () => {
    same('b: 1\na: 2\n__proto__: {polluted: yes}\ntoString: 3\nconstructor: [4]\n"10": x\n2: y\n')
    const { data } = parsedYamlTemplate('__proto__: {polluted: yes}\n', 'a.yaml')!
    expect(Object.hasOwn(data as object, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('finds references where the yaml path finds them (line:column), in every scalar style and after CRLF and a BOM', () => {
    same('a: ${secret.A}\nb: "x ${secret.B_2} \\u00e9 ${secret.TOKEN}"\nc: \'it\'\'s ${secret.A}\'\nd:\n  - ${secret._x}\n  - $${secret.NOT}\n')
    same('\uFEFFa: Bearer ${secret.A}\r\nb:\r\n  c: long text\r\n    continued ${secret.TOKEN}\r\n')
    same('d: "folded\n  \\ ${secret.A} line"\ne: \'two\n\n  ${secret.B_2}\'\n')
    same('2: ${secret.A}\nb: ${secret.B_2}\n1: {x: "${secret.TOKEN}"}\n---\n${secret.A}\n')
  })

  it('explicit keys, compact sequences, flow collections, document markers', () => {
    same('? a very long key\n: type: object\n  more: [1, {b: c}, "d"]\nlist:\n- one\n- two: 2\n  three: 3\n- - nested\n  - again\n')
    same('--- # first\na: 1\n...\n---\nb: [a:b, http://x, {a:1, b}]\n---\n')
    same('- [  ]\n- { }\n- [a, b, ]\n- {"a":b, \'c\' : d}\n')
  })

  it('leaves to the yaml package what it does not handle, and every error', () => {
    bails('a: &x 1\nb: *x\n', /anchor/)
    bails('a: !!str 1\n', /tag/)
    bails('a: |\n  text\n', /block scalar/)
    bails('base: {x: 1}\nc:\n  <<: {y: 2}\n', /merge key/)
    bails('a: 1\na: 2\n', /repeated key/)
    bails('1: a\n01: b\n', /repeated key/)
    bails('${secret.A}: x\n', /key mentions/)
    bails('a: ${secret.}\n', /malformed reference/)
    bails('a:\n\tb: 1\n', /tab/)
    bails('%YAML 1.2\n---\na: 1\n', /indicator/)
    bails('a: [1,\n  2]\n', /spans lines/)
    bails('a: b: c\n', /key where a value/)
    bails(`${'['.repeat(150)}${']'.repeat(150)}\n`, /deep nesting/)
    bails(`${'k'.repeat(1100)}: v\n`, /long implicit key/)
    // The error messages stay the yaml path's.
    expect(() => expandYaml('a: 1\na: 2\n', 'dup.yaml', () => '')).toThrow('dup.yaml:2:1: Map keys must be unique. Remove or rename one of the keys.')
    expect(() => expandYaml('a: ${secret.}\n', 'bad.yaml', () => '')).toThrow(/^bad\.yaml:1:4: Empty reference/)
  })
})
