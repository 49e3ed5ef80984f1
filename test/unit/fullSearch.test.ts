/**
 * Full-text search (fullSearch.ts, searchIndex.ts) on real sql.js over real files: what is found
 * where, ranking worked out by hand, appended and removed events, query syntax, the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { fullSearch, parseSearchQuery, RANK_WINDOW, SearchQueryError } from '../../src/core/query/fullSearch';
import { SEARCH_TEXT_MAX } from '../../src/core/source/searchText';
import { searchState } from '../../src/core/store/searchStore';
import type { FullSearchHit } from '../../src/protocol/model';
import { eventLine, rebuild, runCliCaptured, sql, tempDir } from './helpers';
import { jsonOf, request, startServer } from './serveHelpers';

const T0 = 1_795_000_000_000;
let n = 0;
/** An event line with a fixed id and time (ids readable in assertions). */
function ev(id: string, kind: string, data: Record<string, unknown>, over: Record<string, unknown> = {}): string {
  n++;
  return eventLine({ id, ts: T0 + n * 1000, kind, data, ...over });
}

/** The highlighted words of a hit's snippet. */
function marks(h: FullSearchHit): string[] {
  return h.snippet.highlights.map((x) => h.snippet.text.slice(x.start, x.end));
}

async function indexed(dirs: string[]): Promise<TelemetryIndex> {
  const ix = await rebuild(dirs);
  assert.equal(ix.fillSearch({ maxMs: Infinity }).complete, true);
  return ix;
}

test('finds words in tool arguments, tool results, messages, prompts, replies and errors, with where they are', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(
      path.join(dir, 'events.jsonl'),
      ev('evt_args', 'tool.start', { toolName: 'exec', toolCallId: 'c1', params: { command: 'grep -rn zebrafish src/' } }) +
        ev('evt_result', 'tool.end', { toolName: 'read', toolCallId: 'c2', isError: false, durationMs: 3, params: { file_path: '/r/README.md' }, result: 'found a quokka in the README' }) +
        ev('evt_in', 'message.inbound', { from: 'u1', channel: 'slack', contentPreview: 'please look at the narwhal' }, { sessionKey: 'slack:conv-1', sessionId: 'unknown', runId: null }) +
        ev('evt_prompt', 'llm.input', { provider: 'p', model: 'm', prompt: 'explain the platypus' }) +
        ev('evt_reply', 'run.end', { stopReason: 'end_turn', lastAssistantMessage: 'the wombat is fine' }) +
        ev('evt_err', 'run.end', { stopReason: 'error' }, { runId: 'run-2', error: { message: 'rate limit for axolotl exceeded' } }) +
        ev('evt_toolerr', 'tool.end', { toolName: 'exec', toolCallId: 'c3', isError: true, error: 'ENOENT: no such file, open /x/capybara.txt' }) +
        ev('evt_llm', 'llm.call', { callIndex: 0, provider: 'p', model: 'zebrafish-model', delta: { input: 1, output: 1, total: 2 } }),
    );
    const ix = await indexed([dir]);
    const one = (q: string) => {
      const r = fullSearch(ix.db, q);
      assert.equal(r.hits.length, 1, `${q}: ${JSON.stringify(r.hits.map((h) => h.eventId))}`);
      return r.hits[0]!;
    };
    const args = one('zebrafish');
    assert.deepEqual(
      { id: args.eventId, kind: args.kind, tool: args.toolName, field: args.field, key: args.sessionKey, run: args.runId, agent: args.agentId },
      { id: 'evt_args', kind: 'tool.start', tool: 'exec', field: 'args', key: 'agent:main:main', run: 'run-1', agent: 'main' },
    );
    assert.equal(args.snippet.text, 'exec grep -rn zebrafish src/');
    assert.deepEqual(marks(args), ['zebrafish']);
    assert.equal(typeof args.ts, 'number');
    const result = one('quokka');
    assert.deepEqual([result.eventId, result.field, marks(result)], ['evt_result', 'result', ['quokka']]);
    const msg = one('narwhal');
    assert.deepEqual([msg.eventId, msg.kind, msg.field, msg.sessionKey, msg.runId], ['evt_in', 'message.inbound', 'message', null, null]);
    assert.deepEqual([one('platypus').eventId, one('platypus').field], ['evt_prompt', 'prompt']);
    assert.deepEqual([one('wombat').eventId, one('wombat').field], ['evt_reply', 'reply']);
    const err = one('axolotl');
    assert.deepEqual([err.eventId, err.field, err.runId, marks(err)], ['evt_err', 'error', 'run-2', ['axolotl']]);
    const toolErr = one('capybara');
    assert.deepEqual([toolErr.eventId, toolErr.field, marks(toolErr)], ['evt_toolerr', 'error', ['capybara']]);
    // An llm.call carries no searchable text (its model name is not searched here).
    assert.deepEqual(fullSearch(ix.db, 'model').hits, []);
    // Case and diacritics are folded both ways.
    assert.equal(one('ZEBRAFISH').eventId, 'evt_args');
    ix.close();
  } finally {
    cleanup();
  }
});

