/**
 * The main area: the banners, the loading, empty and error states, and the
 * table of secrets (metadata and where each is used; never a value).
 */
import type { SecretList, SecretRow } from '../protocol'
import { api, isSignedOut } from './api'
import { h, showText } from './dom'
import { missingBannerText, place, problemsBannerText, staleBannerText, timeAgo } from './format'

export interface RowActions {
  edit: (secret: SecretRow) => void
  remove: (secret: SecretRow) => void
}

const COLUMNS = ['Name', 'Description', 'Version', 'Last updated', 'Updated by', 'Where used']

function rowButton(label: string, className: string, ariaLabel: string, onClick: () => void): HTMLButtonElement {
  const button = h('button', { 'type': 'button', 'class': className, 'aria-label': ariaLabel }, label)
  button.addEventListener('click', onClick)
  return button
}

function usageCell(secret: SecretRow): HTMLTableCellElement {
  if (!secret.usedIn.length) return h('td', { class: 'usage' }, h('span', { class: 'unused' }, 'not referenced'))
  return h('td', { class: 'usage' }, h('ul', {}, ...secret.usedIn.map(item => h('li', {}, h('code', {}, place(item))))))
}

function row(secret: SecretRow, actions: RowActions): HTMLTableRowElement {
  const name = h('td', { class: 'name' }, h('code', {}, secret.name))
  if (secret.stale) name.append(h('span', { class: 'tag' }, 'rotate'))
  const { updatedAt } = secret
  const updated = h('time', { datetime: updatedAt, title: new Date(updatedAt).toLocaleString() }, timeAgo(updatedAt))
  const tr = h(
    'tr',
    {},
    name,
    h('td', {}, secret.description ?? ''),
    h('td', {}, String(secret.version)),
    h('td', {}, updated),
    h('td', {}, secret.updatedBy),
    usageCell(secret),
    h(
      'td',
      { class: 'row-actions' },
      rowButton('Edit', 'link', `Edit ${secret.name}`, () => actions.edit(secret)),
      rowButton('Delete', 'link danger-text', `Delete ${secret.name}`, () => actions.remove(secret)),
    ),
  )
  tr.dataset.name = secret.name
  return tr
}

const captionText = (store: string) => `Secrets in ${store}. Values are never shown here.`

function parts(store: string) {
  const banner = (id: string) => h('div', { id, class: 'banner', role: 'status', hidden: true })
  return {
    staleBanner: banner('stale-banner'),
    missingBanner: banner('missing-banner'),
    problemsBanner: banner('problems-banner'),
    loading: h('p', { id: 'loading', class: 'state', role: 'status' }, 'Loading secrets…'),
    errorText: h('p', { id: 'load-error-text' }),
    retry: h('button', { type: 'button', id: 'retry' }, 'Try again'),
    empty: h(
      'div',
      { id: 'empty', class: 'state', hidden: true },
      h('p', {}, 'No secrets yet.'),
      h(
        'p',
        {},
        'Add one, then write ',
        h('code', {}, '${secret.NAME}'),
        ' in a config file instead of the credential.',
      ),
    ),
    body: h('tbody', { id: 'secrets-body' }),
    caption: h('caption', {}, captionText(store)),
  }
}

type Parts = ReturnType<typeof parts>

function layout(p: Parts): { error: HTMLDivElement, table: HTMLTableElement, nodes: HTMLElement[] } {
  const error = h('div', { id: 'load-error', class: 'state error', role: 'alert', hidden: true }, p.errorText, p.retry)
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      ...COLUMNS.map(column => h('th', { scope: 'col' }, column)),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
    ),
  )
  const table = h('table', { id: 'secrets-table', hidden: true }, p.caption, head, p.body)
  return { error, table, nodes: [p.staleBanner, p.missingBanner, p.problemsBanner, p.loading, error, p.empty, table] }
}

/**
 * The list's nodes and `load`, which fetches GET secrets and shows the
 * result (and hands it to `loaded`); `signedOut` runs when the session has ended (401).
 */
export function secretsTable(
  store: string,
  actions: RowActions,
  signedOut: () => void,
  loaded: (list: SecretList) => void,
) {
  const p = parts(store)
  const { error, table, nodes } = layout(p)

  function show(state: 'loading' | 'error' | 'empty' | 'table'): void {
    p.loading.hidden = state !== 'loading'
    error.hidden = state !== 'error'
    p.empty.hidden = state !== 'empty'
    table.hidden = state !== 'table'
  }

  function render(list: SecretList): void {
    const banner = (node: HTMLElement, text: string | undefined) => {
      node.replaceChildren(...(text ? [h('p', {}, text)] : []))
      node.hidden = !text
    }
    banner(p.staleBanner, staleBannerText(list))
    banner(p.missingBanner, missingBannerText(list))
    banner(p.problemsBanner, problemsBannerText(list))
    p.caption.textContent = captionText(list.store)
    p.body.replaceChildren(...list.secrets.map(secret => row(secret, actions)))
    show(list.secrets.length ? 'table' : 'empty')
  }

  async function load(): Promise<void> {
    show('loading')
    try {
      const list = await api<SecretList>('secrets')
      render(list)
      loaded(list)
    }
    catch (caught) {
      if (isSignedOut(caught)) return signedOut()
      showText(p.errorText, `Could not load the secrets: ${(caught as Error).message}`)
      show('error')
    }
  }

  p.retry.addEventListener('click', () => void load())
  return { nodes, load }
}
