import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventLine, rebuild, tempDir } from './helpers';
import { rootPage, rootUpdate, type TreeNode } from '../../src/core/query/tree';

const { dir: root, cleanup } = tempDir('atx-treeupdate-');
after(cleanup);
const T0 = 1_800_000_000_000;
const NOW = T0 + 86_400_000;
let seq = 0;
const id = () => `evt_u${(++seq).toString(16).padStart(11, '0')}`;

function runLines(key: string, run: string, at: number, extra: Record<string, unknown>[] = []): string {
  const base = { agentId: key.split(':')[1], sessionKey: key, sessionId: `sid-${key}`, runId: run };
  return [
    eventLine({ ...base, id: id(), ts: at, kind: 'run.start', data: { model: 'm' } }),
    ...extra.map((e) => eventLine({ ...base, id: id(), ts: at + 1, ...e })),
    eventLine({ ...base, id: id(), ts: at + 2, kind: 'run.end', data: { durationMs: 2, stopReason: 'end_turn' } }),
  ].join('');
}

const ids = (nodes: TreeNode[]) => nodes.map((n) => n.id);

test('tree update: changed sessions already shown are updated in place; joining, leaving or reordering asks for the root again', async () => {
  const dir = path.join(root, 'telemetry');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'events.jsonl');
  // s0 oldest … s4 newest, one run each.
  writeFileSync(file, [0, 1, 2, 3, 4].map((i) => runLines(`agent:main:s${i}`, `r${i}-0`, T0 + i * 1000)).join(''));
  const ix = await rebuild([dir]);
  try {
    // A page of 3: s4, s3, s2, then "Show more…".
    let shown = rootPage(ix.db, {}, { limit: 3 }, NOW);
    assert.deepEqual(ids(shown), ['session:agent:main:s4', 'session:agent:main:s3', 'session:agent:main:s2', `more:${T0 + 2002}|agent:main:s2`]);
    const update = (keys: string[]) => rootUpdate(ix.db, {}, { sessionKeys: keys, shownIds: ids(shown) }, NOW);

    // The newest session gets a run: still first, so only its node comes back, with the new count.
    appendFileSync(file, runLines('agent:main:s4', 'r4-1', T0 + 10_000));
    await ix.sync([dir], { sliceMs: 0 });
    let fresh = update(['agent:main:s4']);
    assert.ok(fresh);
    assert.deepEqual(ids(fresh), ['session:agent:main:s4']);
    assert.match(fresh[0]!.description, /2 runs/);
    // A spawned subagent session (shown under its parent's run) leaves the root's list as it is.
    appendFileSync(file, runLines('agent:main:s4', 'r4-2', T0 + 11_000, [{ kind: 'subagent.spawn', data: { childSessionKey: 'agent:coder:kid', agentId: 'coder', label: 'k' } }]));
    appendFileSync(file, runLines('agent:coder:kid', 'rk-0', T0 + 11_001));
    await ix.sync([dir], { sliceMs: 0 });
    fresh = update(['agent:main:s4', 'agent:coder:kid']);
    assert.deepEqual(fresh && ids(fresh), ['session:agent:main:s4']);
    assert.match(fresh![0]!.description, /3 runs/);
    // Keys the index does not know change nothing.
    assert.deepEqual(update(['agent:main:nope']), []);

    // s2 (shown, last on the page) becomes the newest: the order changed.
    appendFileSync(file, runLines('agent:main:s2', 'r2-1', T0 + 20_000));
    await ix.sync([dir], { sliceMs: 0 });
    assert.equal(update(['agent:main:s2']), null);
    shown = rootPage(ix.db, {}, { limit: 3 }, NOW);
    assert.deepEqual(ids(shown).slice(0, 3), ['session:agent:main:s2', 'session:agent:main:s4', 'session:agent:main:s3']);

    // s0 (past the page's end) gets a run: it joins the page.
    appendFileSync(file, runLines('agent:main:s0', 'r0-1', T0 + 30_000));
    await ix.sync([dir], { sliceMs: 0 });
    assert.equal(update(['agent:main:s0']), null);
    shown = rootPage(ix.db, {}, { limit: 3 }, NOW);

    // A new top-level session joins the root.
    appendFileSync(file, runLines('agent:main:new', 'rn-0', T0 + 40_000));
    await ix.sync([dir], { sliceMs: 0 });
    assert.equal(update(['agent:main:new']), null);
    shown = rootPage(ix.db, {}, { limit: 3 }, NOW);

    // With a filter, the changed session is matched against it too.
    const errors = { errorsOnly: true };
    appendFileSync(file, runLines('agent:main:s1', 'r1-1', T0 + 1, [{ kind: 'tool.end', data: { toolName: 'read', toolCallId: 'bad', isError: true, durationMs: 1 } }]));
    await ix.sync([dir], { sliceMs: 0 });
    const errShown = ids(rootPage(ix.db, errors, { limit: 3 }, NOW));
    assert.deepEqual(errShown, ['session:agent:main:s1']);
    assert.deepEqual(ids(rootUpdate(ix.db, errors, { sessionKeys: ['agent:main:s1'], shownIds: errShown }, NOW) ?? []), ['session:agent:main:s1']);
    // A shown session that is no longer in the index (its file deleted) leaves the root too.
    writeFileSync(file, '');
    await ix.sync([dir], { sliceMs: 0 });
    assert.equal(rootUpdate(ix.db, {}, { sessionKeys: ['agent:main:new'], shownIds: ids(shown) }, NOW), null);
  } finally {
    ix.close();
  }
});
