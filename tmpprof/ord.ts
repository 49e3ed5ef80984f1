import { readFileSync } from 'node:fs';
import { loadSqlJs } from '../src/core/store/sqljs';
import { TelemetryIndex } from '../src/core/ingest/indexer';
import { sessionHeader } from '../src/core/query/replayView';
(async () => {
  const sql = await loadSqlJs();
  const ix = TelemetryIndex.open(sql, new Uint8Array(readFileSync('/work/tmp/s300.idx'))).index;
  const { Session } = await import('node:inspector');
  const s = new Session(); s.connect();
  const post = (m: string, p?: object) => new Promise<any>((res, rej) => s.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
  await post('Profiler.enable'); await post('Profiler.setSamplingInterval', { interval: 100 }); await post('Profiler.start');
  for (const key of ['agent:coder:main', 'agent:main:slack:direct:9394554', 'agent:main:telegram:direct:2755392']) {
    const t = performance.now(); sessionHeader(ix.db, key); console.log(key, (performance.now() - t).toFixed(1));
  }
  const { profile } = await post('Profiler.stop');
  require('node:fs').writeFileSync('/work/tmp/ord.cpuprofile', JSON.stringify(profile));
})();
