/// <reference lib="dom" />
/**
 * The dashboard page's script, served from /__secrets/dashboard.js. One page
 * for every visitor: the sign-in form, or with this tab's session token the
 * secrets. Every text from the server goes into the page as text, never HTML.
 */
import type { SessionInfo } from '../protocol'
import { DASHBOARD_PATH } from '../protocol'
import { api, isSignedOut } from './api'
import { appView } from './app'
import { redeemLink, signInView } from './sign-in'
import { sessionToken } from './session-token'

function show(title: string, ...nodes: Node[]): void {
  document.title = title
  document.body.replaceChildren(...nodes)
}

const showSignIn = (message?: string) => show('Sign in · Secrets', signInView(message))

/** The session has ended (signed out, timed out, or the dev server restarted): forget its token, back to the form. */
function signedOut(): void {
  sessionToken.forget()
  location.replace(DASHBOARD_PATH)
}

async function start(): Promise<void> {
  const link = new URLSearchParams(location.search).get('token')
  if (link !== null) return redeemLink(link, view => show('Sign in · Secrets', view))
  if (sessionToken.get() === undefined) return showSignIn()
  try {
    const session = await api<SessionInfo>('session')
    show('Secrets', ...appView(session, signedOut))
  }
  catch (caught) {
    if (isSignedOut(caught)) sessionToken.forget()
    showSignIn(isSignedOut(caught) ? undefined : (caught as Error).message)
  }
}

void start()
