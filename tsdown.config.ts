import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: {
    store: 'src/store.ts',
    cli: 'src/cli/index.ts',
  },
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  dts: true,
  clean: true,
  // The CLI is the `bin`, not an import path.
  exports: {
    exclude: ['cli'],
    // tsdown names a lone entry "."; the package root is reserved for the bundler plugin.
    customExports: ({ '.': store, ...rest }) => (store ? { './store': store, ...rest } : rest),
  },
})
