/**
 * The event ids of a bulk first index (ingest/eventIdSet.ts): repeated ids are found with the file
 * that had them first (read back with the stored id), ids whose fingerprints collide are still told apart by their stored id, and
 * a bulk first index over files that repeat each other's events (and a forced collision of every
 * fingerprint) gives the same index as one built row by row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EventIdSet } from '../../src/core/ingest/eventIdSet';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { eventLine, sql, tempDir } from './helpers';

/** A set over an in-memory "table" of stored ids and their files, counting the read-backs. */
function setOver(make: (storedOf: (ev: number) => { eid: unknown; file: number } | null) => EventIdSet = (f) => new EventIdSet(f)) {
  const stored = new Map<number, { eid: unknown; file: number }>();
  let reads = 0;
  const set = make((ev) => {
    reads++;
    return stored.get(ev) ?? null;
  });
  let next = 1;
  const add = (eid: string | number, file: number): number | undefined => {
    const ev = next;
    const owner = set.ownerOrAdd(eid, ev);
    if (owner === undefined) stored.set(next++, { eid, file });
    return owner;
  };
  return { set, add, reads: () => reads };
}

/** Every id has the same fingerprint: only the stored ids tell them apart. */
class Colliding extends EventIdSet {
  protected override fingerprint(): void {
    this.h = 7;
  }
}

test('repeated ids are found with their first file; new ones are added; strings and numbers differ', () => {
  const s = setOver();
  const ids: (string | number)[] = [];
  for (let i = 0; i < 20_000; i++) ids.push(i % 3 === 0 ? 1_000_000_000_000 + i * 7919 : `tr:${(1793748639471 + i).toString(36)}${i % 2 ? '.1' : ''}:${i.toString(16).padStart(8, '0')}`);
  for (const id of ids) assert.equal(s.add(id, 1), undefined);
  assert.equal(s.set.size, ids.length);
  for (const id of ids) assert.equal(s.add(id, 2), 1);
  assert.equal(s.set.size, ids.length);
  // The number 123 and the text "123" are two ids.
  assert.equal(s.add(123, 3), undefined);
  assert.equal(s.add('123', 4), undefined);
  assert.equal(s.add('123', 5), 4);
  assert.equal(s.add(123, 5), 3);
  // Unseen ids that share nothing with the stored ones are not read back at all (their fingerprints differ).
  const before = s.reads();
  for (let i = 0; i < 1000; i++) assert.equal(s.add(`other:${i}`, 6), undefined);
  assert.ok(s.reads() - before < 5, `${s.reads() - before} read-backs for 1000 new ids`);
});

test('ids with one fingerprint are told apart by their stored ids', () => {
  const s = setOver((f) => new Colliding(f));
  for (let i = 0; i < 300; i++) assert.equal(s.add(`id-${i}`, i % 4), undefined);
  for (let i = 0; i < 300; i++) assert.equal(s.add(`id-${i}`, 9), i % 4);
  assert.equal(s.add(42, 8), undefined);
  assert.equal(s.add('42', 8), undefined);
  assert.equal(s.set.size, 302);
  assert.ok(s.reads() > 300, 'each lookup read stored ids back');
});

test('a bulk first index over files repeating each other equals one built row by row, also when every fingerprint collides', async (t) => {
  const dir = tempDir('atx-eidset-');
  t.after(dir.cleanup);
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    lines.push(eventLine({ id: `evt_${i.toString(16).padStart(12, '0')}`, kind: i % 5 === 0 ? 'run.start' : 'tool.start', sessionKey: `agent:main:s${i % 7}`, runId: `r${i % 11}`, data: { toolName: 'read', toolCallId: `c${i}` } }));
    lines.push(eventLine({ id: `free-form id ${i}`, kind: 'message.outbound', sessionKey: `agent:main:s${i % 7}` }));
  }
  writeFileSync(path.join(dir.dir, 'events.2026-11-01.jsonl'), lines.join(''));
  copyFileSync(path.join(dir.dir, 'events.2026-11-01.jsonl'), path.join(dir.dir, 'events.2026-11-02.jsonl'));
  writeFileSync(path.join(dir.dir, 'events.jsonl'), lines.slice(300).join('') + eventLine({ id: 'evt_ffffffffffff', kind: 'run.end', sessionKey: 'agent:main:s1', runId: 'r1' }));

  const SQL = await sql();
  const snapshot = (ix: TelemetryIndex) => JSON.stringify(['events', 'tool_events', 'run_events', 'sessions', 'files'].map((tb) =>
    ix.db.exec(`SELECT * FROM ${tb} ORDER BY 1`)[0]?.values.map((r) => (tb === 'files' ? r.filter((_, i) => i !== 6) : r))));
  const rowByRow = TelemetryIndex.create(SQL);
  const r0 = await rowByRow.sync([dir.dir], { sliceMs: 0 });
  const bulk = TelemetryIndex.create(SQL);
  const r1 = await bulk.sync([dir.dir], { sliceMs: 0, bulkBytes: 0 });
  assert.equal(r0.added, 801);
  assert.equal(r0.duplicates, 1300);
  assert.deepEqual({ ...r1, ms: 0 }, { ...r0, ms: 0 });
  assert.equal(snapshot(bulk), snapshot(rowByRow));

  // The same with every fingerprint colliding (the writer's set replaced before the sync).
  const colliding = TelemetryIndex.create(SQL);
  const writer = (colliding as unknown as { writer: { setBulk(on: boolean): void; bulkOwners: EventIdSet | null; storedEvent(ev: number): { eid: unknown; file: number } | null } }).writer;
  const setBulk = writer.setBulk.bind(writer);
  let readBacks = 0;
  writer.setBulk = (on) => {
    setBulk(on);
    if (on) {
      writer.bulkOwners = new Colliding((ev) => {
        readBacks++;
        return writer.storedEvent(ev);
      });
    }
  };
  const r2 = await colliding.sync([dir.dir], { sliceMs: 0, bulkBytes: 0 });
  assert.ok(readBacks > 801, `every lookup compared stored ids (${readBacks})`);
  assert.deepEqual({ ...r2, ms: 0 }, { ...r0, ms: 0 });
  assert.equal(snapshot(colliding), snapshot(rowByRow));
  for (const ix of [rowByRow, bulk, colliding]) ix.close();
});
