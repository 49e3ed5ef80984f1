/** One rule for "is this path inside a telemetry folder", links followed; used by the index file, the CLI export and the panel export. */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { isInside, telemetryDirHolding } from '../../src/core/source/confine';
import { assertOutsideTelemetry } from '../../src/core/ingest/indexFile';
import { eventLine, runCliCaptured, tempDir } from './helpers';

test('isInside: strictly below, by path segments', () => {
  assert.equal(isInside('/a/tele', '/a/tele/x.jsonl'), true);
  assert.equal(isInside('/a/tele', '/a/tele/..hidden'), true, 'a name starting with two dots is still inside');
  assert.equal(isInside('/a/tele', '/a/tele/sub/../x'), true);
  assert.equal(isInside('/a/tele', '/a/tele'), false, 'the folder itself');
  assert.equal(isInside('/a/tele', '/a/telemetry-other/x'), false, 'a sibling sharing the prefix');
  assert.equal(isInside('/a/tele', '/a/tele/../x'), false);
});

test('telemetryDirHolding: as given, through a linked parent folder, through a link to the folder, and a link that is the target', () => {
  const t = tempDir();
  try {
    const tele = path.join(t.dir, 'tele');
    mkdirSync(path.join(tele, 'blobs'), { recursive: true });
    writeFileSync(path.join(tele, 'events.jsonl'), eventLine());
    const out = path.join(t.dir, 'out');
    mkdirSync(out);
    symlinkSync(tele, path.join(t.dir, 'link-to-tele'));
    symlinkSync(path.join(tele, 'events.jsonl'), path.join(out, 'link-to-log.jsonl'));
    assert.equal(telemetryDirHolding(path.join(tele, 'blobs', 'x'), [tele]), tele);
    assert.equal(telemetryDirHolding(tele, [tele]), tele, 'the folder itself');
    assert.equal(telemetryDirHolding(path.join(t.dir, 'link-to-tele', 'x.jsonl'), [tele]), tele, 'through a linked folder');
    assert.equal(telemetryDirHolding(path.join(tele, 'x.jsonl'), [path.join(t.dir, 'link-to-tele')]), path.join(t.dir, 'link-to-tele'), 'the directory given as a link');
    assert.equal(telemetryDirHolding(path.join(out, 'link-to-log.jsonl'), [tele]), tele, 'the target is a link into the folder');
    assert.equal(telemetryDirHolding(path.join(out, 'x.jsonl'), [tele]), null);
    assert.equal(telemetryDirHolding(path.join(t.dir, 'nowhere', 'x.jsonl'), [tele]), null, 'a missing folder is compared as given');
    // The index file and the CLI's --index follow the same rule (they used to compare paths as given only).
    assert.throws(() => assertOutsideTelemetry(path.join(t.dir, 'link-to-tele', 'index.sqlite'), [tele]), /inside the telemetry directory/);
    assert.doesNotThrow(() => assertOutsideTelemetry(path.join(out, 'index.sqlite'), [tele]));
  } finally {
    t.cleanup();
  }
});

test('the CLI refuses an --index reached through a link into a telemetry folder, and writes nothing there', async () => {
  const t = tempDir();
  try {
    const tele = path.join(t.dir, 'tele');
    mkdirSync(tele);
    writeFileSync(path.join(tele, 'events.jsonl'), eventLine());
    symlinkSync(tele, path.join(t.dir, 'link'));
    const r = await runCliCaptured(Date.now(), '--dir', tele, '--index', path.join(t.dir, 'link', 'index.sqlite'), 'stats');
    assert.equal(r.code, 1);
    assert.match(r.err, /inside the telemetry directory/);
    const ok = await runCliCaptured(Date.now(), '--dir', tele, '--index', path.join(t.dir, 'index.sqlite'), 'stats');
    assert.equal(ok.code, 0, ok.err);
  } finally {
    t.cleanup();
  }
});
