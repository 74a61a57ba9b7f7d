/**
 * The signed-in view: the header (environment, store, admin, Add New Secret,
 * Sign out), the list of secrets, the names missing per environment, and the two dialogs.
 */
import type { SecretList, SessionInfo } from '../protocol'
import { api, chooseEnvironment } from './api'
import { deleteDialog } from './delete-dialog'
import { h } from './dom'
import { environmentSwitcher, missingByEnvironmentTable } from './environments'
import { secretDialog } from './secret-dialog'
import { secretsTable } from './secrets-table'

function header(
  session: SessionInfo,
  store: HTMLElement,
  switcher: HTMLElement,
  actions: HTMLButtonElement[],
): HTMLElement {
  return h(
    'header',
    {},
    h(
      'div',
      {},
      h('h1', {}, 'Secrets'),
      h('p', { class: 'subtitle' }, switcher, 'Store ', store, ' · signed in as ', h('strong', {}, session.admin)),
    ),
    h('div', { class: 'actions' }, ...actions),
  )
}

/** The view's nodes; `signedOut` runs when the session ends (sign-out, or the server answers 401). */
export function appView(session: SessionInfo, signedOut: () => void): Node[] {
  const announce = h('p', { 'id': 'announce', 'class': 'visually-hidden', 'aria-live': 'polite' })
  // After a change a screen reader hears what was done, and the table reloads.
  const changed = (announcement: string) => {
    announce.textContent = announcement
    void list.load()
  }
  const editor = secretDialog(changed)
  const remover = deleteDialog(changed)
  const store = h('code', {}, session.store)
  const switcher = environmentSwitcher((environment) => {
    chooseEnvironment(environment)
    void list.load()
  })
  const missing = missingByEnvironmentTable()
  const loaded = (shown: SecretList) => {
    store.textContent = shown.store
    switcher.update(shown)
    missing.update(shown)
  }
  const list = secretsTable(session.store, { edit: editor.open, remove: remover.open }, signedOut, loaded)

  const addSecret = h('button', { type: 'button', id: 'add-secret', class: 'primary' }, 'Add New Secret')
  const signOut = h('button', { type: 'button', id: 'sign-out' }, 'Sign out')
  addSecret.addEventListener('click', () => editor.open())
  signOut.addEventListener('click', async () => {
    await api('signout', { method: 'POST' }).catch(() => {})
    signedOut()
  })

  void list.load()
  return [
    header(session, store, switcher.element, [addSecret, signOut]),
    h('main', {}, ...list.nodes, missing.element, announce),
    editor.element,
    remover.element,
  ]
}
