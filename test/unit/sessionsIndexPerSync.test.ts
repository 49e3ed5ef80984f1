/**
 * A sync reads each folder's sessions.json once (the event writer's TranscriptLookups.sessionsIndex)
 * and the next sync reads it again: a transcript indexed before sessions.json named its session
 * takes the key sessions.json gives it at the next sync, and every transcript of one sync sees the
 * same sessions.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { listSessions } from '../../src/core/query/summaryQueries';
import { sql, tempDir } from './helpers';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function transcript(id: string, at: number, turns: number): string {
  const lines = [{ type: 'session', version: 3, id, timestamp: iso(at), cwd: '/w' }];
  let parent: string | null = null;
  for (let i = 0; i < turns; i++) {
    const u = `${id.slice(0, 4)}u${i}`;
    const a = `${id.slice(0, 4)}a${i}`;
    lines.push({ type: 'message', id: u, parentId: parent, timestamp: iso(at + i * 2000 + 1000), message: { role: 'user', content: [{ type: 'text', text: `q${i}` }] } } as never);
    lines.push({ type: 'message', id: a, parentId: u, timestamp: iso(at + i * 2000 + 1500), message: { role: 'assistant', content: [{ type: 'text', text: `a${i}` }], provider: 'openai', model: 'gpt-5', usage: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, totalTokens: 15, cost: { total: 0.001 } }, stopReason: 'stop' } } as never);
    parent = a;
  }
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

test('sessions.json is read again at each sync: a transcript indexed without it takes its key later; one sync sees one sessions.json', async (t) => {
  const root = tempDir('atx-sessidx-');
  t.after(root.cleanup);
  const dir = path.join(root.dir, 'agents', 'main', 'sessions');
  mkdirSync(dir, { recursive: true });
  const ids = ['aaaa1111-0000-4000-8000-000000000001', 'bbbb2222-0000-4000-8000-000000000002', 'cccc3333-0000-4000-8000-000000000003'];
  for (const [i, id] of ids.entries()) writeFileSync(path.join(dir, `${id}.jsonl`), transcript(id, T0 + i * 60_000, 2));
  writeFileSync(path.join(dir, 'sessions.json'), JSON.stringify({
    'agent:main:one': { sessionId: ids[0], updatedAt: T0 },
    'agent:main:two': { sessionId: ids[1], updatedAt: T0 },
  }));
  const ix = TelemetryIndex.create(await sql());
  await ix.sync([dir], { sliceMs: 0 });
  const keys = () => listSessions(ix.db, { limit: 100 }).map((s) => s.sessionKey).sort();
  assert.deepEqual(keys(), ['agent:main:one', 'agent:main:two', ids[2]!].sort(), 'both named sessions, the third by its id');

  // sessions.json now names the third; its transcript grows. The next sync re-keys it.
  writeFileSync(path.join(dir, 'sessions.json'), JSON.stringify({
    'agent:main:one': { sessionId: ids[0], updatedAt: T0 },
    'agent:main:two': { sessionId: ids[1], updatedAt: T0 },
    'agent:main:three': { sessionId: ids[2], updatedAt: T0 + 1 },
  }));
  appendFileSync(path.join(dir, `${ids[2]}.jsonl`), JSON.stringify({ type: 'message', id: 'ccccu9', parentId: 'cccca1', timestamp: iso(T0 + 130_000), message: { role: 'user', content: [{ type: 'text', text: 'more' }] } }) + '\n');
  await ix.sync([dir], { sliceMs: 0 });
  assert.deepEqual(keys(), ['agent:main:one', 'agent:main:three', 'agent:main:two']);
  const three = listSessions(ix.db, { limit: 100 }).find((s) => s.sessionKey === 'agent:main:three')!;
  assert.equal(three.runCount, 3, 'its runs read again under the new key, none lost or counted twice');
  assert.equal(three.tokens.total, 30);
  ix.close();
});
