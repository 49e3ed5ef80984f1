// Lint rules, including the import fences that keep the layers apart (see DEVELOPERS notes in README).
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'zlib', 'crypto', 'child_process', 'worker_threads'];
// Flat config does not merge one rule's options across blocks: each core folder repeats these.
const coreFence = [
  { group: ['vscode'], message: 'src/core must not import vscode: keep it testable in plain Node.' },
  { group: ['lit', 'lit/*'], message: 'src/core must not import lit.' },
  { group: ['**/extension/**', '**/webview/**', '**/cli/**'], message: 'src/core must not import the adapters.' },
];
const fence = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.e2e/**', '.vscode-test/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      curly: ['error', 'multi-line'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: fence([{ regex: '^(?!\\./[^/]+$)', message: 'src/protocol holds plain types and imports nothing outside itself.' }]),
  },
  {
    files: ['src/core/**/*.ts'],
    rules: fence(coreFence),
  },
  // Inside core the pipeline runs one way: source (log files, formats) → store (sql.js) → ingest →
  // query → ops → serve. A folder imports only the ones before it (query reads the index; it never writes it).
  {
    files: ['src/core/source/**/*.ts'],
    rules: fence([...coreFence, { group: ['**/store/**', '**/ingest/**', '**/query/**', '**/ops/**', '**/worker/**', '**/serve/**'], message: 'core/source reads log files and formats only.' }]),
  },
  {
    files: ['src/core/store/**/*.ts'],
    rules: fence([...coreFence, { group: ['**/source/**', '**/ingest/**', '**/query/**', '**/ops/**', '**/worker/**', '**/serve/**'], message: 'core/store is sql.js and the schema only.' }]),
  },
  {
    files: ['src/core/query/**/*.ts'],
    rules: fence([...coreFence, { group: ['**/ingest/**', '**/ops/**', '**/worker/**', '**/serve/**'], message: 'core/query reads the index: it must not import ingest (or ops, worker).' }]),
  },
  {
    files: ['src/core/ops/**/*.ts'],
    rules: fence([...coreFence, { group: ['**/ingest/**', '**/worker/**', '**/serve/**'], message: 'core/ops works on the index and the files, not on ingest.' }]),
  },
  {
    files: ['src/core/serve/**/*.ts'],
    // The last stage (the HTTP server): it may use every earlier folder; only the worker (which runs it
    // over its index for VS Code) and the CLI import it.
    rules: fence(coreFence),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: fence([
      { group: ['vscode'], message: 'the CLI must not import vscode.' },
      // indexClient.ts (no VS Code API): the CLI's server runs the index in the same worker.
      { group: ['**/extension/**', '!**/extension/indexClient', '**/webview/**'], message: 'the CLI imports only core and protocol (and the index worker client).' },
    ]),
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: fence([
      { group: ['**/webview/**', '**/cli/**', 'lit', 'lit/*'], message: 'the extension host imports core and protocol, not the webview or CLI.' },
      // The index lives in the worker: the host asks it through indexClient.ts and never holds a Database.
      {
        group: ['sql.js', '**/core/store/**', '**/core/ingest/**', '**/core/ops/**', '**/core/worker/**', '**/core/query/**', '!**/core/query/pathMatch'],
        message: 'the extension host does not touch the index: ask the worker (IndexService.request).',
      },
    ]),
  },
  {
    files: ['src/webview/**/*.ts'],
    rules: fence([
      { group: ['vscode', ...nodeBuiltins, 'sql.js'], message: 'the webview runs in a browser: only lit and src/protocol.' },
      { group: ['**/core/**', '**/extension/**', '**/cli/**'], message: 'the webview imports only src/protocol and lit.' },
    ]),
  },
);