test('ranking is BM25 over matchinfo: order and scores as worked out by hand', async () => {
  const { dir, cleanup } = tempDir();
  try {
    // Four documents (a message's text only): lengths 4, 2, 6, 2 tokens → avgdl 3.5; "token" in 3 of N = 4.
    const msg = (id: string, text: string) => ev(id, 'message.outbound', { to: 'u', channel: 'c', contentPreview: text });
    writeFileSync(
      path.join(dir, 'events.jsonl'),
      msg('evt_m3', 'alpha beta gamma delta token epsilon') + msg('evt_m1', 'token token token alpha') + msg('evt_m4', 'alpha beta') + msg('evt_m2', 'token beta'),
    );
    const ix = await indexed([dir]);
    // FTS4's matchinfo gives the average length rounded to a whole number: 14 / 4 = 3.5 → 4.
    // idf = ln(1 + (4 − 3 + 0.5) / (3 + 0.5)) = ln(1.428571) = 0.356675; k1 = 1.2, b = 0.75:
    //   m1: tf 3, len 4: 0.356675 · 3·2.2 / (3 + 1.2·(0.25 + 0.75·4/4)) = 0.356675 · 6.6 / 4.2  = 0.5605
    //   m2: tf 1, len 2: 0.356675 · 2.2 / (1 + 1.2·(0.25 + 0.75·2/4))   = 0.356675 · 2.2 / 1.75 = 0.4484
    //   m3: tf 1, len 6: 0.356675 · 2.2 / (1 + 1.2·(0.25 + 0.75·6/4))   = 0.356675 · 2.2 / 2.65 = 0.2961
    const r = fullSearch(ix.db, 'token');
    assert.deepEqual(r.hits.map((h) => [h.eventId, h.score]), [['evt_m1', 0.5605], ['evt_m2', 0.4484], ['evt_m3', 0.2961]]);
    assert.deepEqual([r.ranked, r.capped], [3, false]);
    assert.deepEqual(marks(r.hits[0]!), ['token', 'token', 'token']);
    // Two words: each adds its own term. "alpha" is in m1, m3, m4 (df 3, same idf); "alpha token" needs both: m1 and m3.
    //   m1: 0.560489 + alpha (tf 1, len 4): 0.356675 · 2.2 / (1 + 1.2·1) = 0.356675 → 0.9172
    //   m3: 0.296107 + 0.296107 = 0.5922
    assert.deepEqual(fullSearch(ix.db, 'alpha token').hits.map((h) => [h.eventId, h.score]), [['evt_m1', 0.9172], ['evt_m3', 0.5922]]);
    ix.close();
  } finally {
    cleanup();
  }
});

