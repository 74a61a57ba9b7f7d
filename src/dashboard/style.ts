/** The dashboard's stylesheet, served from /__secrets/dashboard.css (the CSP allows no inline style). */
export const DASHBOARD_CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --soft: #f6f8fa; --accent: #0969da; --danger: #cf222e; --warn-bg: #fff8c5; --warn-line: #d4a72c; --error-bg: #ffebe9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; justify-content: space-between; align-items: center; gap: 1rem; padding: 1rem 2rem; border-bottom: 1px solid var(--line); background: var(--soft); }
h1 { margin: 0; font-size: 1.4rem; }
h2 { margin: 0 0 1rem; font-size: 1.15rem; }
.subtitle { margin: .2rem 0 0; color: var(--muted); }
main { padding: 1.5rem 2rem; }
.actions, .dialog-actions { display: flex; gap: .5rem; }
.dialog-actions { justify-content: flex-end; margin-top: 1.25rem; }
button { font: inherit; padding: .4rem .9rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); cursor: pointer; }
button:hover { background: var(--soft); }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
button.link { border: none; background: none; color: var(--accent); padding: .2rem .4rem; }
button.link.danger-text { color: var(--danger); }
button:disabled { opacity: .6; cursor: progress; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
table { width: 100%; border-collapse: collapse; }
caption { text-align: left; color: var(--muted); padding-bottom: .5rem; }
th, td { text-align: left; vertical-align: top; padding: .55rem .6rem; border-bottom: 1px solid var(--line); }
th { font-size: .85rem; color: var(--muted); font-weight: 600; }
td.name code { font-weight: 600; }
td.usage ul { margin: 0; padding: 0; list-style: none; }
td.usage code, td.usage span { font-size: .85rem; }
td.row-actions { white-space: nowrap; text-align: right; }
.unused { color: var(--muted); font-style: italic; }
.tag { display: inline-block; margin-left: .4rem; padding: 0 .4rem; border-radius: 999px; background: var(--warn-bg); border: 1px solid var(--warn-line); font-size: .75rem; }
.banner { padding: .75rem 1rem; margin-bottom: 1rem; border: 1px solid var(--warn-line); background: var(--warn-bg); border-radius: 6px; }
.banner p { margin: 0; }
.state { padding: 2rem; text-align: center; color: var(--muted); border: 1px dashed var(--line); border-radius: 6px; }
.state p { margin: .25rem 0; }
.error { color: var(--danger); }
.state.error { background: var(--error-bg); border-style: solid; border-color: var(--danger); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
label { display: block; font-weight: 600; margin-top: .9rem; }
input { font: inherit; width: 100%; padding: .45rem .6rem; border: 1px solid var(--line); border-radius: 6px; }
input[aria-invalid="true"] { border-color: var(--danger); }
.with-toggle { display: flex; gap: .5rem; }
.with-toggle input { flex: 1; }
.help { margin: .25rem 0 0; font-size: .85rem; color: var(--muted); }
.help.error { color: var(--danger); }
.optional { font-weight: normal; color: var(--muted); }
dialog { width: min(34rem, 92vw); border: 1px solid var(--line); border-radius: 10px; padding: 1.5rem; box-shadow: 0 12px 32px rgba(0,0,0,.2); }
dialog::backdrop { background: rgba(31,35,40,.45); }
dialog ul { padding-left: 1.2rem; }
.signin { max-width: 28rem; margin: 4rem auto; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`
