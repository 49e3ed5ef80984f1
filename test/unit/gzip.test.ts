/** Tolerant gunzip: one implementation, used by the indexer, the payload reader, the export and the chain check. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { gzipSync } from 'node:zlib';
import { gunzipTolerant } from '../../src/core/source/gzip';
import { exportLines } from '../../src/core/ops/exportJsonl';
import { replay } from '../../src/core/query/detailQueries';
import { stats } from '../../src/core/query/summaryQueries';
import { eventLine, rebuild, tempDir } from './helpers';

/** 200 events with incompressible payloads, so a cut archive loses the later ones. */
function lines(): string[] {
  return Array.from({ length: 200 }, (_, i) =>
    eventLine({ id: `evt_gz${String(i).padStart(9, '0')}`, kind: 'message.outbound', data: { to: 'u', contentPreview: randomBytes(300).toString('base64'), i } }),
  );
}

test('gunzipTolerant: whole archive, cut-off archive (prefix + damage), not gzip at all (nothing + damage)', () => {
  const text = lines().join('');
  const gz = gzipSync(text);
  assert.deepEqual(gunzipTolerant(gz), { data: Buffer.from(text), damage: null });
  const cut = gunzipTolerant(gz.subarray(0, Math.floor(gz.length / 2)));
  assert.ok(cut.damage, 'the damage is reported');
  assert.ok(cut.data.length > 1000 && cut.data.length < text.length, `kept ${cut.data.length} of ${text.length} bytes`);
  assert.equal(cut.data.toString(), text.slice(0, cut.data.length), 'what is kept is the start of the original');
  const garbage = gunzipTolerant(Buffer.from('not a gzip archive'));
  assert.equal(garbage.data.length, 0);
  assert.ok(garbage.damage);
});

test('a cut-off .gz: the indexer keeps the complete lines before the damage, reports it, and replay and export read them back', async () => {
  const t = tempDir();
  try {
    const all = lines();
    const gz = gzipSync(all.join(''));
    writeFileSync(path.join(t.dir, 'events.2026-11-01.jsonl.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    const ix = await rebuild([t.dir]);
    const kept = gunzipTolerant(gz.subarray(0, Math.floor(gz.length / 2))).data.toString();
    const complete = all.filter((_, i) => all.slice(0, i + 1).join('').length <= kept.length);
    assert.ok(complete.length > 10 && complete.length < all.length);
    assert.equal(stats(ix.db).events, complete.length);
    assert.ok(stats(ix.db).problems.some((p) => /damaged gzip archive/.test(p.reason)), JSON.stringify(stats(ix.db).problems));
    // The payload reader decompresses the same archive again.
    const events = replay(ix.db, 'agent:main:main');
    assert.deepEqual(events.map((e) => (e.data as { i: number }).i), complete.map((_, i) => i));
    // So does the export's streaming gunzip: the original lines, byte for byte.
    const chunks: Buffer[] = [];
    await exportLines(ix.db, {}, (c) => chunks.push(Buffer.from(c)));
    assert.equal(Buffer.concat(chunks).toString(), complete.join(''));
    ix.close();
  } finally {
    t.cleanup();
  }
});
