/**
 * What the dashboard's server says to the browser and to the dev server's
 * terminal, kept together so the routes read as code. No text holds a value.
 */
import { SESSION_HEADER } from './protocol'
import { LINK_MS, SESSION_COOKIE } from './sessions'

const LINK_MINUTES = LINK_MS / 60_000
const TERMINAL_SAYS_MORE = 'the dev server\'s terminal says more.'

/** What anyone without a session hears about a failed sign-in: nothing about the store (its path, its admins). */
export const SIGN_IN_FAILED_MESSAGE = `That key is not an admin key of this store. `
  + `Check that you pasted the whole usec_admin_… key of an admin of this project's store; ${
    TERMINAL_SAYS_MORE}`

export const LINK_FAILED_MESSAGE = 'This sign-in link is not valid, was already used (each link works once) '
  + `or is over ${LINK_MINUTES} minutes old. Sign in with your admin key, or print a new link: `
  + 'press u and Enter in the dev server\'s terminal, or restart it.'

export const LOCAL_ADMIN_GONE_MESSAGE = 'The admin key on this machine is no longer an admin of the store. '
  + 'Sign in with your admin key.'

/** Banner lines under the dashboard's URL: how to sign in, as far as this machine can tell at start-up. */
export const bannerSignIn = {
  link: (admin: string, url: string) => `Sign in as ${admin} (one-time link, ${LINK_MINUTES} min): ${url}`,
  noAdminKey: 'Sign in with your admin key (none on this machine for this store)',
  /** The store did not open (no key, tampered, rolled back): its own message says why and what to do. */
  storeFailed: (reason: string) => `Sign-in link not available: ${reason}`,
}

export const SIGN_IN_REQUIRED_MESSAGE = 'Sign in first: open /__secrets/ and enter your admin key, '
  + 'or use the link the dev server printed.'

export const SESSION_TOKEN_MESSAGE = 'Refused: this request has a session cookie '
  + `but not that session's token (${SESSION_HEADER}). `
  + 'A cookie alone authorizes nothing: the dashboard page sends the token it got at sign-in. '
  + 'Reload the page, or sign in again.'

export const INTERNAL_ERROR_MESSAGE = 'The dashboard failed on this request; '
  + 'the dev server\'s terminal has the details.'

/** Terminal: a request carried a live session's cookie without its token (once per session). */
export const replayWarning = (address: string, admin: string): string =>
  `unplugin-secrets dashboard: a request from ${address} carried the ${SESSION_COOKIE} cookie `
  + `of ${admin}'s session without its token, and was refused. `
  + 'If it was not the dashboard page, a program has read the cookie '
  + '(a browser sends it to every port of this host under /__secrets/): '
  + 'sign out and in again to end that session.'

export const rateLimitedMessage = (seconds: number): string =>
  `Too many failed sign-ins from this address; try again in ${seconds} s.`

export const BAD_VERSION_MESSAGE = 'Send the version you are replacing (PUT body "version", DELETE ?version=), '
  + 'as GET secrets lists it: edits and deletes are refused when someone changed the secret since.'

/** The dashboard's wording for the store's conditional-write errors, naming the secret and the store as shown. */
export const conflictMessages = {
  SECRET_EXISTS: (name: string, store: string) =>
    `${name} already exists in ${store}. Use Edit on its row to set a new value.`,
  SECRET_CHANGED: (name: string) =>
    `${name} was changed by someone else since you opened this page; nothing was saved. `
    + 'Reload the page to see its current version, then try again.',
  SECRET_NOT_FOUND: (name: string, store: string) =>
    `${name} is not in ${store} (deleted meanwhile?). Reload the page; add it again with Add New Secret.`,
}

/** `?env=` named no store present: the ones there are. */
export const environmentNotFound = (present: string[]): string =>
  `No such environment here. The stores present are: ${present.join(', ')}. `
  + 'Create another with unplugin-secrets init --env NAME, then reload the page.'

/** A failure on another environment's store than the build's: it has its own keys and admins, so say which. */
export const inEnvironment = (environment: string, message: string): string => `Environment ${environment}: ${message}`
