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
