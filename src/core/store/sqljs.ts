import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { useSqlModule } from './fastInsert';

let loading: Promise<SqlJsStatic> | undefined;

/**
 * Loads sql.js once per process. The wasm bytes are passed in by the adapter (the extension reads
 * `dist/sql-wasm.wasm`); without them we look beside the running bundle, then in node_modules, so
 * tests, the CLI and the extension all go through this one loader.
 */
export function loadSqlJs(wasmBinary?: Uint8Array): Promise<SqlJsStatic> {
  if (!loading) {
    const bytes = wasmBinary ?? findWasm();
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    loading = initSqlJs({ wasmBinary: buffer }).then((module) => {
      useSqlModule(module);
      return module;
    }).catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
  }
  return loading;
}

function findWasm(): Uint8Array {
  const candidates = [
    path.join(__dirname, 'sql-wasm.wasm'),
    path.join(__dirname, '..', 'dist', 'sql-wasm.wasm'),
  ];
  try {
    candidates.push(path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm'));
  } catch {
    // not resolvable from a bundle: the copies above are used
  }
  for (const file of candidates) {
    try {
      return readFileSync(file);
    } catch {
      // try the next place
    }
  }
  throw new Error(`sql-wasm.wasm not found (looked in: ${candidates.join(', ')})`);
}
