/** The Add New Secret / Edit dialog: name (checked as typed), a masked value, a description. */
import { SECRET_NAME_PATTERN, SECRET_NAME_RULE } from '../../core/names'
import type { SecretRow } from '../protocol'
import { api } from './api'
import { h, openModal, showText } from './dom'

const NAME_HELP = `A name is ${SECRET_NAME_RULE}, and is used as \${secret.NAME} in config files.`
const VALUE_HELP = 'Encrypted into the store on Save. The dashboard never shows a stored value.'

/** The name rule, checked as the admin types: the store's own pattern and wording. */
function nameProblem(name: string): string | undefined {
  if (name === '') return 'Enter a name.'
  return SECRET_NAME_PATTERN.test(name) ? undefined : `Invalid name: a name is ${SECRET_NAME_RULE}.`
}

function fields() {
  return {
    title: h('h2', { id: 'secret-dialog-title' }, 'Add New Secret'),
    name: h('input', {
      'id': 'secret-name',
      'name': 'name',
      'type': 'text',
      'autocomplete': 'off',
      'spellcheck': 'false',
      'required': true,
      'aria-describedby': 'secret-name-rule',
    }),
    nameRule: h('p', { id: 'secret-name-rule', class: 'help' }, NAME_HELP),
    valueLabel: h('label', { for: 'secret-value', id: 'secret-value-label' }, 'Value'),
    value: h('input', {
      'id': 'secret-value',
      'name': 'value',
      'type': 'password',
      'autocomplete': 'new-password',
      'spellcheck': 'false',
      'aria-describedby': 'secret-value-help',
    }),
    toggle: h('button', {
      'type': 'button',
      'id': 'toggle-value',
      'aria-controls': 'secret-value',
      'aria-pressed': 'false',
    }, 'Show'),
    description: h('input', { id: 'secret-description', name: 'description', type: 'text', autocomplete: 'off' }),
    error: h('p', { id: 'secret-error', class: 'error', role: 'alert', hidden: true }),
    cancel: h('button', { type: 'button', id: 'secret-cancel' }, 'Cancel'),
    save: h('button', { type: 'submit', id: 'secret-save', class: 'primary' }, 'Save'),
  }
}

type Fields = ReturnType<typeof fields>

function layout(f: Fields): { dialog: HTMLDialogElement, form: HTMLFormElement } {
  const form = h(
    'form',
    { id: 'secret-form', method: 'dialog', novalidate: true },
    f.title,
    h('label', { for: 'secret-name' }, 'Name'),
    f.name,
    f.nameRule,
    f.valueLabel,
    h('div', { class: 'with-toggle' }, f.value, f.toggle),
    h('p', { id: 'secret-value-help', class: 'help' }, VALUE_HELP),
    h('label', { for: 'secret-description' }, 'Description ', h('span', { class: 'optional' }, '(optional)')),
    f.description,
    f.error,
    h('div', { class: 'dialog-actions' }, f.cancel, f.save),
  )
  return { dialog: h('dialog', { 'id': 'secret-dialog', 'aria-labelledby': 'secret-dialog-title' }, form), form }
}

function setMasked(f: Fields, masked: boolean): void {
  f.value.type = masked ? 'password' : 'text'
  f.toggle.textContent = masked ? 'Show' : 'Hide'
  f.toggle.setAttribute('aria-pressed', String(!masked))
  f.toggle.setAttribute('aria-label', masked ? 'Show value' : 'Hide value')
}

/** Shows the rule's problem with the typed name (none before the first character); true when the name may be saved. */
function checkName(f: Fields, editing: boolean): boolean {
  const problem = editing ? undefined : nameProblem(f.name.value)
  const showProblem = problem !== undefined && f.name.value !== ''
  f.name.setAttribute('aria-invalid', String(showProblem))
  f.nameRule.textContent = showProblem ? problem : NAME_HELP
  f.nameRule.classList.toggle('error', showProblem)
  return problem === undefined
}

/** An edit names the version it replaces: the server refuses it (SECRET_CHANGED) if the secret changed since. */
function saveRequest(f: Fields, editing: SecretRow | undefined): Promise<unknown> {
  const name = f.name.value
  const body = { value: f.value.value, description: f.description.value }
  return editing
    ? api(`secrets/${encodeURIComponent(name)}`, { method: 'PUT', body: { ...body, version: editing.version } })
    : api('secrets', { method: 'POST', body: { name, ...body } })
}

/** The dialog, and `open` for Add (no secret) or Edit; `saved` runs after a successful save with what to announce. */
export function secretDialog(saved: (announcement: string) => void) {
  const f = fields()
  const { dialog, form } = layout(f)
  let editing: SecretRow | undefined

  f.name.addEventListener('input', () => checkName(f, editing !== undefined))
  f.toggle.addEventListener('click', () => setMasked(f, f.value.type === 'text'))
  f.cancel.addEventListener('click', () => dialog.close())
  dialog.addEventListener('close', () => { f.value.value = '' }) // nothing typed stays in the page
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (!checkName(f, editing !== undefined)) return f.name.focus()
    const name = f.name.value
    f.save.disabled = true
    showText(f.error, undefined)
    try {
      await saveRequest(f, editing)
      dialog.close()
      saved(`${name} saved.`)
    }
    catch (caught) {
      showText(f.error, (caught as Error).message)
    }
    f.save.disabled = false
  })

  function open(secret?: SecretRow): void {
    editing = secret
    form.reset()
    setMasked(f, true)
    showText(f.error, undefined)
    f.title.textContent = secret ? `Edit ${secret.name}` : 'Add New Secret'
    f.name.value = secret?.name ?? ''
    f.name.readOnly = Boolean(secret)
    f.valueLabel.textContent = secret ? 'New value' : 'Value'
    f.description.value = secret?.description ?? ''
    checkName(f, Boolean(secret))
    openModal(dialog, secret ? f.value : f.name)
  }

  return { element: dialog, open }
}
