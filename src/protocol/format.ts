/**
 * Text formatting shared by every surface (tree, replay panel, CLI), so the same value reads the same
 * everywhere. Pure functions: they run in the extension host, the CLI and the webview alike.
 */

/**
 * A duration, compact: `250ms`, `3.4s`, `2m 05s`, `1h 02m`; `—` when there is none (null, negative
 * or not finite). Each step is rounded on its own unit, so 59.97 s reads `1m 00s`, never `60.0s`.
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return '—';
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const secs = Math.round(ms / 1000);
  if (secs < 3600) return `${Math.floor(secs / 60)}m ${String(secs % 60).padStart(2, '0')}s`;
  const mins = Math.round(ms / 60_000);
  return `${Math.floor(mins / 60)}h ${String(mins % 60).padStart(2, '0')}m`;
}

/**
 * An integer with its thousands grouped: `12,345`, `-1,000`. Plain string work, not Intl: the first use of Intl
 * (or of `toLocaleString`) in a process loads its locale data, ~25 ms that block the thread it runs on (the
 * extension host's, on the first progress message of a first index), and a chart draws thousands of labels.
 */
export function groupDigits(n: number): string {
  const r = Math.round(n);
  const digits = String(Math.abs(r));
  // (exponent form: no digits to group)
  if (!/^\d+$/.test(digits) || digits.length <= 3) return String(r);
  const head = digits.length % 3 || 3;
  let out = digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return r < 0 ? `-${out}` : out;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago", or a date for older times. */
export function relativeTime(ts: number, now: number): string {
  const d = now - ts;
  if (d < 0) return formatDate(ts);
  if (d < 60_000) return 'just now';
  if (d < 3_600_000) return `${Math.floor(d / 60_000)} min ago`;
  if (d < 86_400_000) return `${Math.floor(d / 3_600_000)} h ago`;
  if (d < 30 * 86_400_000) return `${Math.floor(d / 86_400_000)} d ago`;
  return new Date(ts).toISOString().slice(0, 10);
}

export function formatDate(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').slice(0, 19);
}
