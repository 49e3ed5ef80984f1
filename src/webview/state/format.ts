/** Text formatting for the replay: numbers, times, sizes, and payloads shown as pretty JSON or plain text. */
import { groupDigits } from '../../protocol/format';

/** `12:00:03` in local time; `—` for a missing time. */
export function formatTime(ts: number | null | undefined): string {
  if (ts == null || !Number.isFinite(ts)) return '—';
  const d = new Date(ts);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** `2024-03-01 12:00:03` in local time. */
export function formatDateTime(ts: number | null | undefined): string {
  if (ts == null || !Number.isFinite(ts)) return '—';
  const d = new Date(ts);
  const date = [d.getFullYear(), d.getMonth() + 1, d.getDate()].map((n) => String(n).padStart(2, '0')).join('-');
  return `${date} ${formatTime(ts)}`;
}

// One duration style for tree, panel and CLI.
export { formatDuration } from '../../protocol/format';

/** Grouped thousands: `12,345` (plain string work: a chart formats thousands of these at once). */
export function formatInt(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—';
  return groupDigits(n);
}

/** Compact token counts: `950`, `12.3k`, `1.25M`. */
/** "1 run", "3 runs": a count with its noun, plural unless exactly one. */
export function countOf(n: number | null | undefined, singular: string, plural = `${singular}s`): string {
  return `${formatInt(n)} ${n === 1 ? singular : plural}`;
}

export function formatTokens(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 1_000_000) return `${(n / 1000).toFixed(a < 10_000 ? 2 : 1).replace(/\.?0+$/, '')}k`;
  return `${(n / 1_000_000).toFixed(2).replace(/\.?0+$/, '')}M`;
}

/** `$0.0123` below a dollar, `$12.35` above. */
export function formatCost(usd: number | null | undefined): string {
  if (usd == null || !Number.isFinite(usd)) return '—';
  if (usd === 0) return '$0';
  return usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** `512 B`, `48.0 KB`, `1.2 MB`. */
export function formatBytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return 'size unknown';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** `2.9%` from used/limit; null when either is unknown. */
export function formatPercent(used: number | null | undefined, limit: number | null | undefined): string | null {
  if (used == null || !limit) return null;
  const pct = (used / limit) * 100;
  return `${pct < 10 ? pct.toFixed(1) : Math.round(pct)}%`;
}

/** One line for a table cell: newlines shown as `⏎`, clipped to `max` characters with `…`. */
export function oneLine(s: string, max = 240): string {
  const flat = s.replace(/\r?\n/g, ' ⏎ ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A payload ready to show: pretty JSON when it is (or parses as) JSON, the raw text otherwise. */
export interface Pretty {
  kind: 'json' | 'text' | 'empty';
  text: string;
}

/**
 * Pretty-prints a value. Strings that parse as a JSON object or array are re-indented; other strings are shown as
 * they are (a summary-mode result cut mid-JSON stays text). `undefined` is `empty`.
 */
export function prettyPayload(value: unknown): Pretty {
  if (value === undefined) return { kind: 'empty', text: '' };
  if (typeof value === 'string') {
    const t = value.trim();
    if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
      try {
        return { kind: 'json', text: JSON.stringify(JSON.parse(t), null, 2) };
      } catch {
        // not JSON after all: fall through to text
      }
    }
    return { kind: 'text', text: value };
  }
  try {
    return { kind: 'json', text: JSON.stringify(value, null, 2) ?? String(value) };
  } catch {
    return { kind: 'text', text: String(value) };
  }
}

/** A field of an unknown payload as a string, if it is a string or a finite number. */
export function str(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (typeof x === 'number' && Number.isFinite(x)) return String(x);
  return undefined;
}

/** A field of an unknown payload as a finite number. */
export function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

/** The object behind an unknown payload, or an empty one. */
export function rec(x: unknown): Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}

/** Last 8 characters of an id, enough to tell runs apart in a header. */
export function shortId(id: string | null | undefined): string {
  if (!id) return '—';
  return id.length > 12 ? `…${id.slice(-8)}` : id;
}

/** Where an LLM call's cost came from, in words. */
export function costSourceLabel(source: string | undefined): string {
  switch (source) {
    case 'user':
      return 'from your price file';
    case 'producer':
      return 'recorded by the producer';
    case 'price-table':
      return 'from the bundled price table';
    default:
      return 'no price known';
  }
}