test('phrases, prefixes, exclusions, OR, and words with punctuation', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const msg = (id: string, text: string) => ev(id, 'message.outbound', { to: 'u', channel: 'c', contentPreview: text });
    writeFileSync(
      path.join(dir, 'events.jsonl'),
      msg('evt_a', 'run npm test now') + msg('evt_b', 'test npm later') + msg('evt_c', 'authentication failed in src/auth.ts') + msg('evt_d', 'authorize the café'),
    );
    const ix = await indexed([dir]);
    const ids = (q: string) => fullSearch(ix.db, q).hits.map((h) => h.eventId).sort();
    assert.deepEqual(ids('npm test'), ['evt_a', 'evt_b']);
    assert.deepEqual(ids('"npm test"'), ['evt_a']);
    assert.deepEqual(ids('auth*'), ['evt_c', 'evt_d']);
    assert.deepEqual(ids('auth'), ['evt_c']);
    assert.deepEqual(ids('src/auth.ts'), ['evt_c']);
    assert.deepEqual(ids('npm -later'), ['evt_a']);
    assert.deepEqual(ids('later OR authorize'), ['evt_b', 'evt_d']);
    assert.deepEqual(ids('cafe'), ['evt_d']);
    const prefixHit = fullSearch(ix.db, 'authen*').hits[0]!;
    assert.deepEqual(marks(prefixHit), ['authentication']);
    const cafe = fullSearch(ix.db, 'CAFE').hits[0]!;
    assert.deepEqual(marks(cafe), ['café']);
    assert.deepEqual(marks(fullSearch(ix.db, '"npm test"').hits[0]!), ['npm test']);
    ix.close();
  } finally {
    cleanup();
  }
});

test('malformed queries are a SearchQueryError that says what to fix; odd input never crashes', async () => {
  const ix = TelemetryIndex.create(await sql());
  const bad: [string, RegExp][] = [
    ['"unclosed phrase', /unclosed quote/],
    ['', /empty/],
    ['   ', /empty/],
    ['-only -exclusions', /cannot only exclude/],
    ['OR foo', /OR needs a word on each side/],
    ['foo OR', /OR needs a word on each side/],
    ['""', /has no words/],
    ['/ : *', /nothing to search for/],
  ];
  for (const [q, msg] of bad) {
    assert.throws(() => fullSearch(ix.db, q), (e: unknown) => e instanceof SearchQueryError && msg.test((e as Error).message), q);
  }
  // FTS operators typed as words are searched as words, never as syntax.
  for (const q of ['NEAR/3', 'a AND', 'NOT', '(x', 'x:y', 'foo*bar', '^x', "'; DROP TABLE events; --", 'a\u0000b']) {
    const r = fullSearch(ix.db, q);
    assert.deepEqual(r.hits, [], q);
  }
  assert.equal(parseSearchQuery('x:y AND NOT').match, '"x y" "and" "not"');
  ix.close();
});

test('snippets are text with highlight offsets: markup stays text, long text is cut around the match', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const long = `${'lorem ipsum dolor '.repeat(20)}the needle is here ${'sit amet '.repeat(40)}`;
    const past = `${'x'.repeat(SEARCH_TEXT_MAX + 10)} beyondthecap`;
    writeFileSync(
      path.join(dir, 'events.jsonl'),
      ev('evt_html', 'message.inbound', { from: 'u', contentPreview: '<img src=x onerror=alert(1)> hostile <b>bold</b>' }, { sessionKey: 'c' }) +
        ev('evt_long', 'tool.end', { toolName: 'read', toolCallId: 'l1', result: long }) +
        ev('evt_past', 'tool.end', { toolName: 'read', toolCallId: 'l2', result: past }),
    );
    const ix = await indexed([dir]);
    const html = fullSearch(ix.db, 'hostile').hits[0]!;
    assert.equal(html.snippet.text, '<img src=x onerror=alert(1)> hostile <b>bold</b>');
    assert.deepEqual(marks(html), ['hostile']);
    const cut = fullSearch(ix.db, 'needle').hits[0]!;
    assert.ok(cut.snippet.text.startsWith('…') && cut.snippet.text.endsWith('…'), cut.snippet.text);
    assert.ok(cut.snippet.text.length <= 162);
    assert.deepEqual(marks(cut), ['needle']);
    // Text past the per-event cap is not indexed.
    assert.deepEqual(fullSearch(ix.db, 'beyondthecap').hits, []);
    ix.close();
  } finally {
    cleanup();
  }
});

