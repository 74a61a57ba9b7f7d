/// <reference types="astro/client" />
/// <reference types="unplugin-secrets/client" />
