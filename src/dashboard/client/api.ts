/** The page's calls to the dashboard's JSON API, each with the session token this tab holds. */
import type { ApiFailure } from '../protocol'
import { API_PATH, ENVIRONMENT_PARAM, SESSION_HEADER } from '../protocol'
import { sessionToken } from './session-token'

/** The environment the page shows (picked in the switcher); undefined: the build's store. */
let environment: string | undefined

/** Every later call to the secrets routes goes to this environment's store. */
export function chooseEnvironment(name: string): void {
  environment = name
}

/** A secrets route for the chosen environment's store (`?env=` added); other routes as they are. */
function routed(path: string): string {
  if (environment === undefined || !path.startsWith('secrets')) return path
  return `${path}${path.includes('?') ? '&' : '?'}${ENVIRONMENT_PARAM}=${encodeURIComponent(environment)}`
}

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
  const response = await fetch(API_PATH + routed(path), {
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
