/// <reference lib="dom" />
/**
 * The dashboard page's only script, served from /__secrets/dashboard.js.
 * It talks to the JSON API; it never receives a stored value, and it puts
 * every text from the server into the page as text, never as HTML.
 */
import { SECRET_NAME_PATTERN, SECRET_NAME_RULE } from '../../core/names'
import type { SecretList, SecretRow } from '../server'

const API = '/__secrets/api/'

const element = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

/** The name rule, checked as the admin types: the store's own pattern and wording. */
function nameProblem(name: string): string | undefined {
  if (name === '') return 'Enter a name.'
  return SECRET_NAME_PATTERN.test(name) ? undefined : `Invalid name: a name is ${SECRET_NAME_RULE}.`
}

class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

async function api<T>(path: string, init: { method?: string, body?: unknown } = {}): Promise<T> {
  const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? ''
  const response = await fetch(API + path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  const data = await response.json().catch(() => ({})) as { error?: { message?: string } }
  if (!response.ok) throw new ApiError(response.status, data.error?.message ?? `The dev server answered ${response.status}.`)
  return data as T
}

const relativeTime = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [['year', 31_536_000], ['month', 2_592_000], ['week', 604_800], ['day', 86_400], ['hour', 3_600], ['minute', 60]]

function timeAgo(iso: string, now = Date.now()): string {
  const seconds = (Date.parse(iso) - now) / 1000
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relativeTime.format(Math.round(seconds / size), unit)
  }
  return 'just now'
}

function make<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = text
  if (className) node.className = className
  return node
}

const place = (usage: { file: string, line: number }) => `${usage.file}:${usage.line}`

function signInPage(): void {
  const form = element<HTMLFormElement>('signin-form')
  const input = element<HTMLInputElement>('admin-key')
  const error = element<HTMLParagraphElement>('signin-error')
  input.focus()
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const button = form.querySelector('button')!
    button.disabled = true
    try {
      await api('signin', { method: 'POST', body: { adminKey: input.value } })
      location.replace('/__secrets/')
    }
    catch (caught) {
      error.textContent = (caught as Error).message
      error.hidden = false
      input.setAttribute('aria-invalid', 'true')
      input.select()
    }
    finally {
      button.disabled = false
    }
  })
}