test('appended events become searchable after the next sync and fill; the fill resumes in bounded steps', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'events.jsonl');
    let text = '';
    for (let i = 0; i < 50; i++) text += ev(`evt_bulk${i}`, 'message.outbound', { to: 'u', contentPreview: `bulk message number ${i}` });
    writeFileSync(file, text);
    const ix = await rebuild([dir]);
    assert.equal(fullSearch(ix.db, 'bulk').index.complete, false);
    assert.equal(fullSearch(ix.db, 'bulk').hits.length, 0);
    // Batches of 20: three steps, the cursor moving forward each time.
    const first = ix.fillSearch({ maxMs: 0, batch: 20 });
    assert.deepEqual([first.complete, first.documents], [false, 20]);
    assert.equal(ix.fillSearch({ maxMs: 0, batch: 20 }).documents, 40);
    assert.equal(ix.fillSearch({ maxMs: 0, batch: 20 }).complete, true);
    assert.equal(fullSearch(ix.db, 'bulk').ranked, 50);
    appendFileSync(file, ev('evt_new', 'tool.end', { toolName: 'exec', toolCallId: 'n1', params: { command: 'echo pelican' } }));
    await ix.sync([dir], { sliceMs: 0 });
    assert.equal(fullSearch(ix.db, 'pelican').hits.length, 0);
    ix.fillSearch();
    assert.deepEqual(fullSearch(ix.db, 'pelican').hits.map((h) => h.eventId), ['evt_new']);
    // The fill is saved with the index: a reopened index does not index anything twice.
    const reopened = TelemetryIndex.open(await sql(), ix.export()).index;
    assert.equal(fullSearch(reopened.db, 'bulk').ranked, 50);
    assert.equal(reopened.fillSearch().documents, 51);
    reopened.close();
    ix.close();
  } finally {
    cleanup();
  }
});

test('events that leave the index leave the search: deleted and rewritten files; ids are never reused for old documents', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rotated = path.join(dir, 'events.2026-11-01.jsonl');
    const active = path.join(dir, 'events.jsonl');
    writeFileSync(rotated, ev('evt_old1', 'message.outbound', { to: 'u', contentPreview: 'ancient heron' }) + ev('evt_old2', 'message.outbound', { to: 'u', contentPreview: 'ancient stork' }));
    writeFileSync(active, ev('evt_live', 'message.outbound', { to: 'u', contentPreview: 'current heron' }));
    const ix = await indexed([dir]);
    assert.deepEqual(fullSearch(ix.db, 'heron').hits.map((h) => h.eventId).sort(), ['evt_live', 'evt_old1']);
    // Retention (or the user) deletes the rotated file.
    rmSync(rotated);
    await ix.sync([dir], { sliceMs: 0 });
    assert.deepEqual(fullSearch(ix.db, 'heron').hits.map((h) => h.eventId), ['evt_live']);
    assert.deepEqual(fullSearch(ix.db, 'ancient').hits, []);
    assert.equal(searchState(ix.db).stale, 2);
    // The active file is replaced by a shorter one (truncated and rewritten): its old event leaves too,
    // and the new events (numbered after every search document) are not found by the old words.
    writeFileSync(active, ev('evt_fresh', 'message.outbound', { to: 'u', contentPreview: 'brand new ibis' }));
    const reopened = TelemetryIndex.open(await sql(), ix.export()).index;
    ix.close();
    await reopened.sync([dir], { sliceMs: 0 });
    reopened.fillSearch();
    assert.deepEqual(fullSearch(reopened.db, 'heron').hits, []);
    assert.deepEqual(fullSearch(reopened.db, 'ancient').hits, []);
    assert.deepEqual(fullSearch(reopened.db, 'ibis').hits.map((h) => h.eventId), ['evt_fresh']);
    assert.deepEqual(fullSearch(reopened.db, 'heron OR ibis OR stork').hits.map((h) => h.eventId), ['evt_fresh']);
    reopened.close();
  } finally {
    cleanup();
  }
});

test('when stale documents outnumber live ones the search index is rebuilt from the events left', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = path.join(dir, 'events.2026-11-01.jsonl');
    let text = '';
    for (let i = 0; i < 1200; i++) text += ev(`evt_gone${i}`, 'message.outbound', { to: 'u', contentPreview: `gone ${i}` });
    writeFileSync(a, text);
    writeFileSync(path.join(dir, 'events.jsonl'), ev('evt_kept', 'message.outbound', { to: 'u', contentPreview: 'kept gone' }));
    const ix = await indexed([dir]);
    assert.equal(fullSearch(ix.db, 'gone').ranked, 1201);
    rmSync(a);
    await ix.sync([dir], { sliceMs: 0 });
    assert.deepEqual(searchState(ix.db), { cursor: searchState(ix.db).cursor, docs: 1201, stale: 1200 });
    const p = ix.fillSearch();
    assert.deepEqual([p.complete, p.documents, p.stale], [true, 1, 0]);
    assert.deepEqual(fullSearch(ix.db, 'gone').hits.map((h) => h.eventId), ['evt_kept']);
    ix.close();
  } finally {
    cleanup();
  }
});

