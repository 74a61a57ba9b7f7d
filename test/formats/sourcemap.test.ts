import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping'
import { describe, expect, it } from 'vitest'
import { expandJson } from '../../src/core/formats/json'

const config = `{
  "grafana": {
    "api_key": "\${secret.LONG}",
    "header": "Bearer \${secret.LONG}"
  },
  "inline": { "a": "\${secret.LONG}", "b": "after an edit on its line", "c": "\${secret.LONG}", "d": 1 },
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
    // Every line maps to itself (magic-string's default resolution: from the line's start).
    output.forEach((text, i) => {
      expect(originalPositionFor(trace, { line: i + 1, column: text.length }), `line ${i + 1}`).toMatchObject({ source: 'config.json', line: i + 1 })
    })
    // On an edited line, each replacement maps to its original string, and the text after it to the text after the original.
    for (const [written, expanded] of [['"${secret.LONG}"', JSON.stringify(value)], ['"Bearer ${secret.LONG}"', JSON.stringify(`Bearer ${value}`)]] as const) {
      const lines = input.flatMap((text, i) => (text.includes(written) ? [i] : []))
      expect(lines.length).toBeGreaterThan(0)
      for (const line of lines) {
        let from = 0
        let original = 0
        for (;;) {
          const start = output[line]!.indexOf(expanded, from)
          if (start === -1) break
          original = input[line]!.indexOf(written, original)
          expect(originalPositionFor(trace, { line: line + 1, column: start }), `${written} line ${line + 1}`).toMatchObject({ line: line + 1, column: original })
          if (original + written.length < input[line]!.length) // text follows on the line
            expect(originalPositionFor(trace, { line: line + 1, column: start + expanded.length }), `after ${written}`).toMatchObject({ line: line + 1, column: original + written.length })
          from = start + expanded.length
          original += written.length
        }
      }
    }
    expect(JSON.stringify(map)).not.toContain(value)
  })
})
