/** The page's calls to the dashboard's JSON API, each with the session token this tab holds. */
import type { ApiFailure } from '../protocol'
import { API_PATH, SESSION_HEADER } from '../protocol'
import { sessionToken } from './session-token'

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

function requestHeaders(hasBody: boolean): Record<string, string> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  const token = sessionToken.get()
  if (token !== undefined) headers[SESSION_HEADER] = token
  if (hasBody) headers['Content-Type'] = 'application/json'
  return headers
}

/** One API call: the parsed answer, or an ApiError with the server's message. */
export async function api<T>(path: string, options: { method?: string, body?: unknown } = {}): Promise<T> {
  const { method = 'GET', body } = options
  const response = await fetch(API_PATH + path, {
    method,
    credentials: 'same-origin',
    headers: requestHeaders(body !== undefined),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const data = await response.json().catch(() => ({})) as Partial<ApiFailure>
  if (!response.ok)
    throw new ApiError(response.status, data.error?.message ?? `The dev server answered ${response.status}.`)
  return data as T
}

export const isSignedOut = (error: unknown): boolean => error instanceof ApiError && error.status === 401
