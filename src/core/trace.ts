/**
 * A timing trace for benchmarks (`npm run bench:host -- --trace`): when the environment variable
 * AGENT_TELEMETRY_TRACE names a file, `trace` appends one JSON line `{ t, pid, src, ev, ...data }`
 * (t: epoch ms) to it, from the extension host and from the index worker alike, so the path of a
 * live change (file written → sync → changed sessions published → tree asked → tree refreshed) can
 * be followed across processes. Without the variable it does nothing.
 */
import { appendFileSync } from 'node:fs';

const file = typeof process !== 'undefined' ? process.env.AGENT_TELEMETRY_TRACE : undefined;

/** Whether tracing is on (so callers can skip building costly data). */
export const tracing = !!file;

export function trace(src: string, ev: string, data?: Record<string, unknown>): void {
  if (!file) return;
  try {
    appendFileSync(file, `${JSON.stringify({ t: Date.now(), pid: process.pid, src, ev, ...data })}\n`);
  } catch {
    // the trace is best effort
  }
}
