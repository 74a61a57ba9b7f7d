import { createScanner } from 'jsonc-parser'

// jsonc-parser's SyntaxKind is a const enum, which isolated modules cannot import.
const SyntaxKind = { OpenBraceToken: 1, CloseBraceToken: 2, OpenBracketToken: 3, CloseBracketToken: 4, LineBreakTrivia: 14, Trivia: 15, EOF: 17 } as const

/** Splits a stream of JSON texts (the YAML test suite's in.json for multi-document cases) into values. */
export function parseJsonStream(text: string): unknown[] {
  const scanner = createScanner(text, false)
  const values: unknown[] = []
  let depth = 0
  let start = -1
  for (let kind: number = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    if (kind === SyntaxKind.Trivia || kind === SyntaxKind.LineBreakTrivia) continue
    if (start === -1) start = scanner.getTokenOffset()
    if (kind === SyntaxKind.OpenBraceToken || kind === SyntaxKind.OpenBracketToken) depth++
    else if (kind === SyntaxKind.CloseBraceToken || kind === SyntaxKind.CloseBracketToken) depth--
    if (depth === 0) {
      values.push(JSON.parse(text.slice(start, scanner.getTokenOffset() + scanner.getTokenLength())))
      start = -1
    }
  }
  return values
}