function appPage(): void {
  const table = element<HTMLTableElement>('secrets-table')
  const body = element<HTMLTableSectionElement>('secrets-body')
  const loading = element<HTMLParagraphElement>('loading')
  const loadError = element<HTMLDivElement>('load-error')
  const empty = element<HTMLDivElement>('empty')
  const staleBanner = element<HTMLDivElement>('stale-banner')
  const missingBanner = element<HTMLDivElement>('missing-banner')
  const problemsBanner = element<HTMLDivElement>('problems-banner')
  const announce = element<HTMLParagraphElement>('announce')

  const dialog = element<HTMLDialogElement>('secret-dialog')
  const form = element<HTMLFormElement>('secret-form')
  const title = element<HTMLHeadingElement>('secret-dialog-title')
  const nameInput = element<HTMLInputElement>('secret-name')
  const nameRule = element<HTMLParagraphElement>('secret-name-rule')
  const valueInput = element<HTMLInputElement>('secret-value')
  const valueLabel = element<HTMLLabelElement>('secret-value-label')
  const toggle = element<HTMLButtonElement>('toggle-value')
  const descriptionInput = element<HTMLInputElement>('secret-description')
  const formError = element<HTMLParagraphElement>('secret-error')
  const save = element<HTMLButtonElement>('secret-save')

  const deleteDialog = element<HTMLDialogElement>('delete-dialog')
  const deleteForm = element<HTMLFormElement>('delete-form')
  const deleteText = element<HTMLParagraphElement>('delete-text')
  const deleteUsages = element<HTMLUListElement>('delete-usages')
  const deleteError = element<HTMLParagraphElement>('delete-error')

  const defaultRule = nameRule.textContent ?? ''
  /** The row being edited; undefined while adding. */
  let editing: SecretRow | undefined
  let deleting: SecretRow | undefined
  let lastFocus: HTMLElement | undefined

  function show(state: 'loading' | 'error' | 'empty' | 'table'): void {
    loading.hidden = state !== 'loading'
    loadError.hidden = state !== 'error'
    empty.hidden = state !== 'empty'
    table.hidden = state !== 'table'
  }

  function banner(node: HTMLElement, text: string | undefined): void {
    node.replaceChildren(...(text ? [make('p', text)] : []))
    node.hidden = !text
  }

  function render(list: SecretList): void {
    const stale = list.secrets.filter(secret => secret.stale)
    banner(staleBanner, stale.length && list.maxAgeDays !== null
      ? `${stale.length === 1 ? '1 secret was' : `${stale.length} secrets were`} last set more than ${list.maxAgeDays} days ago: ${stale.map(secret => secret.name).join(', ')}. Rotate ${stale.length === 1 ? 'it' : 'them'} at the provider, then Edit to save the new value.`
      : undefined)
    banner(missingBanner, list.missing.length
      ? `Referenced in configs but not in the store: ${list.missing.map(item => `${item.name} (${item.usedIn.map(place).join(', ')})`).join('; ')}. Builds that import those configs fail until you add ${list.missing.length === 1 ? 'it' : 'them'}.`
      : undefined)
    banner(problemsBanner, list.problems.length
      ? `Where used is incomplete: ${list.problems.map(problem => problem.message).join(' ')}`
      : undefined)
    body.replaceChildren(...list.secrets.map(row))
    show(list.secrets.length ? 'table' : 'empty')
  }

  function row(secret: SecretRow): HTMLTableRowElement {
    const tr = make('tr')
    tr.dataset.name = secret.name
    const name = make('td', undefined, 'name')
    name.append(make('code', secret.name))
    if (secret.stale) name.append(make('span', 'rotate', 'tag'))
    const updated = make('td')
    const time = make('time', timeAgo(secret.updatedAt))
    time.dateTime = secret.updatedAt
    time.title = new Date(secret.updatedAt).toLocaleString()
    updated.append(time)
    const usage = make('td', undefined, 'usage')
    if (secret.usedIn.length) {
      const list = make('ul')
      list.replaceChildren(...secret.usedIn.map((item) => {
        const li = make('li')
        li.append(make('code', place(item)))
        return li
      }))
      usage.append(list)
    }
    else {
      usage.append(make('span', 'not referenced', 'unused'))
    }
    const actions = make('td', undefined, 'row-actions')
    const edit = make('button', 'Edit', 'link')
    edit.type = 'button'
    edit.setAttribute('aria-label', `Edit ${secret.name}`)
    edit.addEventListener('click', () => openEditor(secret))
    const remove = make('button', 'Delete', 'link danger-text')
    remove.type = 'button'
    remove.setAttribute('aria-label', `Delete ${secret.name}`)
    remove.addEventListener('click', () => openDelete(secret))
    actions.append(edit, remove)
    tr.append(name, make('td', secret.description ?? ''), make('td', String(secret.version)), updated, make('td', secret.updatedBy), usage, actions)
    return tr
  }

  async function load(): Promise<void> {
    show('loading')
    try {
      render(await api<SecretList>('secrets'))
    }
    catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) return location.replace('/__secrets/')
      element<HTMLParagraphElement>('load-error-text').textContent = `Could not load the secrets: ${(caught as Error).message}`
      show('error')
    }
  }

  function checkName(): boolean {
    const problem = editing ? undefined : nameProblem(nameInput.value)
    // Before the first character, the rule stays neutral help text.
    const showProblem = problem !== undefined && nameInput.value !== ''
    nameInput.setAttribute('aria-invalid', String(showProblem))
    nameRule.textContent = showProblem ? problem : defaultRule
    nameRule.classList.toggle('error', showProblem)
    return problem === undefined
  }

  function setMasked(masked: boolean): void {
    valueInput.type = masked ? 'password' : 'text'
    toggle.textContent = masked ? 'Show' : 'Hide'
    toggle.setAttribute('aria-pressed', String(!masked))
    toggle.setAttribute('aria-label', masked ? 'Show value' : 'Hide value')
  }

  function openEditor(secret?: SecretRow): void {
    editing = secret
    lastFocus = document.activeElement as HTMLElement
    form.reset()
    setMasked(true)
    formError.hidden = true
    title.textContent = secret ? `Edit ${secret.name}` : 'Add New Secret'
    nameInput.value = secret?.name ?? ''
    nameInput.readOnly = Boolean(secret)
    valueLabel.textContent = secret ? 'New value' : 'Value'
    descriptionInput.value = secret?.description ?? ''
    checkName()
    dialog.showModal()
    ;(secret ? valueInput : nameInput).focus()
  }

  function openDelete(secret: SecretRow): void {
    deleting = secret
    lastFocus = document.activeElement as HTMLElement
    deleteError.hidden = true
    element<HTMLHeadingElement>('delete-dialog-title').textContent = `Delete ${secret.name}?`
    deleteText.textContent = secret.usedIn.length
      ? `These config files reference ${secret.name} and would break (builds and the dev server fail with "secret ${secret.name} is not in the store"):`
      : `No config file references ${secret.name}. Its value is removed from the store; the audit trail keeps a record of the deletion.`
    deleteUsages.replaceChildren(...secret.usedIn.map(item => make('li', place(item))))
    deleteUsages.hidden = !secret.usedIn.length
    deleteDialog.showModal()
    element<HTMLButtonElement>('delete-cancel').focus()
  }

  /** A dialog's request: on success the dialog closes, a screen reader hears `done` and the table reloads; on failure the dialog shows why. */
  async function submit(node: HTMLDialogElement, error: HTMLElement, done: string, request: () => Promise<unknown>): Promise<void> {
    error.hidden = true
    try {
      await request()
      node.close()
      announce.textContent = done
      await load()
    }
    catch (caught) {
      error.textContent = (caught as Error).message
      error.hidden = false
    }
  }

  const restoreFocus = () => lastFocus?.focus()
  dialog.addEventListener('close', () => {
    valueInput.value = '' // nothing typed stays in the page
    restoreFocus()
  })
  deleteDialog.addEventListener('close', restoreFocus)

  nameInput.addEventListener('input', checkName)
  toggle.addEventListener('click', () => setMasked(valueInput.type === 'text'))
  element<HTMLButtonElement>('secret-cancel').addEventListener('click', () => dialog.close())
  element<HTMLButtonElement>('delete-cancel').addEventListener('click', () => deleteDialog.close())
  element<HTMLButtonElement>('add-secret').addEventListener('click', () => openEditor())
  element<HTMLButtonElement>('retry').addEventListener('click', () => void load())
  element<HTMLButtonElement>('sign-out').addEventListener('click', async () => {
    await api('signout', { method: 'POST' }).catch(() => {})
    location.replace('/__secrets/')
  })

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (!checkName()) return nameInput.focus()
    const name = nameInput.value
    save.disabled = true
    await submit(dialog, formError, `${name} saved.`, () => editing
      ? api(`secrets/${encodeURIComponent(name)}`, { method: 'PUT', body: { value: valueInput.value, description: descriptionInput.value } })
      : api('secrets', { method: 'POST', body: { name, value: valueInput.value, description: descriptionInput.value } }))
    save.disabled = false
  })

  deleteForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (!deleting) return
    const name = deleting.name
    await submit(deleteDialog, deleteError, `${name} deleted.`, () => api(`secrets/${encodeURIComponent(name)}`, { method: 'DELETE' }))
  })

  void load()
}

if (document.getElementById('signin-form')) signInPage()
else if (document.getElementById('secrets-table')) appPage()
