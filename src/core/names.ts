/**
 * The rules for secret, admin and environment names and for value size, and errors that say
 * what is wrong with a name without repeating it.
 */
import { SecretsError } from './errors'

/** `${secret.NAME}` names: a letter or `_`, then letters, digits or `_`. */
export const SECRET_NAME_PATTERN = /^[A-Za-z_]\w*$/
export const SECRET_NAME_RULE = 'a letter or _ followed by letters, digits or _ ([A-Za-z_][A-Za-z0-9_]*)'

/** Largest value accepted, in UTF-8 bytes (inclusive). */
export const MAX_VALUE_BYTES = 1024 * 1024

export const ADMIN_NAME_PATTERN = /^[A-Za-z0-9][\w.@+-]{0,63}$/
export const ADMIN_NAME_RULE = '1 to 64 characters: letters, digits and . _ @ + - (starting with a letter or digit)'

/**
 * Environment names (`secrets.<name>.enc.json`): lower case, so a file name means one environment
 * on every file system.
 */
export const ENVIRONMENT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/
export const ENVIRONMENT_NAME_RULE = '1 to 32 characters: '
  + 'a lower-case letter, then lower-case letters, digits or - ([a-z][a-z0-9-]*)'

/** "a number", "an array", "null": what a value is, never what it holds. */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'an array'
  if (value instanceof RegExp) return 'a RegExp'
  return /^[aeiou]/.test(typeof value) ? `an ${typeof value}` : `a ${typeof value}`
}

/**
 * What is wrong with a would-be secret name, without repeating it: a value
 * pasted where a name goes must not reach a terminal, a log or a page. Names
 * the first bad character's position, and the character itself only when it
 * is ASCII punctuation or a space (a letter or digit is never the problem).
 */
export function secretNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `it is ${kindOf(name)}, not a string`
  if (SECRET_NAME_PATTERN.test(name)) return undefined
  if (name === '') return 'it is empty'
  if (/^\d/.test(name)) return 'it starts with a digit'
  const position = [...name].findIndex(char => !/\w/.test(char))
  const char = [...name][position]!
  // eslint-disable-next-line regexp/no-obscure-range -- the four ranges of ASCII punctuation, space included
  const shown = /^[ -/:-@[-`{-~]$/.test(char) ? ` (${char === ' ' ? 'a space' : `"${char}"`})` : ''
  return `character ${position + 1}${shown} is not allowed`
}

/** The one check of a secret name, for the CLI, the store API and the dashboard. */
export function assertSecretName(name: unknown): asserts name is string {
  const problem = secretNameProblem(name)
  if (problem !== undefined) {
    throw new SecretsError('INVALID_NAME', [
      `Invalid secret name: ${problem}. A name is ${SECRET_NAME_RULE}, for example GRAFANA_API_KEY.`,
      '(What was given is not repeated, in case it was a value.)',
    ].join(' '))
  }
}

export function assertAdminName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !ADMIN_NAME_PATTERN.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : typeof name
    throw new SecretsError('INVALID_ADMIN_NAME', [
      `Invalid admin name ${shown}: an admin name is ${ADMIN_NAME_RULE}.`,
      'Example: alice or alice@example.com.',
    ].join(' '))
  }
}

/** What is wrong with a would-be environment name (the name is shown: it names a file, not a secret). */
export function environmentNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `got ${kindOf(name)}`
  if (ENVIRONMENT_NAME_PATTERN.test(name)) return undefined
  return `got ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)}`
}

/** Checks a value for `name` and returns its UTF-8 bytes. */
export function encodeSecretValue(name: string, value: unknown): Uint8Array {
  if (typeof value !== 'string') {
    throw new SecretsError(
      'INVALID_VALUE',
      `The value for ${name} must be a string, got ${value === null ? 'null' : typeof value}.`,
    )
  }
  if (!value.isWellFormed()) {
    throw new SecretsError('INVALID_VALUE', [
      `The value for ${name} contains a lone UTF-16 surrogate, so it has no UTF-8 form.`,
      'Pass well-formed text.',
    ].join(' '))
  }
  const bytes = new TextEncoder().encode(value)
  if (bytes.length > MAX_VALUE_BYTES) {
    throw new SecretsError('VALUE_TOO_LARGE', [
      `The value for ${name} is ${bytes.length} bytes of UTF-8; the limit is ${MAX_VALUE_BYTES} bytes (1 MiB).`,
      'Store large files elsewhere and keep their key here.',
    ].join(' '))
  }
  return bytes
}

/** Strict UTF-8 decoding (throws on invalid bytes); one instance, as decode() keeps no state between calls. */
export const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
