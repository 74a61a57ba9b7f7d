import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping'
import { describe, expect, it } from 'vitest'
import { expandJson } from '../../src/core/formats/json'

const config = `{
  "grafana": {
    "api_key": "\${secret.LONG}",
    "header": "Bearer \${secret.LONG}"
  },
  "after": "below the substituted values",
  "nested": { "deeper": true }
}
`

describe('JSON edits keep lines and map back', () => {
  it('every line outside the edited strings is unchanged, and a key below a substituted value maps to its line', () => {
    const value = 'x'.repeat(200)
    const { code, map } = expandJson(config, 'config.json', () => value, { sourcemap: true })
    const input = config.split('\n')
    const output = code.split('\n')
    expect(output).toHaveLength(input.length)
    input.forEach((line, i) => {
      if (!line.includes('${secret.')) expect(output[i], `line ${i + 1}`).toBe(line)
    })
    const trace = new TraceMap(map as never)
    for (const key of ['"after"', '"nested"', '"header"']) {
      const line = output.findIndex(text => text.includes(key))
      const column = output[line]!.indexOf(key)
      expect(originalPositionFor(trace, { line: line + 1, column }), key).toMatchObject({ source: 'config.json', line: line + 1, column: input[line]!.indexOf(key) })
    }
    expect(JSON.stringify(map)).not.toContain(value)
  })
})
