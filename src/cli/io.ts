/**
 * The CLI's terminal: all it prints is escaped, so text from a file can neither forge output nor
 * drive the terminal; reading stdin and hidden prompts.
 */
import { styleText } from 'node:util'
import { SecretsError } from '../core/errors'
import { MAX_VALUE_BYTES, UTF8_STRICT } from '../core/names'

type Style = Parameters<typeof styleText>[0]

/** Colour only on a terminal, and never with NO_COLOR set. */
export function paint(stream: NodeJS.WriteStream, style: Style, text: string): string {
  return stream.isTTY && !process.env.NO_COLOR ? styleText(style, text) : text
}

/**
 * Characters a terminal acts on or that reorder what it shows: C0 controls,
 * DEL, C1 controls (U+0080–U+009F, 8-bit CSI among them), the line and
 * paragraph separators, and the bidi marks, embeddings, overrides and
 * isolates (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069) that let
 * text display in another order than it is ("Trojan Source").
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const TERMINAL_UNSAFE = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069]/g
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }
const escapeChar = (char: string): string =>
  SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`

/**
 * Text from a file (a name, a path, a description, config text) shown
 * escaped, newlines too, so it can neither forge a line of output nor drive
 * or reorder the terminal. The escapes are JSON's, so `--json` output stays
 * valid JSON.
 */
export const printable = (text: string): string => text.replace(TERMINAL_UNSAFE, escapeChar)

/**
 * One line of output (stdout, or stderr for notes), escaped whole: a value goes out only through
 * `get` and `render`.
 */
export const print = (line = ''): void => void process.stdout.write(`${printable(line)}\n`)
export const note = (line = ''): void => void process.stderr.write(`${printable(line)}\n`)

/** A failure on stderr: the (coloured) label is ours, the message is escaped whole, its line breaks too. */
export const printError = (message: string): void =>
  void process.stderr.write(`${paint(process.stderr, 'red', 'error:')} ${printable(message)}\n`)

/** Several lines built here (help, a table of escaped cells, JSON): the line breaks are kept, nothing else. */
const printableBlock = (text: string): string => text.split('\n').map(printable).join('\n')
export const printBlock = (text: string): void => void process.stdout.write(`${printableBlock(text)}\n`)
export const noteBlock = (text: string): void => void process.stderr.write(`${printableBlock(text)}\n`)

function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return UTF8_STRICT.decode(bytes)
  }
  catch {
    throw new SecretsError('INVALID_VALUE', [
      `${source} is not valid UTF-8 text.`,
      'Secrets are text; encode binary data first (e.g. base64).',
    ].join(' '))
  }
}

/** Reads all of stdin, refusing more than a value may hold. */
export async function readStdinText(what: string): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_VALUE_BYTES + 2) {
      throw new SecretsError(
        'VALUE_TOO_LARGE',
        `${what} from stdin is over ${MAX_VALUE_BYTES} bytes (1 MiB), the limit for a value.`,
      )
    }
    chunks.push(chunk)
  }
  return decodeUtf8(Buffer.concat(chunks), `${what} from stdin`)
}

/** Drops exactly one trailing newline (`\n` or `\r\n`), as `gh secret set` does for piped input. */
export const dropOneNewline = (text: string): string =>
  text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text

export { decodeUtf8 }

/**
 * Asks for a value on the terminal without echoing it. Enter ends the input,
 * so multi-line values (PEM keys) go through a pipe or --from-file.
 */
export function promptHidden(question: string): Promise<string> {
  const input = process.stdin
  const output = process.stderr
  // Echo off before the prompt shows: text typed the moment it appears must not reach the screen.
  input.setRawMode(true)
  output.write(question)
  input.setEncoding('utf8')
  input.resume()
  return new Promise((resolve, reject) => {
    let value = ''
    const cancelled = () => new SecretsError('CANCELLED', 'Cancelled at the prompt; nothing was changed.')
    const finish = (result: () => void) => {
      input.off('data', onData)
      input.off('end', onEnd)
      input.setRawMode(false)
      input.pause()
      output.write('\n')
      result()
    }
    const onEnd = () => finish(() => reject(cancelled()))
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n')
          return finish(() => resolve(value))
        if (char === '\u0003' || (char === '\u0004' && value === ''))
          return finish(() => reject(cancelled()))
        if (char === '\u0004')
          return finish(() => resolve(value))
        if (char === '\u007F' || char === '\b') value = Array.from(value).slice(0, -1).join('')
        else if (char === '\u0015') value = ''
        else if (char >= ' ' || char === '\t') value += char
      }
    }
    input.on('data', onData)
    input.on('end', onEnd)
  })
}

export function table(cells: string[][]): string {
  const rows = cells.map(row => row.map(printable))
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map(row => row[column]!.length)))
  return rows
    .map(row =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
