import { styleText } from 'node:util'
import { SecretsError } from '../core/errors'
import { MAX_VALUE_BYTES, UTF8_STRICT } from '../core/names'

type Style = Parameters<typeof styleText>[0]

/** Colour only on a terminal, and never with NO_COLOR set. */
export function paint(stream: NodeJS.WriteStream, style: Style, text: string): string {
  return stream.isTTY && !process.env.NO_COLOR ? styleText(style, text) : text
}

export const print = (text = ''): void => void process.stdout.write(`${text}\n`)
export const note = (text = ''): void => void process.stderr.write(`${text}\n`)

function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return UTF8_STRICT.decode(bytes)
  }
  catch {
    throw new SecretsError('INVALID_VALUE', `${source} is not valid UTF-8 text. Secrets are text; encode binary data first (e.g. base64).`)
  }
}

/** Reads all of stdin, refusing more than a value may hold. */
export async function readStdinText(what: string): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_VALUE_BYTES + 2)
      throw new SecretsError('VALUE_TOO_LARGE', `${what} from stdin is over ${MAX_VALUE_BYTES} bytes (1 MiB), the limit for a value.`)
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

/** Control characters shown escaped, so text from a store file cannot forge rows or drive the terminal. */
export const printable = (cell: string): string => cell.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g, char => JSON.stringify(char).slice(1, -1))

export function table(cells: string[][]): string {
  const rows = cells.map(row => row.map(printable))
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map(row => row[column]!.length)))
  return rows.map(row => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd()).join('\n')
}
