import assert from 'node:assert/strict';
import test from 'node:test';
import { formatDuration } from '../../src/protocol/format';
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
