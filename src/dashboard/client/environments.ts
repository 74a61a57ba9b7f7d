/**
 * The environment switcher (one store per environment, those present) and
 * the table of names that configs reference but some environment's store lacks.
 */
import type { SecretList } from '../protocol'
import { h } from './dom'

/** A select of the stores present; `switched` runs with the name picked. Hidden while there is only one store. */
export function environmentSwitcher(switched: (environment: string) => void) {
  const select = h('select', { id: 'environment' })
  const element = h('label', { class: 'environment', hidden: true }, 'Environment ', select)
  select.addEventListener('change', () => switched(select.value))

  function update(list: SecretList): void {
    select.replaceChildren(...list.environments.map(({ environment, store }) =>
      h('option', { value: environment, selected: environment === list.environment, title: store }, environment)))
    select.value = list.environment
    element.hidden = list.environments.length < 2
  }
  return { element, update }
}

/** Names × environments, for the rows where some store lacks the name; hidden when there is no such row. */
export function missingByEnvironmentTable() {
  const head = h('thead')
  const body = h('tbody')
  const explanation = [
    'Configs reference these names, but not every environment\'s store has them:',
    'a build for that environment fails until an admin of its store adds them.',
  ].join(' ')
  const element = h(
    'section',
    { id: 'missing-by-environment', hidden: true },
    h('h2', {}, 'Missing in some environment'),
    h('p', {}, explanation),
    h('table', {}, head, body),
  )

  function update({ missingByEnvironment: { environments, rows } }: SecretList): void {
    // One store: its own banner says what it lacks; no table.
    const shown = environments.length < 2 ? [] : rows
    head.replaceChildren(
      h('tr', {}, h('th', { scope: 'col' }, 'Name'), ...environments.map(name => h('th', { scope: 'col' }, name))),
    )
    body.replaceChildren(...shown.map(({ name, present }) => {
      const tr = h(
        'tr',
        {},
        h('td', {}, h('code', {}, name)),
        ...present.map(has => h('td', { class: has ? 'present' : 'absent' }, has ? 'ok' : 'missing')),
      )
      tr.dataset.missingName = name // not data-name: that marks the rows of the secrets table
      return tr
    }))
    element.hidden = shown.length === 0
  }
  return { element, update }
}
