/**
 * A store's JSON text parsed strictly: syntax errors placed by jsonc-parser,
 * and a key that appears twice in one object refused with its location.
 */
import { formatLocation, SecretsError } from '../errors'
import { lineStarts, locate } from '../locate'
import { createRequire } from 'node:module'

/** `file:line:col` of `offset` in a store's text (only errors need it). */
const at = (text: string, file: string, offset: number): string =>
  formatLocation(locate(lineStarts(text), file, offset))

const restore = (file: string): string => `Restore it from git (git checkout -- ${file}).`

/**
 * JSON.parse, refusing duplicate keys: JSON.parse keeps the last of two equal
 * keys, so unsigned text could sit before the signed one and mislead a reviewer.
 */
export function parseStrictJson(text: string, file: string): unknown {
  let json: unknown
  try {
    json = JSON.parse(text)
  }
  catch {
    throw syntaxError(text, file)
  }
  if (memberCount(text) !== parsedMemberCount(json)) throw duplicateKeyError(text, file)
  return json
}

/**
 * Object members written in a valid JSON text: its colons outside strings.
 * JSON.parse keeps one member per distinct key, so a text with more members
 * than its parse has a duplicate key. Found with indexOf (native string
 * search), ~4x faster than reading each key into a set per object.
 */
export function memberCount(text: string): number {
  let count = 0
  let colon = text.indexOf(':')
  let from = 0
  for (;;) {
    const open = text.indexOf('"', from)
    const stop = open < 0 ? text.length : open
    for (; colon >= 0 && colon < stop; colon = text.indexOf(':', colon + 1)) count++
    if (open < 0) return count
    from = stringEnd(text, open) + 1
    // The next colon found may lie inside the string just skipped: look again after it.
    if (colon >= 0 && colon < from) colon = text.indexOf(':', from)
  }
}

/** Index of the quote that closes the string opened at `open`: the first one after an even run of backslashes. */
function stringEnd(text: string, open: number): number {
  let close = text.indexOf('"', open + 1)
  for (;;) {
    if (close < 0) return text.length // only in a text JSON.parse refused
    let slashes = 0
    while (text.charCodeAt(close - 1 - slashes) === 92 /* \ */) slashes++
    if (slashes % 2 === 0) return close
    close = text.indexOf('"', close + 1)
  }
}

/** Members of every object in a parsed JSON value (walked with a stack: a deep nesting is no recursion). */
export function parsedMemberCount(json: unknown): number {
  let count = 0
  const stack = [json]
  while (stack.length > 0) {
    const value = stack.pop()
    if (Array.isArray(value)) {
      for (const item of value) {
        if (item !== null && typeof item === 'object') stack.push(item)
      }
    }
    else if (value !== null && typeof value === 'object') {
      for (const key in value) {
        count++
        const item = (value as Record<string, unknown>)[key]
        if (item !== null && typeof item === 'object') stack.push(item)
      }
    }
  }
  return count
}

function duplicateKeyError(text: string, file: string): SecretsError {
  const duplicate = duplicateKey(text)
  const where = duplicate ? at(text, file, duplicate.offset) : file
  const what = duplicate ? `the key ${JSON.stringify(duplicate.key)} appears` : 'a key appears'
  const why = 'twice in one object (a bad merge or a hand edit).'
  return new SecretsError('STORE_MALFORMED', `${where}: ${what} ${why} ${restore(file)}`)
}

/**
 * The first key that appears twice in one object of a valid JSON text, and
 * where: a scan of the text, run only once the counts above found one.
 */
export function duplicateKey(text: string): { key: string, offset: number } | undefined {
  const objects: Set<string>[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 123 /* { */) {
      objects.push(new Set())
    }
    else if (c === 125 /* } */) {
      objects.pop()
    }
    else if (c === 34 /* " */) {
      const end = stringEnd(text, i)
      let next = end + 1
      for (let d = text.charCodeAt(next); d === 32 || d === 10 || d === 13 || d === 9; d = text.charCodeAt(next)) next++
      if (text.charCodeAt(next) === 58 /* : */) {
        const raw = text.slice(i + 1, end)
        const key = raw.includes('\\') ? JSON.parse(text.slice(i, end + 1)) as string : raw
        const seen = objects.at(-1)!
        if (seen.has(key)) return { key, offset: i }
        seen.add(key)
      }
      i = end
    }
  }
  return undefined
}

/** Where a text JSON.parse refused goes wrong, by jsonc-parser (loaded only then). */
function syntaxError(text: string, file: string): SecretsError {
  let failure: SecretsError | undefined
  // Bundled into a server where jsonc-parser is not installed: no position.
  let visit: typeof import('jsonc-parser').visit = () => {}
  try {
    visit = (createRequire(import.meta.url)('jsonc-parser') as typeof import('jsonc-parser')).visit
  }
  catch {}
  const truncated = `${file}: the file ends before its JSON is complete (truncated or half-written). ${restore(file)}`
  const invalid = (where: string) =>
    `${where}: the store is not valid JSON (a merge conflict or a hand edit?). ${restore(file)}`
  try {
    visit(text, {
      onError(_code, offset, length) {
        failure ??= new SecretsError('STORE_MALFORMED', offset + length >= text.trimEnd().length
          ? truncated
          : invalid(at(text, file, offset)))
      },
    }, { disallowComments: true, allowTrailingComma: false })
  }
  catch (error) {
    // jsonc-parser recurses once per level: thousands of nested [ or { overflow the stack.
    if (!(error instanceof RangeError)) throw error
    const deep = `${file}: the file nests arrays or objects thousands of levels deep, which a store never does.`
    failure ??= new SecretsError('STORE_MALFORMED', `${deep} ${restore(file)}`)
  }
  return failure ?? new SecretsError('STORE_MALFORMED', invalid(file))
}
