/** Time values typed by users (CLI flags, filter prompts): no database needed. */

/**
 * Parses a `--since` value: an ISO date or date-time, epoch ms, or a span back from `now`
 * (`30m`, `12h`, `7d`). Returns epoch ms or throws with a message that names the value.
 */
export function parseSince(value: string, now: number): number {
  const rel = /^(\d+)\s*([mhdw])$/.exec(value.trim());
  if (rel) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[rel[2] as 'm' | 'h' | 'd' | 'w'];
    return now - Number(rel[1]) * unit;
  }
  if (/^\d{10,}$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error(`not a date: "${value}" (use e.g. 2026-11-01, 2026-11-01T08:00Z, 24h or 7d)`);
  return t;
}
