// @ts-check
/**
 * ESLint: antfu's shared config (the one the unplugin family uses), with the
 * rules below turned off or narrowed where they fight this code on purpose.
 */
import antfu from '@antfu/eslint-config'

export default antfu(
  {
    type: 'lib',
    typescript: true,
    ignores: ['test/corpus/**', 'bench/peers/**', 'playground/dist/**', 'test/.tmp/**', 'test/fixtures/**', '**/*.md', 'client.d.ts'],
  },
  {
    rules: {
      // `if (bad) return x` on one line is how guard clauses read here.
      'antfu/if-newline': 'off',
      // Small arrow constants at the top of a module are on purpose (one-line helpers).
      'antfu/top-level-function': 'off',
      // '${secret.NAME}' in a plain string is this product's syntax, not a mistaken template.
      'no-template-curly-in-string': 'off',
      // A Node-only package: process and Buffer are the globals every reader expects.
      'node/prefer-global/process': 'off',
      'node/prefer-global/buffer': 'off',
      // It rewrites [A-Za-z] as [A-Z] with the i flag: a pattern whose .source another pattern is built from loses the flag.
      'regexp/use-ignore-case': 'off',
      // Each file opens with a comment saying what it is for; sorting imports would move imports above it.
      'perfectionist/sort-imports': 'off',
      // A one-line callback (`on('data', chunk => { out += chunk })`) reads as one statement with its caller.
      'style/max-statements-per-line': ['error', { max: 2 }],
      // Return types are inferred; tsdown emits the declarations, and test/types.test.ts checks the public ones.
      'ts/explicit-function-return-type': 'off',
      // Functions are hoisted; helpers below the code that reads them is the order used here (top-down).
      'ts/no-use-before-define': ['error', { functions: false, classes: false, variables: false, typedefs: false }],
    },
  },
  {
    // Tests and benchmarks: top-level await for set-up, the built package (dist/) on purpose, console for bench output, sentences as titles.
    files: ['test/**', 'bench/**', 'playground/**', '*.config.ts'],
    rules: {
      'antfu/no-top-level-await': 'off',
      'antfu/no-import-dist': 'off',
      'no-console': 'off',
      'test/prefer-lowercase-title': 'off',
      'ts/explicit-function-return-type': 'off',
    },
  },
  {
    // Lines a reader can take in: a long message is built from short parts or kept in a messages module,
    // not inlined mid-logic (#13). Strings, templates, regexps and comments count too.
    files: ['src/**/*.ts'],
    rules: { 'style/max-len': ['error', { code: 120 }] },
  },
  {
    // The reader worker runs its work at the top level of the thread.
    files: ['src/core/store/reader-worker.ts'],
    rules: { 'antfu/no-top-level-await': 'off' },
  },
)
