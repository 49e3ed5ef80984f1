import assert from 'node:assert/strict';
import test from 'node:test';
import { formatDuration, groupDigits } from '../../src/protocol/format';
import { formatDuration as webviewDuration } from '../../src/webview/state/format';

test('formatDuration: one compact style, each step rounded on its own unit', () => {
  const cases: [number | null | undefined, string][] = [
    [0, '0ms'],
    [12, '12ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'],
    [3400, '3.4s'],
    [59_940, '59.9s'],
    [59_970, '1m 00s'],
    [61_000, '1m 01s'],
    [125_000, '2m 05s'],
    [185_000, '3m 05s'],
    [3_599_400, '59m 59s'],
    [3_599_600, '1h 00m'],
    [3_720_000, '1h 02m'],
    [2 * 3_600_000 - 20_000, '2h 00m'],
    [null, '—'],
    [undefined, '—'],
    [-5, '—'],
    [Number.NaN, '—'],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
  assert.equal(webviewDuration, formatDuration, 'the webview uses the shared function, not a copy');
});

test('groupDigits: thousands grouped by plain string work, as en-US groups them', () => {
  for (const n of [0, 7, 999, 1000, 12345, 999999, 1000000, 1234567890, -1, -1000, -987654, 12.6, 2 ** 53]) {
    assert.equal(groupDigits(n), Math.round(n).toLocaleString('en-US', { maximumFractionDigits: 0 }), String(n));
  }
  assert.equal(groupDigits(1e21), String(1e21), 'exponent form as it is');
  assert.equal(groupDigits(Number.NaN), 'NaN');
});
