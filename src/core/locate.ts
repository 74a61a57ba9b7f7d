/** Line and column of an offset in a text: for config files (formats/) and the store file (store/) alike. */
import type { SourceLocation } from './errors'

/** Offsets where each line of `code` starts. */
export function lineStarts(code: string): number[] {
  const starts = [0]
  for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1)) starts.push(i + 1)
  return starts
}

/** The line and column (0-based, UTF-16 units) of `offset`, given the text's {@link lineStarts}. */
export function locate(starts: number[], file: string, offset: number): SourceLocation {
  let low = 0
  let high = starts.length - 1
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if (starts[mid]! <= offset) low = mid
    else high = mid - 1
  }
  return { file, line: low + 1, column: offset - starts[low]! }
}

/**
 * Where, in a scalar's source text `raw` (starting at `start` in the file),
 * the reference at `offset` of its decoded `value` is: the same-numbered `${`
 * in the source. Escapes, folding and quotes shift offsets, but not the order
 * of references. Falls back to the start of the scalar.
 */
export function referenceOffset(raw: string, start: number, value: string, offset: number): number {
  let nth = 0
  for (let i = value.indexOf('${'); i !== -1 && i < offset; i = value.indexOf('${', i + 2)) nth++
  let at = raw.indexOf('${')
  for (let i = 0; i < nth && at !== -1; i++) at = raw.indexOf('${', at + 2)
  return at === -1 ? start : start + at
}
