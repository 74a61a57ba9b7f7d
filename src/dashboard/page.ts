import { SECRET_NAME_RULE } from '../core/names'

/** Text for HTML text and attribute values. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, char => `&#${char.charCodeAt(0)};`)

/** The document around either view: our stylesheet and script only, nothing inline (the CSP allows neither). */
function documentHtml(title: string, body: string, meta = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${meta}<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/__secrets/dashboard.css">
<script type="module" src="/__secrets/dashboard.js"></script>
</head>
<body>
${body}
</body>
</html>
`
}

/** Without a session: the sign-in form and nothing about the store. */
export function renderSignIn(message?: string): string {
  return documentHtml('Sign in · Secrets', `<main class="signin">
<h1>Secrets</h1>
<p>Only admins of this project's secret store can open this page.</p>
<form id="signin-form" novalidate>
<label for="admin-key">Admin key</label>
<input id="admin-key" name="adminKey" type="password" autocomplete="off" spellcheck="false" required aria-describedby="admin-key-help signin-error" placeholder="usec_admin_…">
<p id="admin-key-help" class="help">Your admin key starts with <code>usec_admin_</code>. It stays in the dev server's memory for this session and is never written anywhere.</p>
<p id="signin-error" class="error" role="alert"${message ? '' : ' hidden'}>${message ? escapeHtml(message) : ''}</p>
<button type="submit">Sign in</button>
</form>
</main>`)
}

/** With a session: the shell; the table is filled from the JSON API by the script. */
export function renderApp({ admin, csrf, store }: { admin: string, csrf: string, store: string }): string {
  const nameRule = `A name is ${SECRET_NAME_RULE}, and is used as \${secret.NAME} in config files.`
  return documentHtml('Secrets', `<header>
<div>
<h1>Secrets</h1>
<p class="subtitle">Store <code>${escapeHtml(store)}</code> · signed in as <strong>${escapeHtml(admin)}</strong></p>
</div>
<div class="actions">
<button type="button" id="add-secret" class="primary">Add New Secret</button>
<button type="button" id="sign-out">Sign out</button>
</div>
</header>
<main>
<div id="stale-banner" class="banner" role="status" hidden></div>
<div id="missing-banner" class="banner" role="status" hidden></div>
<div id="problems-banner" class="banner" role="status" hidden></div>
<p id="loading" class="state" role="status">Loading secrets…</p>
<div id="load-error" class="state error" role="alert" hidden><p id="load-error-text"></p><button type="button" id="retry">Try again</button></div>
<div id="empty" class="state" hidden><p>No secrets yet.</p><p>Add one, then write <code>\${secret.NAME}</code> in a config file instead of the credential.</p></div>
<table id="secrets-table" hidden>
<caption>Secrets in ${escapeHtml(store)}. Values are never shown here.</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Version</th><th scope="col">Last updated</th><th scope="col">Updated by</th><th scope="col">Where used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody id="secrets-body"></tbody>
</table>
<p id="announce" class="visually-hidden" aria-live="polite"></p>
</main>
<dialog id="secret-dialog" aria-labelledby="secret-dialog-title">
<form id="secret-form" method="dialog" novalidate>
<h2 id="secret-dialog-title">Add New Secret</h2>
<label for="secret-name">Name</label>
<input id="secret-name" name="name" type="text" autocomplete="off" spellcheck="false" required aria-describedby="secret-name-rule">
<p id="secret-name-rule" class="help">${escapeHtml(nameRule)}</p>
<label for="secret-value" id="secret-value-label">Value</label>
<div class="with-toggle">
<input id="secret-value" name="value" type="password" autocomplete="new-password" spellcheck="false" aria-describedby="secret-value-help">
<button type="button" id="toggle-value" aria-controls="secret-value" aria-pressed="false">Show</button>
</div>
<p id="secret-value-help" class="help">Encrypted into the store on Save. The dashboard never shows a stored value.</p>
<label for="secret-description">Description <span class="optional">(optional)</span></label>
<input id="secret-description" name="description" type="text" autocomplete="off">
<p id="secret-error" class="error" role="alert" hidden></p>
<div class="dialog-actions">
<button type="button" id="secret-cancel">Cancel</button>
<button type="submit" id="secret-save" class="primary">Save</button>
</div>
</form>
</dialog>
<dialog id="delete-dialog" aria-labelledby="delete-dialog-title">
<form id="delete-form" method="dialog">
<h2 id="delete-dialog-title">Delete secret?</h2>
<p id="delete-text"></p>
<ul id="delete-usages"></ul>
<p id="delete-error" class="error" role="alert" hidden></p>
<div class="dialog-actions">
<button type="button" id="delete-cancel">Cancel</button>
<button type="submit" id="delete-confirm" class="danger">Delete</button>
</div>
</form>
</dialog>`, `<meta name="csrf-token" content="${escapeHtml(csrf)}">\n`)
}
