import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeOf } from '../../src/core/source/eventFields';

/** What timeOf must answer for a string: Date.parse's reading, null when it has none. */
const expected = (v: string) => {
  const p = Date.parse(v);
  return Number.isNaN(p) ? null : p;
};

test('timeOf reads ISO times exactly as Date.parse does: every day of 1600–2100 edges, impossible dates, broken characters', () => {
  const seen: string[] = [];
  for (const y of ['0000', '0001', '1600', '1899', '1969', '1970', '2000', '2024', '2026', '2100', '9999']) {
    for (let m = 0; m <= 13; m++) {
      for (let d = 0; d <= 32; d++) {
        for (const hms of ['00:00:00.000', '09:05:07.123', '23:59:59.999', '24:00:00.000', '12:60:00.000', '12:00:60.000']) {
          seen.push(`${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T${hms}Z`);
        }
      }
    }
  }
  // toISOString's own output over a wide span (before 1970 too), and each with one character changed.
  let seed = 7;
  const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const chars = '0123456789-:TZ. x+';
  for (let i = 0; i < 20_000; i++) {
    const iso = new Date(Math.floor((rnd() - 0.5) * 2 * 2.5e14)).toISOString();
    const j = Math.floor(rnd() * iso.length);
    seen.push(iso, iso.slice(0, j) + chars[Math.floor(rnd() * chars.length)] + iso.slice(j + 1));
  }
  seen.push('2026-03-02T09:00:01Z', '2026-03-02T09:00:01.5Z', '2026-03-02T09:00:01.000+01:00', '2026-03-02', 'nonsense', '', '+012026-03-02T09:00:01.000Z');
  let differ = 0;
  for (const v of seen) if (timeOf(v) !== expected(v)) differ++;
  assert.equal(differ, 0, 'every string reads as Date.parse reads it');
  assert.equal(timeOf('2026-03-02T09:00:01.123Z'), Date.UTC(2026, 2, 2, 9, 0, 1, 123));
  assert.equal(timeOf('1969-12-31T23:59:59.999Z'), -1);
  assert.equal(timeOf(1234.5), 1234.5);
  assert.equal(timeOf(Number.NaN), null);
  assert.equal(timeOf('2026-02-30T00:00:00.000Z'), expected('2026-02-30T00:00:00.000Z'));
});
