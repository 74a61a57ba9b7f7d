/// <reference lib="dom" />
/** The element builder the page's components share: attributes as strings, children as nodes or text (never HTML). */

type Attributes = Record<string, string | boolean | undefined>

/** An element with its attributes (`true`: present and empty; `false` or undefined: absent) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(name, '')
    else if (typeof value === 'string') node.setAttribute(name, value)
  }
  node.append(...children)
  return node
}

/** Shows a text in an error or status element, or hides it when there is none. */
export function showText(node: HTMLElement, text: string | undefined): void {
  node.textContent = text ?? ''
  node.hidden = !text
}

/**
 * Opens a native modal dialog (focus moves in, Escape closes it) and gives
 * focus back to whatever had it when the dialog closes.
 */
export function openModal(dialog: HTMLDialogElement, focus: HTMLElement): void {
  const before = document.activeElement as HTMLElement | null
  dialog.addEventListener('close', () => before?.focus(), { once: true })
  dialog.showModal()
  focus.focus()
}
