/**
 * The `${secret.NAME}` grammar, on one string value:
 * - `${secret.NAME}` is a reference; NAME is `[A-Za-z_][A-Za-z0-9_]*`;
 * - `$${secret.` is the escape and stands for the literal `${secret.`;
 * - every other `$`, `$$` and `${…}` (Compose `${VAR}`, GitHub `${{ secrets.X }}`) is text.
 */
import { SecretsError } from './errors'
import { SECRET_NAME_RULE } from './names'

const REFERENCE_PREFIX = '${secret.'

export type ReferencePart
  = | { type: 'text', text: string }
    | { type: 'ref', name: string, /** offset of `$` in the input */ offset: number }

/** A malformed reference; `offset` is where it starts in the string. */
export class ReferenceSyntaxError extends SecretsError {
  constructor(message: string, readonly offset: number) {
    super('REFERENCE_INVALID', message)
  }
}

const NAME_START = /[A-Za-z_]/
const NAME_CHAR = /\w/
/** `${ secret.X }`, `${secret .X}`: almost a reference. */
const NEAR_MISS = /\$\{\s*secret\s*\.\s*/y

function describe(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)
}

/** Splits a string into text and references. Throws ReferenceSyntaxError on a malformed one. */
export function parseReferences(input: string): ReferencePart[] {
  const parts: ReferencePart[] = []
  let text = ''
  let i = 0
  while (i < input.length) {
    const dollar = input.indexOf('$', i)
    if (dollar === -1) {
      text += input.slice(i)
      break
    }
    text += input.slice(i, dollar)
    if (input.startsWith(`$${REFERENCE_PREFIX}`, dollar)) {
      text += REFERENCE_PREFIX
      i = dollar + 1 + REFERENCE_PREFIX.length
      continue
    }
    if (input.startsWith(REFERENCE_PREFIX, dollar)) {
      const nameStart = dollar + REFERENCE_PREFIX.length
      let end = nameStart
      while (end < input.length && NAME_CHAR.test(input[end]!)) end++
      const name = input.slice(nameStart, end)
      const close = input.indexOf('}', nameStart)
      if (close === -1) {
        throw new ReferenceSyntaxError(
          `Unterminated reference ${describe(input.slice(dollar))}: a reference is \${secret.NAME} with a closing }.`,
          dollar,
        )
      }
      if (name === '' && close === nameStart) {
        throw new ReferenceSyntaxError([
          'Empty reference ${secret.}:',
          'put the secret\'s name after "secret.", e.g. ${secret.GRAFANA_API_KEY}.',
        ].join(' '), dollar)
      }
      if (close !== end || !NAME_START.test(name[0] ?? '')) {
        throw new ReferenceSyntaxError([
          `Invalid secret name in ${describe(input.slice(dollar, close + 1))}: a name is ${SECRET_NAME_RULE}.`,
          'To keep the text as it is, write $${secret.…}.',
        ].join(' '), dollar)
      }
      if (text) parts.push({ type: 'text', text })
      text = ''
      parts.push({ type: 'ref', name, offset: dollar })
      i = close + 1
      continue
    }
    NEAR_MISS.lastIndex = dollar
    if (NEAR_MISS.test(input)) {
      const close = input.indexOf('}', dollar)
      const inner = input.slice(dollar + 2, close === -1 ? undefined : close).replace(/\s+/g, '')
      // Shortened like the quoted text: a file-sized string must not become a file-sized message.
      const shown = inner.length > 60 ? `${inner.slice(0, 60)}…` : inner
      throw new ReferenceSyntaxError([
        `Malformed reference ${describe(input.slice(dollar, close === -1 ? undefined : close + 1))}:`,
        `write \${${shown}} without spaces.`,
      ].join(' '), dollar)
    }
    text += '$'
    i = dollar + 1
  }
  if (text) parts.push({ type: 'text', text })
  return parts
}

/** `${secret.` and its near misses, anywhere. */
export const MENTION = /\$\{\s*secret\s*\./

/**
 * Whether `input` may hold a reference, or a malformed one worth an error:
 * the cheap test before any parsing (a regex runs only on text with "secret").
 */
export const mentionsSecret = (input: string): boolean =>
  input.includes(REFERENCE_PREFIX) || (input.includes('secret') && MENTION.test(input))

/**
 * Expands every reference with `lookup`. Values are inserted as data: the
 * result is never scanned again, so a value holding `${secret.X}` stays as it is.
 */
export function expandReferences(input: string, lookup: (name: string, offset: number) => string): string {
  return parseReferences(input)
    .map(part => (part.type === 'text' ? part.text : lookup(part.name, part.offset)))
    .join('')
}
