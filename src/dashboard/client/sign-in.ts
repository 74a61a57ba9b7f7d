/** The sign-in view: the admin-key form, and redeeming the one-time link the dev server printed. */
import type { SignInAnswer } from '../protocol'
import { DASHBOARD_PATH } from '../protocol'
import { api } from './api'
import { h, showText } from './dom'
import { sessionToken } from './session-token'

/** Keeps the session's token for this tab, then loads the page again, now signed in. */
function signedIn(answer: SignInAnswer): void {
  sessionToken.set(answer.sessionToken)
  location.replace(DASHBOARD_PATH)
}

/** Without a session: the form and nothing about the store; `message` says why a sign-in failed. */
export function signInView(message?: string): HTMLElement {
  const input = h('input', {
    'id': 'admin-key',
    'name': 'adminKey',
    'type': 'password',
    'autocomplete': 'off',
    'spellcheck': 'false',
    'required': true,
    'aria-describedby': 'admin-key-help signin-error',
    'placeholder': 'usec_admin_…',
  })
  const error = h('p', { id: 'signin-error', class: 'error', role: 'alert', hidden: true })
  const button = h('button', { type: 'submit' }, 'Sign in')
  const form = h(
    'form',
    { id: 'signin-form', novalidate: true },
    h('label', { for: 'admin-key' }, 'Admin key'),
    input,
    h(
      'p',
      { id: 'admin-key-help', class: 'help' },
      'Your admin key starts with ',
      h('code', {}, 'usec_admin_'),
      '. It stays in the dev server\'s memory for this session and is never written anywhere.',
    ),
    error,
    button,
  )
  showText(error, message)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    button.disabled = true
    try {
      signedIn(await api<SignInAnswer>('signin', { method: 'POST', body: { adminKey: input.value } }))
    }
    catch (caught) {
      showText(error, (caught as Error).message)
      input.setAttribute('aria-invalid', 'true')
      input.select()
    }
    finally {
      button.disabled = false
    }
  })
  queueMicrotask(() => input.focus())
  return h(
    'main',
    { class: 'signin' },
    h('h1', {}, 'Secrets'),
    h('p', {}, 'Only admins of this project\'s secret store can open this page.'),
    form,
  )
}

/** The printed link's token: out of the address bar at once, then spent for a session (or the form says why not). */
export async function redeemLink(token: string, show: (view: HTMLElement) => void): Promise<void> {
  history.replaceState(null, '', DASHBOARD_PATH)
  const status = h('p', { role: 'status' }, 'Signing in with the link…')
  show(h('main', { class: 'signin' }, h('h1', {}, 'Secrets'), status))
  try {
    signedIn(await api<SignInAnswer>('link', { method: 'POST', body: { token } }))
  }
  catch (caught) {
    show(signInView((caught as Error).message))
  }
}
