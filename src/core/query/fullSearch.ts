/**
 * Full-text search over what events said and returned (tool arguments and results, messages,
 * prompts, replies, errors: searchText.ts), in the FTS4 index filled by searchIndex.ts.
 *
 * Query syntax (kept small, and never passed to FTS as typed): words must all occur (in any order,
 * any case, diacritics ignored); `"two words"` is a phrase; `word*` a prefix; `-word` excludes;
 * `a OR b` either. A word holding punctuation (`src/auth.ts`, `ENOENT:`) is searched as the phrase
 * of its words. Bad syntax (an unclosed quote, nothing but exclusions) is a SearchQueryError with
 * a message saying what to fix.
 *
 * Ranking: BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N − df + 0.5) / (df + 0.5)), the average length
 * as matchinfo gives it: rounded to a whole number) computed from matchinfo('pcnalx') over the newest
 * RANK_WINDOW matching events; ties go to the newer event (the higher rowid). A query matching more events than that
 * ranks only the newest ones (the answer says so: `capped`), which keeps a query for a word that
 * is everywhere as fast as one for a rare word.
 */
import type { Database, SqlValue } from 'sql.js';
import type { FullSearchHit, FullSearchResult, SearchField, SearchSnippet } from '../../protocol/model';
import { PayloadReader } from '../source/payloads';
import { searchPartsOf } from '../source/searchText';
import { decodeEventId } from '../store/eventIds';
import { all } from '../store/sql';
import { searchProgress } from '../store/searchStore';
import { isObj, str } from '../source/eventFields';

/** Most matches ranked per query (the newest ones). */
export const RANK_WINDOW = 2000;
/** Characters of a snippet (before the ellipses). */
const SNIPPET_CHARS = 160;
/** Characters shown before the first match. */
const SNIPPET_LEAD = 40;

export class SearchQueryError extends Error {}

interface Term {
  /** The term's words, lower-cased and without diacritics (a phrase when more than one). */
  words: string[];
  prefix: boolean;
  negate: boolean;
}

export interface ParsedQuery {
  /** The FTS4 MATCH expression. */
  match: string;
  /** The terms to highlight (not the excluded ones). */
  terms: Term[];
}

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** Lower case without diacritics, one UTF-16 unit for one (offsets stay the same). */
function fold(s: string): string {
  const lower = s.toLowerCase();
  if (lower.length !== s.length) return foldEach(s);
  if (!/[^\u0000-\u007f]/.test(lower)) return lower;
  return foldEach(lower);
}

function foldEach(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ch.length !== 1) {
      out += ch;
      continue;
    }
    const low = ch.toLowerCase();
    const base = low.length === 1 ? low.normalize('NFD').replace(/\p{M}/gu, '') : ch;
    out += base.length === 1 ? base : low.length === 1 ? low : ch;
  }
  return out;
}

/** Parses the user's query (syntax above) into a safe FTS4 expression. */
export function parseSearchQuery(text: string): ParsedQuery {
  const raw: { text: string; quoted: boolean; negate: boolean; or: boolean }[] = [];
  let i = 0;
  const s = text.trim();
  if (!s) throw new SearchQueryError('the query is empty: type a word to look for');
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    let negate = false;
    if (s[i] === '-' && i + 1 < s.length && !/\s/.test(s[i + 1]!)) {
      negate = true;
      i++;
    }
    if (s[i] === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) throw new SearchQueryError(`unclosed quote in the query (a phrase is "two words", with a closing ")`);
      raw.push({ text: s.slice(i + 1, end), quoted: true, negate, or: false });
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < s.length && !/\s/.test(s[j]!) && s[j] !== '"') j++;
    const word = s.slice(i, j);
    i = j;
    if (word === 'OR' && !negate) raw.push({ text: '', quoted: false, negate: false, or: true });
    else raw.push({ text: word, quoted: false, negate, or: false });
  }
  const terms: Term[] = [];
  const parts: string[] = [];
  const negatives: string[] = [];
  let pendingOr = false;
  for (const r of raw) {
    if (r.or) {
      if (!parts.length) throw new SearchQueryError('OR needs a word on each side (a OR b)');
      pendingOr = true;
      continue;
    }
    const prefix = !r.quoted && r.text.endsWith('*');
    const words = fold(r.text).match(WORD) ?? [];
    if (!words.length) {
      if (r.quoted) throw new SearchQueryError(`the phrase "${r.text}" has no words to look for`);
      continue; // punctuation on its own: nothing to find
    }
    const fts = `"${words.join(' ')}${prefix ? '*' : ''}"`;
    terms.push({ words, prefix, negate: r.negate });
    if (r.negate) {
      negatives.push(fts);
    } else {
      parts.push(pendingOr && parts.length ? `OR ${fts}` : fts);
      pendingOr = false;
    }
  }
  if (pendingOr) throw new SearchQueryError('OR needs a word on each side (a OR b)');
  if (!parts.length) {
    throw new SearchQueryError(negatives.length ? 'a query cannot only exclude (-word): add a word to look for' : `nothing to search for in "${text}": type a word`);
  }
  return { match: [...parts, ...negatives.map((n) => `NOT ${n}`)].join(' '), terms: terms.filter((t) => !t.negate) };
}

