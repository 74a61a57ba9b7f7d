/// <reference types="unplugin-secrets/client" />
export {}
