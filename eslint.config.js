// ESLint 9 flat config: typescript-eslint's recommended rules, then
// neostandard (the "standard" style this code is written in: no semicolons, a
// space before function parens, single quotes) with TypeScript support. ESLint
// Stylistic (part of neostandard) is the formatter: `npm run lint:fix` formats.
// `npm test` runs `npm run lint` before the tests.
import globals from 'globals'
import neostandard, { resolveIgnoresFromGitignore } from 'neostandard'
import tseslint from 'typescript-eslint'

export default [
  ...tseslint.configs.recommended,
  ...neostandard({
    ts: true,
    ignores: [...resolveIgnoresFromGitignore(), '**/*.d.ts']
  }),
  {
    linterOptions: {
      // An eslint-disable comment that no longer suppresses anything is an error,
      // so the exceptions left in the code stay the ones that are needed.
      reportUnusedDisableDirectives: 'error'
    },
    rules: {
      // `void promise` marks a promise deliberately not awaited (fire and forget).
      'no-void': ['error', { allowAsStatement: true }],
      // Tables of short objects (test fixtures, option bags) keep several
      // properties on one line; which ones share a line is a judgement, not a rule.
      '@stylistic/object-property-newline': 'off',
      // The code matches control characters on purpose: order-preserving sort
      // keys escape \x00/\x01, imports and the chat strip control characters.
      'no-control-regex': 'off',
      // A class merged with an interface of the same name is how Multifeed and
      // Kappa type their EventEmitter events (the interface only narrows on/emit).
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
      // standard's settings, plus `_` for a binding that must exist but is unused
      // (`for await (const _ of it) n++`).
      '@typescript-eslint/no-unused-vars': ['error', {
        args: 'none',
        caughtErrors: 'none',
        ignoreRestSiblings: true,
        vars: 'all',
        varsIgnorePattern: '^_'
      }]
    }
  },
  {
    // Tests read untyped JSON bodies and poke at internals; `any` is kept out of
    // the packages' public APIs (src/), not out of the tests.
    files: ['**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' }
  },
  {
    // The workshop's starter files are deliberately unfinished: the learner
    // writes the code that uses what they declare.
    files: ['workshop/chapters/*/starter.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' }
  },
  {
    // The record-db UI is plain browser JavaScript served as is.
    files: ['packages/record-db/ui/**/*.js'],
    languageOptions: { globals: globals.browser }
  }
]