const K1 = 1.2;
const B = 0.75;

/** BM25 of one row from matchinfo('pcnalx') of a one-column table (32-bit little-endian integers). */
export function bm25(info: Uint8Array): number {
  const v = new DataView(info.buffer, info.byteOffset, info.byteLength);
  const at = (k: number) => v.getUint32(k * 4, true);
  const phrases = at(0);
  const docs = at(2);
  const avg = Math.max(1, at(3));
  const len = at(4);
  let score = 0;
  for (let p = 0; p < phrases; p++) {
    const tf = at(5 + 3 * p);
    if (tf === 0) continue;
    const df = at(5 + 3 * p + 2);
    const idf = Math.log(1 + (docs - df + 0.5) / (df + 0.5));
    score += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * len) / avg));
  }
  return score;
}

const withRank = new WeakSet<Database>();
function registerRank(db: Database): void {
  if (withRank.has(db)) return;
  db.create_function('search_bm25', (info: unknown) => (info instanceof Uint8Array ? bm25(info) : 0));
  withRank.add(db);
}

export interface FullSearchOptions {
  limit?: number;
}

/**
 * Finds events whose searchable text matches `query`, best first. Only what the search index
 * holds so far is found (`index` says how far it is). Throws SearchQueryError on bad syntax.
 */
export function fullSearch(db: Database, query: string, opts: FullSearchOptions = {}): FullSearchResult {
  const parsed = parseSearchQuery(query);
  const limit = Math.max(1, Math.min(500, opts.limit ?? 50));
  registerRank(db);
  // One MATCH: the newest RANK_WINDOW matches with their scores; the best `limit` are looked up.
  let window: [number, number][];
  try {
    window = (db.exec(
      `SELECT docid, search_bm25(matchinfo(search_fts, 'pcnalx')) FROM search_fts WHERE search_fts MATCH ? ORDER BY docid DESC LIMIT ?`,
      [parsed.match, RANK_WINDOW],
    )[0]?.values ?? []) as [number, number][];
  } catch (err) {
    // Whatever FTS still refuses is a query problem, said as such (not a crash).
    throw new SearchQueryError(`cannot search for "${query}": ${(err as Error).message}`);
  }
  const capped = window.length >= RANK_WINDOW;
  // Best first; equal scores: the newer document (higher rowid) first. The window came newest first
  // and the sort is stable, so only the score is compared.
  const score = new Map(window);
  window.sort((x, y) => y[1] - x[1]);
  // Stale documents (events that left the index) have no events row: skipped, and the next ones looked up.
  const details = new Map<number, Record<string, SqlValue>>();
  const top: number[] = [];
  for (let at = 0; at < window.length && top.length < limit; ) {
    const ids = window.slice(at, at + limit - top.length + 8).map(([id]) => id);
    at += ids.length;
    for (const r of all(
      db,
      `SELECT e.id, e.eid, e.ts, e.off, e.len, k.s AS kind, rk.s AS run, a.s AS agent, f.path, f.gzip,
         (SELECT s FROM strings WHERE id = COALESCE(e.skey, (SELECT skey FROM session_links WHERE sid = e.sid))) AS skey
       FROM events e JOIN files f ON f.id = e.file JOIN strings k ON k.id = e.kind
       LEFT JOIN strings rk ON rk.id = e.run LEFT JOIN strings a ON a.id = e.agent
       WHERE e.id IN (${ids.join(',')})`,
    )) {
      details.set(Number(r.id), r);
    }
    for (const id of ids) if (details.has(id) && top.length < limit) top.push(id);
  }
  const ranked = window.length;
  const reader = new PayloadReader();
  try {
    const hits = top.map((id): FullSearchHit => {
      const r = details.get(id)!;
      const eventId = decodeEventId(r.eid as string | number);
      const o = reader.event({ path: r.path as string, gzip: r.gzip === 1, off: Number(r.off), len: Number(r.len) }, eventId);
      const data = o && isObj(o.data) ? o.data : {};
      const parts = o ? searchPartsOf(o) : [];
      const { field, snippet } = snippetOf(parts, parsed.terms);
      return {
        eventId,
        sessionKey: (r.skey as string | null) ?? null,
        runId: (r.run as string | null) ?? null,
        kind: r.kind as string,
        ts: Number(r.ts),
        agentId: (r.agent as string | null) ?? null,
        toolName: String(r.kind).startsWith('tool.') ? str(data.toolName) : null,
        field,
        score: Math.round(score.get(id)! * 1e4) / 1e4,
        snippet,
      };
    });
    return { query, hits, ranked, capped, index: searchProgress(db) };
  } finally {
    reader.close();
  }
}

