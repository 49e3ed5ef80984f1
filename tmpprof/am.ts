import { readFileSync } from 'node:fs';
import { loadSqlJs } from '../src/core/store/sqljs';
import { TelemetryIndex } from '../src/core/ingest/indexer';
import { allValues, one } from '../src/core/store/sql';
(async () => {
  const sql = await loadSqlJs();
  const db = TelemetryIndex.open(sql, new Uint8Array(readFileSync('/work/tmp/s300.idx'))).index.db;
  console.log('messages', one(db, 'SELECT COUNT(*) AS n FROM messages'), 'run_events', one(db, 'SELECT COUNT(*) AS n FROM run_events'));
  for (const k of ['agent:coder:main', 'agent:main:slack:direct:9394554', 'agent:main:telegram:direct:2755392']) {
    const key = (one(db, 'SELECT id FROM strings WHERE s = ?', [k]) as any).id;
    let t = performance.now();
    const spans = allValues(db, `SELECT f.dir, MIN(re.ts), MAX(re.ts) FROM run_events re JOIN events e ON e.id = re.ev JOIN files f ON f.id = e.file WHERE re.skey = ? GROUP BY f.dir`, [key]);
    const a = performance.now() - t;
    const lo = Math.min(...spans.map((s) => Number(s[1]))) - 120000, hi = Math.max(...spans.map((s) => Number(s[2]))) + 120000;
    t = performance.now();
    const runs = allValues(db, 'SELECT re.run, re.skey, re.ts, e.file FROM run_events re JOIN events e ON e.id = re.ev WHERE re.ts BETWEEN ? AND ?', [lo - 120000, hi + 120000]);
    const b = performance.now() - t;
    t = performance.now();
    const msgs = allValues(db, 'SELECT e.id, e.ts, e.off, e.file, m.inbound FROM messages m JOIN events e ON e.id = m.ev WHERE m.ts BETWEEN ? AND ?', [lo, hi]);
    const c = performance.now() - t;
    console.log(k, spans.length, 'dirs; spans', a.toFixed(1), 'ms; runs', runs.length, b.toFixed(1), 'ms; msgs', msgs.length, c.toFixed(1), 'ms; span days', ((hi - lo) / 864e5).toFixed(1));
  }
})();
