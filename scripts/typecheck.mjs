// @ts-check
// Type-checks each layer under its own tsconfig (that is what fences the layers apart), then the
// JavaScript test code and scripts (// @ts-check with JSDoc) under test/tsconfig.js.json.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const layers = ['src/protocol', 'src/core', 'src/cli', 'src/extension', 'src/webview', 'test'];
const hasTs = (dir) => readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.ts'));
let failed = false;
for (const dir of layers) {
  if (!hasTs(dir)) {
    console.log(`typecheck: ${dir} has no TypeScript yet, skipped`);
    continue;
  }
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { stdio: 'inherit' });
    console.log(`typecheck: ${dir} ok`);
  } catch {
    failed = true;
  }
}
try {
  execFileSync(process.execPath, [tsc, '-p', 'test/tsconfig.js.json'], { stdio: 'inherit' });
  console.log('typecheck: JavaScript tests and scripts ok');
} catch {
  failed = true;
}
process.exit(failed ? 1 : 0);
