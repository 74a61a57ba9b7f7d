/**
 * Where the page keeps its session token: sessionStorage, which belongs to
 * this tab and this origin (port included). A reload keeps the session; no
 * other port, and no other tab, ever sees the token; closing the tab drops it.
 */
const KEY = 'unplugin-secrets.session-token'

export const sessionToken = {
  get: (): string | undefined => sessionStorage.getItem(KEY) ?? undefined,
  set: (token: string): void => sessionStorage.setItem(KEY, token),
  forget: (): void => sessionStorage.removeItem(KEY),
}
