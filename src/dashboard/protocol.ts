/**
 * What the dashboard's server and its page agree on: paths, the session
 * header and the JSON shapes. Imported by both, so it holds no Node code.
 */
import type { SecretInfo } from '../core/store/store'
import type { Usage } from './usage'

export const DASHBOARD_PATH = '/__secrets/'
export const API_PATH = `${DASHBOARD_PATH}api/`
/** The page's own files, as served under DASHBOARD_PATH. */
export const SCRIPT_FILE = 'dashboard.js'
export const STYLE_FILE = 'dashboard.css'
/** The recovery form's target when the browser's headers are too large to parse (see oversized.ts). */
export const CLEAR_COOKIES_PATH = `${DASHBOARD_PATH}clear-cookies`

/**
 * The session's second half, which the page keeps outside cookies and sends
 * on every API call: a cookie alone never authorizes a request.
 */
export const SESSION_HEADER = 'X-Session-Token'

/** `POST signin`: an admin key typed into the form, or the token of the printed one-time link. */
export type SignInRequest = { adminKey: string } | { link: string }

/** `POST signin` answers this (and sets the session cookie): the token is given out this once. */
export interface SignInAnswer {
  admin: string
  sessionToken: string
}

/**
 * The query parameter of the secrets routes that picks an environment's store (`?env=production`);
 * without it, the build's store.
 */
export const ENVIRONMENT_PARAM = 'env'

/** A store the page can switch to: the build's and every environment's beside it. */
export interface EnvironmentEntry {
  environment: string
  store: string
}

/** Referenced names × environments, read without keys: the rows where some environment's store lacks the name. */
export interface MissingByEnvironment {
  environments: string[]
  rows: { name: string, present: boolean[] }[]
}

/** `GET session`: who is signed in, and to which store. */
export interface SessionInfo {
  admin: string
  store: string
}

/** One row of the table: metadata and where it is used, never the value. */
export interface SecretRow extends SecretInfo {
  stale: boolean
  usedIn: Usage[]
}

/** `GET secrets`. */
export interface SecretList {
  admin: string
  store: string
  /** The environment of the store listed (as EnvironmentEntry names it). */
  environment: string
  environments: EnvironmentEntry[]
  missingByEnvironment: MissingByEnvironment
  maxAgeDays: number | null
  secrets: SecretRow[]
  /** Names that configs reference but the store lacks. */
  missing: { name: string, usedIn: Usage[] }[]
  problems: { file: string, message: string }[]
}

/** Every failed API call: `{ error: { code, message } }`. */
export interface ApiFailure {
  error: { code: string, message: string }
}
