import { readFileSync } from 'node:fs';
import { loadSqlJs } from '../src/core/store/sqljs';
import { TelemetryIndex } from '../src/core/ingest/indexer';
(async () => {
  const sql = await loadSqlJs();
  const ix = TelemetryIndex.open(sql, new Uint8Array(readFileSync('/work/tmp/s300.idx'))).index;
  for (let i = 0; i < 4; i++) { const t = performance.now(); const b = ix.export(); console.log('export', b.length, (performance.now() - t).toFixed(0), 'ms'); }
})();