/** A regular expression finding a term in folded text (word boundaries as the tokenizer has them). */
function termPattern(t: Term): RegExp {
  const esc = t.words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const tail = t.prefix ? '[\\p{L}\\p{N}\\p{M}]*' : '(?![\\p{L}\\p{N}\\p{M}])';
  return new RegExp(`(?<![\\p{L}\\p{N}\\p{M}])${esc.join('[^\\p{L}\\p{N}\\p{M}]+')}${tail}`, 'gu');
}

/**
 * The snippet of a hit: the part holding the first match of any term, cut around it, with every
 * match inside the cut as offsets. Without a match (text past what was indexed changed), the
 * start of the first part.
 */
export function snippetOf(parts: { field: SearchField; text: string }[], terms: Term[]): { field: SearchField | null; snippet: SearchSnippet } {
  if (!parts.length) return { field: null, snippet: { text: '', highlights: [] } };
  const patterns = terms.map(termPattern);
  let best: { part: number; text: string; at: number } | null = null;
  const texts = parts.map((p) => p.text.replace(/\s+/g, ' ').trim());
  for (let i = 0; i < texts.length && !best; i++) {
    const folded = fold(texts[i]!);
    let first = -1;
    for (const re of patterns) {
      re.lastIndex = 0;
      const m = re.exec(folded);
      if (m && (first < 0 || m.index < first)) first = m.index;
    }
    if (first >= 0) best = { part: i, text: texts[i]!, at: first };
  }
  const chosen = best ?? { part: 0, text: texts[0]!, at: 0 };
  const full = chosen.text;
  let start = Math.max(0, chosen.at - SNIPPET_LEAD);
  if (start > 0) {
    // Start at a word when one begins shortly after the cut.
    const space = full.indexOf(' ', start);
    if (space >= 0 && space < chosen.at && space - start < 15) start = space + 1;
  }
  const end = Math.min(full.length, start + SNIPPET_CHARS);
  const lead = start > 0 ? '…' : '';
  const text = `${lead}${full.slice(start, end)}${end < full.length ? '…' : ''}`;
  const folded = fold(full);
  const highlights: { start: number; end: number }[] = [];
  for (const re of patterns) {
    re.lastIndex = 0;
    for (let m = re.exec(folded); m; m = re.exec(folded)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      const s = m.index;
      const e = m.index + m[0].length;
      if (e <= start || s >= end) continue;
      highlights.push({ start: Math.max(s, start) - start + lead.length, end: Math.min(e, end) - start + lead.length });
    }
  }
  highlights.sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const h of highlights) {
    const last = merged[merged.length - 1];
    if (last && h.start <= last.end) last.end = Math.max(last.end, h.end);
    else merged.push({ ...h });
  }
  return { field: parts[chosen.part]!.field, snippet: { text, highlights: merged } };
}
