/** The Delete confirmation: names the config files that would break, then deletes the version the page showed. */
import type { SecretRow } from '../protocol'
import { api } from './api'
import { h, openModal, showText } from './dom'
import { place } from './format'

function explanation(secret: SecretRow): string {
  const { name } = secret
  return secret.usedIn.length
    ? `These config files reference ${name} and would break `
    + `(builds and the dev server fail with "secret ${name} is not in the store"):`
    : `No config file references ${name}. Its value is removed from the store; `
      + 'the audit trail keeps a record of the deletion.'
}

/** The dialog, and `open` for one row; `deleted` runs after a successful delete with what to announce. */
export function deleteDialog(deleted: (announcement: string) => void) {
  const title = h('h2', { id: 'delete-dialog-title' }, 'Delete secret?')
  const text = h('p', { id: 'delete-text' })
  const usages = h('ul', { id: 'delete-usages' })
  const error = h('p', { id: 'delete-error', class: 'error', role: 'alert', hidden: true })
  const cancel = h('button', { type: 'button', id: 'delete-cancel' }, 'Cancel')
  const confirm = h('button', { type: 'submit', id: 'delete-confirm', class: 'danger' }, 'Delete')
  const form = h(
    'form',
    { id: 'delete-form', method: 'dialog' },
    title,
    text,
    usages,
    error,
    h('div', { class: 'dialog-actions' }, cancel, confirm),
  )
  const dialog = h('dialog', { 'id': 'delete-dialog', 'aria-labelledby': 'delete-dialog-title' }, form)
  let deleting: SecretRow | undefined

  cancel.addEventListener('click', () => dialog.close())
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (!deleting) return
    const { name, version } = deleting
    showText(error, undefined)
    try {
      await api(`secrets/${encodeURIComponent(name)}?version=${version}`, { method: 'DELETE' })
      dialog.close()
      deleted(`${name} deleted.`)
    }
    catch (caught) {
      showText(error, (caught as Error).message)
    }
  })

  function open(secret: SecretRow): void {
    deleting = secret
    showText(error, undefined)
    title.textContent = `Delete ${secret.name}?`
    text.textContent = explanation(secret)
    usages.replaceChildren(...secret.usedIn.map(item => h('li', {}, place(item))))
    usages.hidden = !secret.usedIn.length
    openModal(dialog, cancel)
  }

  return { element: dialog, open }
}
