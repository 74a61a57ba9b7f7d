/**
 * A way back from 431: when a browser's cookies for this host outgrow Node's
 * header limit, no request reaches the dashboard's routes. Its requests under
 * /__secrets/ get a page that says why and can clear the host's cookies.
 */
import { maxHeaderSize } from 'node:http'
import type { Duplex } from 'node:stream'
import { CLEAR_COOKIES_PATH, DASHBOARD_PATH } from './protocol'
import { SECURITY_HEADERS } from './security'

interface Logger { warn: (message: string) => void }
type ClientError = Error & { code?: string, rawPacket?: Buffer }
/** Vite's HTTP server (node:http, or node:http2 with HTTP/1 allowed under `server.https`). */
export interface ClientErrorSource {
  prependListener: (event: 'clientError', listener: (error: ClientError, socket: Duplex) => void) => unknown
}

const KIB = Math.round(maxHeaderSize / 1024)

/** No stylesheet and no script: their requests would carry the same cookies and fail the same way. */
const RECOVERY_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Too many cookies · Secrets</title>
</head>
<body>
<main>
<h1>Your browser sent more cookies than this dev server accepts</h1>
<p>The request's headers are over ${KIB} KiB, so the dev server cannot read it (431).
A browser sends a host's cookies to every port of that host: a page served on another port
(another dev server, a local tool, or one that wants to lock you out) has set cookies that now come here too.</p>
<form method="post" action="${CLEAR_COOKIES_PATH}">
<button type="submit">Clear this host's cookies and reload</button>
</form>
<p>This clears every cookie of this host name, for every port: you are signed out of the other local apps on it too.
Or delete this site's cookies yourself in your browser's settings, then reload.</p>
</main>
</body>
</html>
`

const OVERSIZED_WARNING = `unplugin-secrets dashboard: a browser sent over ${KIB} KiB of headers to ${DASHBOARD_PATH} `
  + '(oversized cookies, possibly set by a page on another port of this host); '
  + 'it got a page that offers to clear the cookies.'

function rawResponse(status: string, headers: Record<string, string>, body = ''): string {
  const length = { 'Content-Length': String(Buffer.byteLength(body)), 'Connection': 'close' }
  const lines = Object.entries({ ...SECURITY_HEADERS, ...headers, ...length }).map(
    ([name, value]) => `${name}: ${value}\r\n`,
  )
  return `HTTP/1.1 ${status}\r\n${lines.join('')}\r\n${body}`
}

/** The method and path of the request line, when the bytes Node could not parse start with one. */
export function requestLine(packet: Buffer | undefined): { method: string, path: string } | undefined {
  const match = /^([A-Z]+) (\/\S*) HTTP\/1\.[01]\r\n/.exec(packet?.subarray(0, 2048).toString('latin1') ?? '')
  return match ? { method: match[1]!, path: match[2]!.split('?')[0]! } : undefined
}

/** The answer to a dashboard request whose headers overflowed: the clear action, or the page that offers it. */
function oversizedAnswer(method: string, path: string): string {
  if (method === 'POST' && path === CLEAR_COOKIES_PATH)
    return rawResponse('303 See Other', { 'Location': DASHBOARD_PATH, 'Clear-Site-Data': '"cookies"' })
  const type = { 'Content-Type': 'text/html; charset=utf-8' }
  return rawResponse('431 Request Header Fields Too Large', type, RECOVERY_PAGE)
}

/**
 * Answers requests under /__secrets/ whose headers are over Node's limit.
 * Runs before Vite's own `clientError` handler, which answers everything
 * else as before (a bare 431 and its warning) and stays quiet once this one
 * has ended the socket. Clearing is harmless to allow from anywhere: it signs
 * the browser out, which the planted cookies already did.
 */
export function answerOversizedHeaders(server: ClientErrorSource, logger: Logger): void {
  let warned = false
  server.prependListener('clientError', (error: ClientError, socket: Duplex) => {
    if (error.code !== 'HPE_HEADER_OVERFLOW' || !socket.writable) return
    const line = requestLine(error.rawPacket)
    if (!line || (line.path !== '/__secrets' && !line.path.startsWith(DASHBOARD_PATH))) return
    if (!warned) {
      warned = true
      logger.warn(OVERSIZED_WARNING)
    }
    socket.end(oversizedAnswer(line.method, line.path))
  })
}
