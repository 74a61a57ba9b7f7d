/// <reference types="unplugin-secrets/client" />
