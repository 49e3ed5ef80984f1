/**
 * The extension-host test entry, as every VS Code extension has it: @vscode/test-electron's
 * runTests with the extension, the suite's index and the folder to open.
 *
 *   node --import tsx test/runTest.ts            code-server + headless Chromium (scripts/e2e/code-launcher.mjs)
 *   E2E_DESKTOP=1 node --import tsx test/runTest.ts   the desktop VS Code build, downloaded by test-electron
 *
 * Extra arguments are passed on as VS Code arguments. Exits with the tests' status.
 */
import path from 'node:path';
import { runTests, TestRunFailedError } from '@vscode/test-electron';

const root = path.resolve(__dirname, '..');

async function main(): Promise<number> {
  const desktop = process.env.E2E_DESKTOP === '1';
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'test', 'e2e', 'host', 'index.cjs'),
      // The desktop build needs its own profile; the launcher makes a throw-away one itself.
      launchArgs: [path.join(root, 'test', 'fixtures'), ...process.argv.slice(2)],
      ...(desktop ? {} : { vscodeExecutablePath: path.join(root, 'scripts', 'e2e', 'code-launcher.mjs') }),
    });
    return 0;
  } catch (err) {
    if (err instanceof TestRunFailedError) return err.code ?? 1;
    process.stderr.write(`runTest: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

void main().then((code) => process.exit(code));
