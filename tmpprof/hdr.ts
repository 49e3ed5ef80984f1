import { readFileSync } from 'node:fs';
import { loadSqlJs } from '../src/core/store/sqljs';
import { TelemetryIndex } from '../src/core/ingest/indexer';
import { sessionHeader } from '../src/core/query/replayView';
import { getSession } from '../src/core/query/summaryQueries';
(async () => {
  const sql = await loadSqlJs();
  const r = TelemetryIndex.open(sql, new Uint8Array(readFileSync('/work/tmp/s300.idx')));
  const ix = r.index;
  for (const key of ['agent:coder:main', 'agent:main:slack:direct:9394554']) {
    for (let i = 0; i < 3; i++) {
      ix.db.run('DELETE FROM strings WHERE 0'); // nothing
      let t = performance.now(); getSession(ix.db, key); const a = performance.now() - t;
      t = performance.now(); sessionHeader(ix.db, key); const b = performance.now() - t;
      console.log(key, 'getSession', a.toFixed(1), 'header', b.toFixed(1));
    }
  }
})();
