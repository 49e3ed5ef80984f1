/**
 * What counts as a failure, decided once for the index, the tree, the CLI and the replay panel.
 * Pure: it runs in the extension host, the CLI and the webview alike.
 */

/** A recorded error value means a failure unless it is absent: undefined, null, `false` or an empty string. */
export function isErrorValue(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== '';
}

/**
 * Whether an event records a failure:
 * - an `error` event always does;
 * - any event whose own `error` is set (a failed run's `run.end`, for one);
 * - a `tool.end` whose data says so: `isError: true`, or, without a boolean `isError`, an `error`
 *   value. `isError: false` and `error: false` / `null` mean the call succeeded.
 */
export function isFailure(kind: string, error: unknown, data: unknown): boolean {
  if (kind === 'error' || isErrorValue(error)) return true;
  if (kind !== 'tool.end' || typeof data !== 'object' || data === null) return false;
  const d = data as Record<string, unknown>;
  if (typeof d.isError === 'boolean') return d.isError;
  return isErrorValue(d.error);
}
