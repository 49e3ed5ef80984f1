/**
 * Field extraction from a parsed event, following the real producer's habits
 * (the OpenClaw plugin's log): `"unknown"` means absent, file paths and commands may sit in
 * params, errors may be strings or objects.
 */

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string id, with the producer's `"unknown"` (and empty strings) read as absent. */
export function idOf(v: unknown): string | null {
  return typeof v === 'string' && v !== '' && v !== 'unknown' ? v : null;
}

export function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Epoch ms from a number or an ISO date string. */
export function timeOf(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = v.length === 24 ? utcMillis(v) : NaN;
    if (!Number.isNaN(t)) return t;
    const p = Date.parse(v);
    return Number.isNaN(p) ? null : p;
  }
  return null;
}

/** Two decimal digits of `s` at `i` (NaN unless both are digits). */
function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.sssZ` (what most producers write, `toISOString`'s shape) read by hand,
 * as Date.parse reads it; NaN for anything else, or a date whose day could be past its month's
 * end, which Date.parse is left to decide.
 */
function utcMillis(s: string): number {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46 || s.charCodeAt(23) !== 90) return NaN;
  const y = digits2(s, 0) * 100 + digits2(s, 2);
  const mo = digits2(s, 5);
  const d = digits2(s, 8);
  const h = digits2(s, 11);
  const mi = digits2(s, 14);
  const sec = digits2(s, 17);
  const ms3 = s.charCodeAt(22) - 48;
  const ms = digits2(s, 20) * 10 + ms3;
  // Every comparison with NaN (a character that is not a digit) is false.
  if (!(y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= 28 && h <= 23 && mi <= 59 && sec <= 59 && ms3 >= 0 && ms3 <= 9 && ms >= 0)) return NaN;
  // Days since 1970-01-01 of the proleptic Gregorian date (years counted from March).
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1;
  const days = era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
  return ((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms;
}

/** The message of an error that may be a string, an `{message}` object, or absent. */
export function errorText(v: unknown): string | null {
  if (typeof v === 'string') return v || null;
  if (isObj(v)) {
    if (typeof v.message === 'string') return v.message;
    return JSON.stringify(v);
  }
  return null;
}

const FILE_TOOLS = new Set(['read', 'write', 'edit', 'multiedit', 'glob', 'grep', 'ls', 'notebookedit', 'apply_patch']);
const EXEC_TOOLS = new Set(['exec', 'bash', 'process', 'shell']);

/** The file a tool call touched: `filePath` on tool.end, else from params for file tools. */
export function filePathOf(toolName: string | null, data: Obj): string | null {
  const direct = str(data.filePath);
  if (direct) return direct;
  const params = data.params;
  if (!toolName || !isObj(params) || !FILE_TOOLS.has(toolName.toLowerCase())) return null;
  return str(params.file_path) ?? str(params.path) ?? str(params.filePath) ?? null;
}

/** A path's segments, with `/` or `\\` as separators (a path recorded on Windows reads the same on Linux); `.` segments dropped. */
export function pathSegments(p: string): string[] {
  return p.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

/** A path's last segment (the file's name), or '' when it has none. */
export function fileNameOf(p: string): string {
  const segs = pathSegments(p);
  return segs[segs.length - 1] ?? '';
}

/** The shell command of an exec-like tool call. */
export function execCommandOf(toolName: string | null, data: Obj): string | null {
  const direct = str(data.execCommand);
  if (direct) return direct;
  const params = data.params;
  if (!toolName || !isObj(params) || !EXEC_TOOLS.has(toolName.toLowerCase())) return null;
  return str(params.command);
}

/** What a tool does to its file, from its name. */
export function fileOpOf(toolName: string): 'read' | 'write' | 'edit' | 'other' {
  const n = toolName.toLowerCase();
  if (n === 'read' || n === 'glob' || n === 'grep' || n === 'ls') return 'read';
  if (n === 'write') return 'write';
  if (n === 'edit' || n === 'multiedit' || n === 'apply_patch' || n === 'notebookedit') return 'edit';
  return 'other';
}

export interface TokenFields {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  total: number;
}

/** Token counts from a usage-like object; total defaults to the sum of the parts. */
export function tokensOf(v: unknown): TokenFields | null {
  if (!isObj(v)) return null;
  const input = num(v.input) ?? num(v.inputTokens) ?? 0;
  const output = num(v.output) ?? num(v.outputTokens) ?? 0;
  const cacheRead = num(v.cacheRead) ?? num(v.cacheReadTokens) ?? 0;
  const cacheWrite = num(v.cacheWrite) ?? num(v.cacheWriteTokens) ?? 0;
  const total = num(v.total) ?? num(v.totalTokens) ?? input + output + cacheRead + cacheWrite;
  return { input, output, cacheRead, cacheWrite, total };
}

const FLAT_TOKEN_KEYS = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'totalTokens'];

/**
 * The tokens of one `llm.call`: producers put them under `data.delta`, under `data.usage`, or flat
 * in `data` (`inputTokens`, `outputTokens`, `cacheReadTokens`, `cacheWriteTokens`, `totalTokens`);
 * read in that order, the first shape present wins. `data.cumulative` is a running total and is
 * never read as the call's own tokens. null when the call carries no tokens at all.
 */
export function llmCallTokens(data: Obj): TokenFields | null {
  const d = tokensOf(data.delta) ?? tokensOf(data.usage);
  if (d) return d;
  return FLAT_TOKEN_KEYS.some((k) => num(data[k]) !== null) ? tokensOf(data) : null;
}

/**
 * How deep a payload is shown. A value nested deeper (arrays and objects inside each other) is
 * replaced by DEEP_CUT at that depth wherever events are read, so that printing, pretty-printing or
 * posting it (all recursive) cannot overflow the stack; the JSONL itself is never changed.
 */
export const MAX_NESTING = 64;
export const DEEP_CUT = `[nested deeper than ${MAX_NESTING} levels: cut]`;

/** Whether `v` has arrays/objects nested more than `left` levels deep. */
function deeperThan(v: unknown, left: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (left === 0) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (deeperThan(x, left - 1)) return true;
  } else {
    for (const k in v) if (deeperThan((v as Obj)[k], left - 1)) return true;
  }
  return false;
}

/** `v` (known to be too deep) copied down to `left` levels; parts that are not too deep are shared. */
function cutAt(v: unknown, left: number): unknown {
  if (left === 0) return DEEP_CUT;
  const child = (x: unknown): unknown => (deeperThan(x, left - 1) ? cutAt(x, left - 1) : x);
  if (Array.isArray(v)) return v.map(child);
  const out: Obj = {};
  for (const k in v as Obj) out[k] = child((v as Obj)[k]);
  return out;
}

/**
 * `v` with every array or object at nesting level MAX_NESTING (the top value is level 0) replaced
 * by DEEP_CUT; `v` itself when nothing is that deep (the common case: no copy).
 */
export function cutDeep<T>(v: T, max = MAX_NESTING): T {
  return deeperThan(v, max) ? (cutAt(v, max) as T) : v;
}
