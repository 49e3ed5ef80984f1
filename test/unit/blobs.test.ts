import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { blobFileNamesOf, blobRefsOf, listBlobFiles, readBlob, resolveBlobPath, type BlobRef } from '../../src/core/source/blobs';

const SECRET = 'TOP-SECRET-do-not-leak-4242';
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const ref = (over: Partial<BlobRef>): BlobRef => ({ id: 'blob_x', role: 'result', size: null, hash: null, path: null, shape: 'blobRefs', ...over });

let root: string; // realpath of a fresh temp folder
let dir: string; // telemetry dir: root/tel
let outside: string; // root/outside, holds the secret files

before(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'ate-blobs-')));
  dir = path.join(root, 'tel');
  outside = path.join(root, 'outside');
  mkdirSync(path.join(dir, 'blobs'), { recursive: true });
  mkdirSync(path.join(dir, 'archive'));
  mkdirSync(outside);
  for (const f of ['secret.blob', 'secret.txt', 'passwd']) writeFileSync(path.join(outside, f), SECRET);
  writeFileSync(path.join(dir, 'blobs', 'blob_aa.blob'), 'hello blob');
  writeFileSync(path.join(dir, 'blobs', 'evt_1-output.txt'), 'inline output');
  writeFileSync(path.join(dir, 'archive', 'blob_arch.blob'), 'archived');
  writeFileSync(path.join(dir, 'blobs', 'big.blob'), 'x'.repeat(3 * 1024 * 1024 + 7));
  symlinkSync(path.join(outside, 'secret.blob'), path.join(dir, 'blobs', 'blob_evil.blob'));
  symlinkSync(path.join(dir, 'blobs', 'blob_aa.blob'), path.join(dir, 'blobs', 'blob_alias.blob'));
  mkdirSync(path.join(dir, 'blobs', 'sub.blob'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Read through every entry point and assert the secret never comes back. */
function assertNoLeak(r: BlobRef, expectError: RegExp): void {
  const res = resolveBlobPath(dir, r);
  assert.ok('error' in res, `resolved to ${JSON.stringify(res)}`);
  assert.match(res.error, expectError);
  const info = readBlob(dir, r, { content: true });
  assert.equal(info.content, undefined);
  assert.match(info.error ?? '', expectError);
  assert.equal(info.hashOk, null);
  assert.ok(!JSON.stringify(info).includes(SECRET));
  const hashed = readBlob(dir, { ...r, hash: sha(SECRET) });
  assert.equal(hashed.hashOk, null, 'hash check must not read an outside file either');
}

describe('blobRefsOf', () => {
  test('finds both shapes in one event', () => {
    const ev = {
      id: 'evt_1',
      kind: 'tool.end',
      blobRefs: [{ id: 'blob_aa', path: '/home/other/.openclaw/telemetry/blobs/blob_aa.blob', size: 10, hash: 'ab', role: 'result' }],
      data: {
        toolName: 'read',
        params: { _blob: true, path: '/x/blobs/evt_1-input.txt', size: 5000, encoding: 'utf-8' },
        result: { _blob: true, path: 'C:\\Users\\me\\blobs\\evt_1-output.txt', size: 6000, encoding: 'utf-8' },
        extra: { _blob: true, path: '/x/blobs/evt_1-input.txt', size: 1 },
        other: { _blob: true, path: '/x/blobs/evt_1-misc.txt' },
      },
    };
    assert.deepEqual(blobRefsOf(ev), [
      { id: 'blob_aa', role: 'result', size: 10, hash: 'ab', path: '/home/other/.openclaw/telemetry/blobs/blob_aa.blob', shape: 'blobRefs' },
      { id: 'evt_1-input.txt', role: 'input', size: 5000, hash: null, path: '/x/blobs/evt_1-input.txt', shape: 'inline', at: 'data.params' },
      { id: 'evt_1-output.txt', role: 'result', size: 6000, hash: null, path: 'C:\\Users\\me\\blobs\\evt_1-output.txt', shape: 'inline', at: 'data.result' },
      { id: 'evt_1-input.txt', role: 'input', size: 1, hash: null, path: '/x/blobs/evt_1-input.txt', shape: 'inline', at: 'data.extra' },
      { id: 'evt_1-misc.txt', role: 'other', size: null, hash: null, path: '/x/blobs/evt_1-misc.txt', shape: 'inline', at: 'data.other' },
    ]);
    assert.deepEqual(blobFileNamesOf(ev), ['blob_aa.blob', 'evt_1-input.txt', 'evt_1-output.txt', 'evt_1-misc.txt']);
  });

  test('skips garbage without throwing', () => {
    const hostile = { get blobRefs(): unknown { throw new Error('boom'); } };
    const junk: unknown[] = [
      null, undefined, 0, 'str', [], [{ blobRefs: [{ id: 'a' }] }], hostile, { blobRefs: 'x' }, { blobRefs: { id: 'a' } },
      { data: null }, { data: [1] }, { data: 'x' }, { data: { params: { _blob: 'true', path: '/p' }, result: { _blob: true } } },
      { data: { result: { _blob: true, path: 5 } }, blobRefs: [null, 1, 'x', [], {}, { id: 5 }, { id: '' }] },
    ];
    for (const [i, j] of junk.entries()) {
      assert.deepEqual(blobRefsOf(j), [], `junk #${i}`);
      assert.deepEqual(blobFileNamesOf(j), []);
    }
    const odd = blobRefsOf({ blobRefs: [{ id: 'b', size: 'big', hash: 3, path: 7, role: null }, { id: 'c', size: -1 }] });
    assert.deepEqual(odd, [
      { id: 'b', role: 'unknown', size: null, hash: null, path: null, shape: 'blobRefs' },
      { id: 'c', role: 'unknown', size: null, hash: null, path: null, shape: 'blobRefs' },
    ]);
    assert.deepEqual(blobFileNamesOf({ blobRefs: [{ id: '../../etc/passwd' }, { id: 'ok' }] }), ['ok.blob']);
  });
});

describe('resolveBlobPath / readBlob', () => {
  test('absolute path from another machine is resolved by id under the own blobs/', () => {
    const r = ref({ id: 'blob_aa', path: '/home/someone-else/.openclaw/telemetry/blobs/blob_aa.blob' });
    assert.deepEqual(resolveBlobPath(dir, r), { path: path.join(dir, 'blobs', 'blob_aa.blob') });
    const info = readBlob(dir, r, { content: true });
    assert.equal(info.content, 'hello blob');
    assert.equal(info.size, 10);
    assert.equal(info.totalBytes, 10);
    assert.equal(info.truncated, false);
    assert.equal(info.error, undefined);
  });

  test('inline ref resolved by basename under blobs/', () => {
    const [r] = blobRefsOf({ data: { result: { _blob: true, path: 'D:\\old\\blobs\\evt_1-output.txt', size: 13 } } });
    assert.ok(r);
    assert.equal(readBlob(dir, r, { content: true }).content, 'inline output');
  });

  test('a recorded path that really exists inside the dir', () => {
    const r = ref({ id: 'blob_arch', path: path.join(dir, 'archive', 'blob_arch.blob') });
    assert.deepEqual(resolveBlobPath(dir, r), { path: path.join(dir, 'archive', 'blob_arch.blob') });
    assert.equal(readBlob(dir, r, { content: true }).content, 'archived');
    assert.equal(readBlob(dir, { ...r, path: 'archive/blob_arch.blob' }, { content: true }).content, 'archived');
  });

  test('recorded paths outside the dir are never read', () => {
    const outsideErr = /outside the telemetry directory/;
    assertNoLeak(ref({ id: 'blob_none', path: path.join(outside, 'secret.blob') }), outsideErr);
    assertNoLeak(ref({ id: 'blob_none', path: '../outside/secret.blob' }), outsideErr);
    assertNoLeak(ref({ id: 'blob_none', path: `${dir}/../outside/secret.blob` }), outsideErr);
    assertNoLeak(ref({ shape: 'inline', id: 'secret.txt', path: path.join(outside, 'secret.txt') }), outsideErr);
    assertNoLeak(ref({ shape: 'inline', id: 'passwd', path: '../../../../../../../../..' + path.join(outside, 'passwd') }), outsideErr);
  });

  test('ids with separators, .., NUL or absolute forms are rejected', () => {
    const bad = /invalid blob id/;
    // join(dir, 'blobs', '../../outside/secret.blob') really is the secret file.
    assertNoLeak(ref({ id: '../../outside/secret' }), bad);
    assertNoLeak(ref({ id: 'x/../../../outside/secret' }), bad);
    assertNoLeak(ref({ id: '..\\..\\outside\\secret' }), bad);
    assertNoLeak(ref({ id: path.join(outside, 'secret') }), bad);
    assertNoLeak(ref({ id: 'C:secret' }), bad);
    assertNoLeak(ref({ id: 'blob_aa\0' }), bad);
    assertNoLeak(ref({ id: '..' }), bad);
    assertNoLeak(ref({ shape: 'inline', id: '..', path: '..' }), bad);
  });

  test('symlink in blobs/ pointing outside is not followed; pointing inside is', () => {
    assertNoLeak(ref({ id: 'blob_evil' }), /outside the telemetry directory/);
    const ok = readBlob(dir, ref({ id: 'blob_alias', hash: sha('hello blob') }), { content: true });
    assert.equal(ok.content, 'hello blob');
    assert.equal(ok.hashOk, true);
  });

  test('blobs/ itself a symlink to outside is refused', () => {
    const d2 = path.join(root, 'tel2');
    mkdirSync(d2);
    symlinkSync(outside, path.join(d2, 'blobs'));
    const info = readBlob(d2, ref({ id: 'secret', hash: sha(SECRET) }), { content: true });
    assert.equal(info.content, undefined);
    assert.equal(info.hashOk, null);
    assert.match(info.error ?? '', /outside the telemetry directory/);
    assert.deepEqual(listBlobFiles(d2), []);
  });

  test('hash ok / mismatch / absent', () => {
    assert.equal(readBlob(dir, ref({ id: 'blob_aa', hash: sha('hello blob') })).hashOk, true);
    assert.equal(readBlob(dir, ref({ id: 'blob_aa', hash: sha('hello blob').toUpperCase() })).hashOk, true);
    assert.equal(readBlob(dir, ref({ id: 'blob_aa', hash: sha('other') })).hashOk, false);
    assert.equal(readBlob(dir, ref({ id: 'blob_aa', hash: 'not-hex' })).hashOk, false);
    const none = readBlob(dir, ref({ id: 'blob_aa' }));
    assert.equal(none.hashOk, null);
    assert.equal(none.content, undefined);
    assert.equal(none.size, 10);
    const big = 'x'.repeat(3 * 1024 * 1024 + 7);
    assert.equal(readBlob(dir, ref({ id: 'big', hash: sha(big) })).hashOk, true);
  });

  test('missing file, directory in place of a file, missing telemetry dir', () => {
    const missing = readBlob(dir, ref({ id: 'blob_x', size: 99, hash: sha('a'), path: '/elsewhere/blobs/blob_x.blob' }), { content: true });
    assert.deepEqual(missing, { id: 'blob_x', role: 'result', size: 99, hashOk: null, error: 'blob file missing: blobs/blob_x.blob' });
    assert.match(readBlob(dir, ref({ id: 'sub' })).error ?? '', /not a regular file/);
    assert.match(readBlob(path.join(root, 'nope'), ref({ id: 'blob_aa' })).error ?? '', /telemetry directory not found/);
  });

  test('paging with offset / maxBytes', () => {
    const r = ref({ id: 'blob_aa' });
    const p1 = readBlob(dir, r, { content: true, maxBytes: 4 });
    assert.deepEqual([p1.content, p1.truncated, p1.totalBytes], ['hell', true, 10]);
    const p2 = readBlob(dir, r, { content: true, offset: 4, maxBytes: 4 });
    assert.deepEqual([p2.content, p2.truncated], ['o bl', true]);
    const p3 = readBlob(dir, r, { content: true, offset: 8, maxBytes: 4 });
    assert.deepEqual([p3.content, p3.truncated], ['ob', false]);
    const tail = readBlob(dir, r, { content: true, offset: 6 });
    assert.deepEqual([tail.content, tail.truncated], ['blob', false]);
    const past = readBlob(dir, r, { content: true, offset: 50, maxBytes: 4 });
    assert.deepEqual([past.content, past.truncated], ['', false]);
    const zero = readBlob(dir, r, { content: true, offset: -3, maxBytes: 0 });
    assert.deepEqual([zero.content, zero.truncated], ['', true]);
    const big = readBlob(dir, ref({ id: 'big' }), { content: true, offset: 3 * 1024 * 1024, maxBytes: 100 });
    assert.deepEqual([big.content, big.truncated, big.totalBytes], ['x'.repeat(7), false, 3 * 1024 * 1024 + 7]);
  });

  test('never throws on odd refs', () => {
    const odd = { id: 5, role: null, size: 'x', hash: null, path: 7, shape: 'weird' } as unknown as BlobRef;
    assert.ok(readBlob(dir, odd).error);
    assert.ok(readBlob(dir, null as unknown as BlobRef).error);
  });
});

test('listBlobFiles lists regular files only', () => {
  const names = listBlobFiles(dir).map((f) => f.name);
  assert.deepEqual(names, ['big.blob', 'blob_aa.blob', 'evt_1-output.txt']);
  const aa = listBlobFiles(dir).find((f) => f.name === 'blob_aa.blob');
  assert.equal(aa?.size, 10);
  assert.ok((aa?.mtimeMs ?? 0) > 0);
  assert.deepEqual(listBlobFiles(path.join(root, 'nope')), []);
});

test('a blob rewritten after its hash was checked is checked again', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'atx-blob-digest-'));
  try {
    mkdirSync(path.join(dir, 'blobs'));
    const file = path.join(dir, 'blobs', 'blob_d1.blob');
    const good = Buffer.from('the original bytes');
    writeFileSync(file, good);
    const ref: BlobRef = { id: 'blob_d1', role: 'result', size: good.length, hash: createHash('sha256').update(good).digest('hex'), path: null, shape: 'blobRefs' };
    assert.equal(readBlob(dir, ref).hashOk, true);
    assert.equal(readBlob(dir, ref).hashOk, true);
    writeFileSync(file, Buffer.from('the tampered bytes'));
    utimesSync(file, new Date(2030, 0, 1), new Date(2030, 0, 1));
    assert.equal(readBlob(dir, ref).hashOk, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
