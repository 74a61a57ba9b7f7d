/**
 * Every user of YAML goes through the fast path: a file it handles never
 * reaches the yaml package's parser, and one it does not handle still does.
 * The yaml package runs for real; its parser is only wrapped to count calls.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as yaml from 'yaml'
import { expandConfig } from '../../src/core/config'
import { findReferences, renderConfig } from '../../src/core/formats/registry'
import { yamlFormat } from '../../src/core/formats/yaml-format'
import { expandYaml, yamlTemplate } from '../../src/core/formats/yaml'
import { tempDir } from '../helpers'
import { makeStore } from '../store/fixtures'

vi.mock('yaml', async (importOriginal) => {
  const actual = await importOriginal<typeof import('yaml')>()
  return { ...actual, parseAllDocuments: vi.fn(actual.parseAllDocuments) }
})

const HANDLED = 'service:\n  url: https://api.example.com\n  token: Bearer ${secret.ALPHA}\n  ports: [80, 443]\n'
const ANCHORED = 'base: &base {token: "${secret.ALPHA}"}\ncopy: *base\n'
const lookup = () => 'alpha-value-1'
const parserCalls = () => vi.mocked(yaml.parseAllDocuments).mock.calls.length

describe('the fast YAML path serves every user of YAML', () => {
  beforeEach(() => {
    vi.mocked(yaml.parseAllDocuments).mockClear()
  })

  it('the plugin\'s template and module, the Node loader, loadConfig, check and render', async () => {
    const { store } = await makeStore(await tempDir('usec-wiring-'))
    expect(yamlTemplate(HANDLED, 'a.yaml')?.refs).toHaveLength(1)
    expect(expandYaml(HANDLED, 'a.yaml', lookup).code).toContain('alpha-value-1')
    expect((await yamlFormat.module('a: 1\n', 'a.yaml', () => '')).code).toContain('export { _0 as a }')
    const service = { url: 'https://api.example.com', token: 'Bearer alpha-value-1', ports: [80, 443] }
    expect((await expandConfig(HANDLED, { filename: 'a.yaml', store })).data).toEqual({ service })
    expect(findReferences(HANDLED, 'a.yaml')).toEqual([{ name: 'ALPHA', loc: { file: 'a.yaml', line: 3, column: 16 } }])
    expect(renderConfig(HANDLED, 'a.yaml', lookup).code).toBe(HANDLED.replace('Bearer ${secret.ALPHA}', '"Bearer alpha-value-1"'))
    expect(parserCalls()).toBe(0)
  })

  it('what it does not handle still goes to the yaml package, for each of them', async () => {
    const { store } = await makeStore(await tempDir('usec-wiring-'))
    yamlTemplate(ANCHORED, 'a.yaml')
    expandYaml(ANCHORED, 'a.yaml', lookup)
    await expandConfig(ANCHORED, { filename: 'a.yaml', store })
    findReferences(ANCHORED, 'a.yaml')
    renderConfig(ANCHORED, 'a.yaml', lookup)
    expect(parserCalls()).toBe(5)
  })
})