test('a query matching more than the ranking window ranks the newest matches and says so', async () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(dir, { recursive: true });
    let text = '';
    for (let i = 0; i < RANK_WINDOW + 100; i++) text += ev(`evt_w${i}`, 'message.outbound', { to: 'u', contentPreview: i === 0 ? 'wren wren wren wren' : `wren ${i}` });
    writeFileSync(path.join(dir, 'events.jsonl'), text);
    const ix = await indexed([dir]);
    const r = fullSearch(ix.db, 'wren', { limit: 5 });
    assert.deepEqual([r.ranked, r.capped, r.hits.length], [RANK_WINDOW, true, 5]);
    // The oldest event (the best match by BM25) is outside the newest RANK_WINDOW matches.
    assert.ok(!r.hits.some((h) => h.eventId === 'evt_w0'));
    assert.equal(fullSearch(ix.db, '"wren wren"').hits[0]!.eventId, 'evt_w0');
    ix.close();
  } finally {
    cleanup();
  }
});

test('CLI: search prints ranked hits with snippets, --json the FullSearchResult, bad syntax is a usage error', async () => {
  const fixture = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents');
  const dirs = ['main', 'coder'].map((a) => ['--dir', path.join(fixture, a, 'telemetry')]).flat();
  const NOW = Date.parse('2026-11-03T00:00:00Z');
  const json = await runCliCaptured(NOW, ...dirs, '--no-index', '--json', 'search', '"npm test"');
  assert.equal(json.code, 0, json.err);
  const r = JSON.parse(json.out) as { hits: FullSearchHit[]; ranked: number; index: { complete: boolean } };
  assert.equal(r.index.complete, true);
  assert.ok(r.hits.length >= 2);
  assert.ok(r.hits.every((h) => h.snippet.highlights.some((x) => h.snippet.text.slice(x.start, x.end).toLowerCase() === 'npm test')));
  const scores = r.hits.map((h) => h.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
  const text = await runCliCaptured(NOW, ...dirs, '--no-index', 'search', '"npm test"', '--limit', '1');
  assert.equal(text.code, 0, text.err);
  const lines = text.out.trimEnd().split('\n');
  assert.match(lines[0]!, new RegExp(`\\s${r.hits[0]!.eventId}\\s`));
  assert.match(lines[1]!, /«npm test»/);
  assert.match(lines[lines.length - 1]!, new RegExp(`^1 of ${r.ranked} matches$`));
  const bad = await runCliCaptured(NOW, ...dirs, '--no-index', 'search', '"npm test');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unclosed quote/);
});

test('serve: GET /telemetry/search answers what `search --json` prints; bad syntax is a 400 saying why', async () => {
  const fixture = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents');
  const dirs = ['main', 'coder'].map((a) => path.join(fixture, a, 'telemetry'));
  const tmp = tempDir();
  const srv = await startServer({ dirs, receiveDir: path.join(tmp.dir, 'received') });
  try {
    const got = await request(srv.port, { path: `/telemetry/search?q=${encodeURIComponent('"npm test"')}&limit=3` });
    assert.equal(got.status, 200, got.body.toString());
    const rd = path.join(tmp.dir, 'received');
    const cli = await runCliCaptured(0, ...[...dirs, path.join(rd, 'otlp'), path.join(rd, 'flowcore')].flatMap((d) => ['--dir', d]), '--no-index', '--json', 'search', '"npm test"', '--limit', '3');
    assert.equal(cli.code, 0, cli.err);
    assert.deepEqual(jsonOf(got), JSON.parse(cli.out));
    assert.equal((jsonOf(got) as { hits: unknown[] }).hits.length, 3);
    const bad = await request(srv.port, { path: `/telemetry/search?q=${encodeURIComponent('"open')}` });
    assert.equal(bad.status, 400);
    assert.match(bad.body.toString(), /unclosed quote/);
  } finally {
    await srv.stop();
    tmp.cleanup();
  }
});
