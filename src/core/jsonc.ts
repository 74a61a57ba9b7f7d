/** A guard around jsonc-parser, so deeply nested JSON is reported instead of overflowing the stack. */
import { visit } from 'jsonc-parser'
import type { JSONVisitor, ParseOptions } from 'jsonc-parser'

/**
 * jsonc-parser's `visit`, with a stack overflow reported to `tooDeep`
 * instead of escaping as a RangeError: it recurses once per level, so a few
 * thousand nested `[` or `{` exhaust the stack.
 */
export function visitJson(text: string, visitor: JSONVisitor, options: ParseOptions, tooDeep: () => void): void {
  try {
    visit(text, visitor, options)
  }
  catch (error) {
    if (!(error instanceof RangeError)) throw error
    tooDeep()
  }
}
