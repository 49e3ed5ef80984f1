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
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
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
