/** The dashboard's HTTP plumbing: error values with a status and code, JSON and text answers, bounded JSON bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SecretsErrorCode } from '../core/errors'

/** Error codes of the dashboard's HTTP layer, next to SecretsError codes in `{ error: { code, message } }`. */
type DashboardErrorCode
  = | SecretsErrorCode
    | 'SIGN_IN_REQUIRED'
    | 'SIGN_IN_FAILED'
    | 'LINK_INVALID'
    | 'SESSION_TOKEN'
    | 'RATE_LIMITED'
    | 'FOREIGN_ORIGIN'
    | 'BAD_REQUEST'
    | 'NOT_FOUND'
    | 'ENVIRONMENT_NOT_FOUND'
    | 'METHOD_NOT_ALLOWED'
    | 'INTERNAL_ERROR'

/** What a failed request answers: status, stable code, a message that never holds a value. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: DashboardErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

/** The HTTP status for a store error met while serving a request. */
export function statusOf(code: SecretsErrorCode): number {
  switch (code) {
    case 'INVALID_NAME':
    case 'INVALID_VALUE':
    case 'VALUE_TOO_LARGE':
      return 400
    case 'SECRET_NOT_FOUND':
      return 404
    case 'SECRET_EXISTS':
    case 'SECRET_CHANGED':
    case 'STORE_ROLLBACK':
      return 409
    case 'STORE_NOT_FOUND':
      return 404
    case 'ADMIN_REQUIRED':
    case 'NOT_ADMIN':
    case 'KEY_MISSING':
    case 'WRONG_KEY':
      return 403
    case 'LOCK_TIMEOUT':
      return 503
    default:
      return 500
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.statusCode = status
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value)
  response.setHeader('Content-Type', 'application/json; charset=utf-8')
  response.end(JSON.stringify(body))
}

export function sendText(
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.statusCode = status
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value)
  response.setHeader('Content-Type', `${type}; charset=utf-8`)
  response.end(body)
}

/** A value is at most 1 MiB of UTF-8; as JSON with every character escaped, it stays under this. */
const MAX_BODY_BYTES = 8 * 1024 * 1024
/** A sign-in body is `{ "adminKey": "usec_admin_…" }`: well under this. */
export const MAX_SIGN_IN_BYTES = 4 * 1024

const sizeText = (bytes: number) => (bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : `${bytes / 1024} KiB`)

/**
 * The request's JSON object. Only `application/json` is accepted: an HTML
 * form on another site cannot send it without a CORS preflight. A parse
 * error never echoes the body (it may hold a value).
 */
export async function readJsonBody(
  request: IncomingMessage,
  maxBytes = MAX_BODY_BYTES,
  tooLarge = 'a value may be at most 1 MiB of UTF-8',
): Promise<Record<string, unknown>> {
  if (!/^application\/json\s*(?:;|$)/i.test(request.headers['content-type'] ?? ''))
    throw new HttpError(415, 'BAD_REQUEST', 'Send the request body as application/json.')
  const refuse = () =>
    new HttpError(
      413,
      maxBytes === MAX_BODY_BYTES ? 'VALUE_TOO_LARGE' : 'BAD_REQUEST',
      `The request body is over ${sizeText(maxBytes)}; ${tooLarge}.`,
    )
  // Refused before a byte of the body is read when the sender says how big it is.
  if (Number(request.headers['content-length'] ?? 0) > maxBytes) throw refuse()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > maxBytes) throw refuse()
    chunks.push(chunk as Buffer)
  }
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  }
  catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body is not valid JSON.')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'BAD_REQUEST', 'The request body must be a JSON object.')
  return body as Record<string, unknown>
}

/** A string field of a request body (optional ones may be absent). */
export function stringField(body: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const value = body[field]
  if (value === undefined && !required) return undefined
  if (typeof value !== 'string')
    throw new HttpError(400, 'BAD_REQUEST', `The request body needs "${field}" as a string.`)
  return value
}
