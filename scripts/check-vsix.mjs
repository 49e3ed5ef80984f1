// @ts-check
// Checks the packaged extension: `node scripts/check-vsix.mjs [path/to.vsix]`
// (default dist/agent-telemetry-explorer.vsix, written by `npm run package`).
// Fails (exit 1) unless the .vsix holds exactly the allowed files, includes every required one
// (the bundles, dist/sql-wasm.wasm, the Marketplace icon, package.json, README, CHANGELOG, LICENSE) and is at most 1.5 MB.
// A .vsix is a zip file; its central directory is read here with plain Node (no dependency).
import fs from 'node:fs';
import path from 'node:path';

const MAX_BYTES = 1.5 * 1024 * 1024;
const root = path.resolve(import.meta.dirname, '..');
const vsix = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'agent-telemetry-explorer.vsix'));

/** Files the package must contain (paths inside the zip; vsce lower-cases readme/changelog and adds .txt to LICENSE). */
const REQUIRED = [
  '[Content_Types].xml',
  'extension.vsixmanifest',
  'extension/package.json',
  'extension/readme.md',
  'extension/changelog.md',
  'extension/LICENSE.txt',
  'extension/dist/extension.js',
  'extension/dist/worker.js',
  'extension/dist/webview.js',
  'extension/dist/cli.js',
  'extension/dist/sql-wasm.wasm',
  'extension/media/icon.png',
];

/** Files it may contain besides those. */
const OPTIONAL = [/^extension\/media\/[^/]+(\/[^/]+)*$/];

/** Never, whatever the patterns above say. */
const FORBIDDEN = [/\.map$/, /\.ts$/, /(^|\/)node_modules\//, /\.vsix$/];

/**
 * Lists the entries of a zip file from its central directory.
 * @param {Buffer} buf
 * @returns {{ name: string, size: number, compressed: number }[]}
 */
function zipEntries(buf) {
  // End of central directory record: signature 0x06054b50, at most 65535 + 22 bytes from the end.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory record)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry at byte ${p}`);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    if (!name.endsWith('/')) entries.push({ name, size, compressed });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const errors = [];

if (!fs.existsSync(vsix)) {
  console.error(`check-vsix: ${path.relative(root, vsix)} does not exist; run: npm run package`);
  process.exit(1);
}
const buf = fs.readFileSync(vsix);
let entries;
try {
  entries = zipEntries(buf);
} catch (err) {
  console.error(`check-vsix: ${path.relative(root, vsix)}: ${err.message}`);
  process.exit(1);
}

const names = new Set(entries.map((e) => e.name));
for (const e of entries) {
  const allowed = REQUIRED.includes(e.name) || OPTIONAL.some((re) => re.test(e.name));
  if (!allowed || FORBIDDEN.some((re) => re.test(e.name))) errors.push(`not allowed in the package: ${e.name}`);
}
for (const r of REQUIRED) if (!names.has(r)) errors.push(`missing from the package: ${r}`);
const wasm = entries.find((e) => e.name === 'extension/dist/sql-wasm.wasm');
if (wasm && wasm.size < 100_000) errors.push(`extension/dist/sql-wasm.wasm is only ${wasm.size} bytes`);
if (buf.length > MAX_BYTES) errors.push(`the package is ${kb(buf.length)}, more than ${kb(MAX_BYTES)}`);

console.log(`${path.relative(root, vsix)}: ${kb(buf.length)}, ${entries.length} files`);
for (const e of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
  console.log(`  ${e.name.padEnd(44)} ${kb(e.size).padStart(10)}  (${kb(e.compressed)} compressed)`);
}
if (errors.length) {
  for (const e of errors) console.error(`check-vsix: ${e}`);
  process.exit(1);
}
console.log('check-vsix: ok');
