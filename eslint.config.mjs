// ESLint for every workspace: typescript-eslint's strict rules on TypeScript sources, eslint-plugin-security's
// recommended rules on every source, Prettier owns formatting (eslint-config-prettier turns off the rules
// that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

/** Every TypeScript and JavaScript source ESLint reads. */
const SOURCES = ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'];

/**
 * The code deployed to answer requests and events from outside: the application's request and event
 * handlers and the delivery's Lambda handlers. A file path or a pattern built from a variable is a risk
 * where the variable can come from a caller, so these keep the rules that flag them.
 */
const DEPLOYED_HANDLERS = [
  'app/core/src/**',
  'app/functions/*/src/**',
  'app/services/*/src/**',
  'delivery/src/handlers/**',
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/cdk.out/**', '**/scratch/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  ...tseslint.configs.stylistic,
  {
    files: SOURCES,
    ...security.configs.recommended,
    // The recommended set only warns, which `eslint .` (and so `npm run lint`) lets pass: errors, so CI stops.
    rules: Object.fromEntries(Object.keys(security.configs.recommended.rules).map((rule) => [rule, 'error'])),
  },
  {
    files: SOURCES,
    // no-implied-eval knows the timers only as declared globals (Node's, which TypeScript sources don't declare).
    languageOptions: { globals: { setTimeout: 'readonly', setInterval: 'readonly' } },
    rules: {
      // Flags every `record[key]` with a variable key (171 findings, none with a key a caller controls): nearly
      // all are lookups in typed records, tuples and arrays whose keys TypeScript already limits. Off, rather
      // than a disable comment on every lookup, which would hide a real finding among them.
      'security/detect-object-injection': 'off',
      // Code built from strings. typescript-eslint's no-implied-eval needs type-aware linting, which this
      // config does not run: the core rule catches strings and string concatenations.
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-script-url': 'error',
    },
  },
  {
    // Outside the deployed handlers, paths and patterns come from the repository, the pipeline's build or the
    // operator who runs a CLI, never from a caller: these two rules flagged ~230 legitimate reads of the
    // repository's own files and patterns built from its own names.
    files: SOURCES,
    ignores: DEPLOYED_HANDLERS,
    rules: {
      'security/detect-non-literal-fs-filename': 'off',
      'security/detect-non-literal-regexp': 'off',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Plain CommonJS scripts run by Node directly (e.g. the guard worker).
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The synthetic canary: CommonJS run as it is by the CloudWatch Synthetics Node.js runtime.
    files: ['**/canary/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        process: 'readonly',
        module: 'writable',
        fetch: 'readonly',
        URL: 'readonly',
        AbortSignal: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // A slow pattern matters on input an attacker writes; tests match the repository's own fixtures.
      'security/detect-unsafe-regex': 'off',
    },
  },
  prettier,
);
