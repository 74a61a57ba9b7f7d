import { describe, expect, it } from 'vitest'
import { expandReferences, mentionsSecret, parseReferences, ReferenceSyntaxError } from '../src/core/reference'

const values: Record<string, string> = { A: 'alpha', TOKEN: 'tok', B_2: 'b2', OTHER: '${secret.A}' }
const expand = (input: string) => expandReferences(input, name => values[name] ?? `<missing ${name}>`)

function syntaxError(input: string): ReferenceSyntaxError {
  try {
    parseReferences(input)
  }
  catch (error) {
    expect(error).toBeInstanceOf(ReferenceSyntaxError)
    expect((error as ReferenceSyntaxError).code).toBe('REFERENCE_INVALID')
    return error as ReferenceSyntaxError
  }
  throw new Error(`no error for ${input}`)
}

describe('reference grammar', () => {
  it('expands whole, partial and several references', () => {
    expect(expand('${secret.A}')).toBe('alpha')
    expect(expand('Bearer ${secret.TOKEN}')).toBe('Bearer tok')
    expect(expand('${secret.A}:${secret.B_2}@${secret.A}')).toBe('alpha:b2@alpha')
    expect(parseReferences('x${secret.A}y')).toEqual([{ type: 'text', text: 'x' }, { type: 'ref', name: 'A', offset: 1 }, { type: 'text', text: 'y' }])
  })

  it('never expands a value again', () => {
    expect(expand('${secret.OTHER}')).toBe('${secret.A}')
  })

  it('$${secret. is the escape for the literal ${secret.', () => {
    expect(expand('$${secret.A}')).toBe('${secret.A}')
    expect(expand('$$${secret.A}')).toBe('$${secret.A}')
    expect(expand('$${secret.A} and ${secret.A}')).toBe('${secret.A} and alpha')
    expect(expand('$${secret.')).toBe('${secret.')
  })

  it('leaves every other $ exactly as it is', () => {
    for (const text of ['$', '$$', '$$$', 'cost: $5', '${VAR}', '${VAR:-default}', '$${VAR}', '${{ secrets.X }}', '${{secrets.GITHUB_TOKEN}}', '$(cmd)', '${SECRET.X}', '${secrets.X}', '$secret.X', '{secret.X}', '${secret', 'a$', 'ends with $$']) {
      expect(expand(text), text).toBe(text)
    }
  })

  it('rejects malformed references with what to write instead', () => {
    expect(syntaxError('${secret.}').message).toMatch(/Empty reference.*\$\{secret\.GRAFANA_API_KEY\}/)
    expect(syntaxError('x ${secret.A-B}').message).toMatch(/Invalid secret name in "\$\{secret\.A-B\}".*\[A-Za-z_\]/)
    expect(syntaxError('x ${secret.A-B}').offset).toBe(2)
    expect(syntaxError('${secret.1A}').message).toMatch(/Invalid secret name/)
    expect(syntaxError('${secret.A B}').message).toMatch(/Invalid secret name/)
    expect(syntaxError('${secret.A').message).toMatch(/Unterminated reference "\$\{secret\.A".*closing \}/)
    expect(syntaxError('${ secret.X }').message).toMatch(/write \$\{secret\.X\} without spaces/)
    expect(syntaxError('${secret. X}').message).toMatch(/Invalid secret name|without spaces/)
    expect(syntaxError('ok ${secret .X}').offset).toBe(3)
  })

  it('mentionsSecret is the cheap prefilter', () => {
    expect(mentionsSecret('a ${secret.X}')).toBe(true)
    expect(mentionsSecret('a ${secrets.X}')).toBe(false)
    expect(mentionsSecret('a ${ secret.X }')).toBe(true)
    expect(mentionsSecret('my secret is ${VAR}')).toBe(false)
  })
})
