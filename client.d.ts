// unplugin-secrets/client: types for importing YAML configs in TypeScript.
// Add "unplugin-secrets/client" to compilerOptions.types in tsconfig.json, or
// put /// <reference types="unplugin-secrets/client" /> in a .d.ts file.

/**
 * A YAML config: the default export is its data with `${secret.NAME}`
 * references expanded, and each top-level key that is a legal identifier is
 * also a named export. Typed `any`: the shape is in the file, not known to
 * the compiler. For exact types, write a sibling `config.d.yaml.ts` and set
 * `allowArbitraryExtensions`: a file that resolves wins over this pattern.
 */
declare module '*.yaml'
declare module '*.yml'
