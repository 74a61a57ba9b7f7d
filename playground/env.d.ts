// An app writes /// <reference types="unplugin-secrets/client" /> (or lists it in
// compilerOptions.types); inside the package's own repository it is a path.
/// <reference path="../client.d.ts" />
