import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ChainTracker, chainHash, GENESIS, verifyDir } from '../../src/core/ops/knosticChain';
import { tempDir } from './helpers';

/** `n` chained Knostic events after `prev`, as lines. */
function chained(n: number, prev: string | null, from = 0): { lines: string[]; last: string } {
  const lines: string[] = [];
  let p = prev ?? GENESIS;
  for (let i = 0; i < n; i++) {
    const ev: Record<string, unknown> = { ts: `2026-11-20T10:00:${String((from + i) % 60).padStart(2, '0')}Z`, event: 'tool_call', seq: from + i, prevHash: p };
    ev.hash = chainHash(p, ev);
    p = ev.hash as string;
    lines.push(JSON.stringify(ev));
  }
  return { lines, last: p };
}

test('chain tracker: an append verifies only the new lines; a rewritten or replaced file is checked again from the start', () => {
  const t = tempDir();
  const file = path.join(t.dir, 'telemetry.jsonl');
  try {
    const first = chained(50, null);
    writeFileSync(file, `${first.lines.join('\n')}\n`);
    const tracker = new ChainTracker();
    let r = tracker.update([t.dir]);
    assert.deepEqual(r.statuses, [{ dir: t.dir, verdict: { verdict: 'verified', segments: 1, events: 50 } }]);
    assert.equal(tracker.linesChecked, 50);
    assert.deepEqual([...r.changed], [t.dir]);

    // Append 5 lines (and half of a sixth, still being written): only those 5 are checked.
    const more = chained(6, first.last, 50);
    appendFileSync(file, `${more.lines.slice(0, 5).join('\n')}\n${more.lines[5]!.slice(0, 20)}`);
    r = tracker.update([t.dir]);
    assert.equal(tracker.linesChecked, 5);
    assert.deepEqual(r.statuses[0]!.verdict, { verdict: 'verified', segments: 1, events: 55 });
    assert.deepEqual(r.statuses[0]!.verdict, verifyDir(t.dir));
    // The rest of the sixth line arrives.
    appendFileSync(file, `${more.lines[5]!.slice(20)}\n`);
    r = tracker.update([t.dir]);
    assert.equal(tracker.linesChecked, 1);
    assert.equal(r.statuses[0]!.verdict.events, 56);

    // Nothing new: nothing checked, nothing changed.
    r = tracker.update([t.dir]);
    assert.equal(tracker.linesChecked, 0);
    assert.equal(r.changed.size, 0);

    // Rewritten in place (same inode) with an old line tampered and a line appended: caught.
    const all = [...first.lines, ...more.lines];
    const tampered = [...all];
    tampered[9] = tampered[9]!.replace('"seq":9', '"seq":99');
    const extra = chained(1, more.last, 56);
    writeFileSync(file, `${[...tampered, ...extra.lines].join('\n')}\n`);
    r = tracker.update([t.dir]);
    assert.deepEqual(r.statuses[0]!.verdict, { verdict: 'broken', at: { file, line: 10, reason: 'hash does not match the event' }, segments: 1, events: 9 });
    assert.deepEqual(r.statuses[0]!.verdict, verifyDir(t.dir));
    assert.deepEqual([...r.changed], [t.dir]);

    // Replaced by the good content (a new file renamed over it): verified again, from the start.
    writeFileSync(`${file}.new`, `${[...all, ...extra.lines].join('\n')}\n`);
    renameSync(`${file}.new`, file);
    r = tracker.update([t.dir]);
    assert.deepEqual(r.statuses[0]!.verdict, { verdict: 'verified', segments: 1, events: 57 });
    assert.equal(tracker.linesChecked, 57);

    // Appends to a broken chain stay broken.
    writeFileSync(file, `${[...tampered, ...extra.lines].join('\n')}\n`);
    tracker.update([t.dir]);
    appendFileSync(file, `${chained(1, extra.last, 57).lines[0]}\n`);
    r = tracker.update([t.dir]);
    assert.equal(r.statuses[0]!.verdict.verdict, 'broken');
    assert.deepEqual(r.statuses[0]!.verdict, verifyDir(t.dir));
  } finally {
    t.cleanup();
  }
});
