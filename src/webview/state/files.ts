/** The Files view: operations of a run or session, and per-file totals. */
import type { FileOperation } from '../../protocol/model';

export type FileOpKind = 'read' | 'write' | 'edit' | 'other';

const byTool: Record<string, FileOpKind> = {
  read: 'read', view: 'read', cat: 'read', glob: 'read', grep: 'read', ls: 'read',
  write: 'write', create: 'write',
  edit: 'edit', multiedit: 'edit', apply_patch: 'edit', str_replace: 'edit', patch: 'edit',
};

/** The operation's kind: the host's `op` when set, else derived from the tool name. */
export function opKind(op: FileOperation): FileOpKind {
  const given = op.op?.toLowerCase();
  if (given === 'read' || given === 'write' || given === 'edit' || given === 'other') return given;
  return byTool[op.toolName.toLowerCase()] ?? 'other';
}

/** Operations of one run (or all when runId is null), in time order. */
export function fileOpsOf(ops: readonly FileOperation[], runId: string | null): FileOperation[] {
  return ops.filter((o) => runId === null || o.runId === runId).sort((a, b) => a.ts - b.ts);
}

export interface FileTotals {
  path: string;
  read: number;
  write: number;
  edit: number;
  other: number;
  errors: number;
  /** The most recent operation with an event id: what "open" opens. */
  latest: FileOperation | null;
  /** The most recent edit/write with an event id: what "diff" shows. */
  latestChange: FileOperation | null;
}

/** One entry per file path, in order of first use. */
export function fileTotals(ops: readonly FileOperation[]): FileTotals[] {
  const byPath = new Map<string, FileTotals>();
  for (const op of ops) {
    let t = byPath.get(op.filePath);
    if (!t) {
      t = { path: op.filePath, read: 0, write: 0, edit: 0, other: 0, errors: 0, latest: null, latestChange: null };
      byPath.set(op.filePath, t);
    }
    const kind = opKind(op);
    t[kind] += 1;
    if (op.isError) t.errors += 1;
    if (op.eventId) {
      t.latest = op;
      if (kind === 'edit' || kind === 'write') t.latestChange = op;
    }
  }
  return [...byPath.values()];
}

/** Counts of distinct files read, written and edited. */
export function fileSummary(totals: readonly FileTotals[]): { read: number; write: number; edit: number } {
  return {
    read: totals.filter((t) => t.read > 0).length,
    write: totals.filter((t) => t.write > 0).length,
    edit: totals.filter((t) => t.edit > 0).length,
  };
}

/** Whether the host can show a diff for this operation. */
export function canDiff(op: FileOperation): boolean {
  const k = opKind(op);
  return Boolean(op.eventId) && (k === 'edit' || k === 'write');
}

/** What the Files view shows for a run (or the session): its operations in time order, per-file totals, counts. */
export interface FileView {
  ops: FileOperation[];
  totals: FileTotals[];
  sum: { read: number; write: number; edit: number };
}

const viewsByList = new WeakMap<readonly FileOperation[], Map<string | null, FileView>>();

/**
 * The Files view of `runId` (null: the whole session) over `ops`, computed once per list and run: the panel
 * prepares it in idle time before the tab is shown, and the tab reads it back instead of sorting and
 * grouping thousands of operations while it draws.
 */
export function fileView(ops: readonly FileOperation[], runId: string | null): FileView {
  let views = viewsByList.get(ops);
  if (!views) viewsByList.set(ops, (views = new Map()));
  let v = views.get(runId);
  if (!v) {
    const shown = fileOpsOf(ops, runId);
    const totals = fileTotals(shown);
    views.set(runId, (v = { ops: shown, totals, sum: fileSummary(totals) }));
  }
  return v;
}

/** Whether `fileView(ops, runId)` was computed already. */
export function fileViewBuilt(ops: readonly FileOperation[], runId: string | null): boolean {
  return viewsByList.get(ops)?.has(runId) === true;
}
