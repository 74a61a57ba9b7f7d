/// <reference lib="dom" />
// Browser code: no config with secrets is imported here (the leak guard will enforce that).
document.querySelector('#app')!.textContent = 'unplugin-secrets playground: the server bundle holds the config.'
