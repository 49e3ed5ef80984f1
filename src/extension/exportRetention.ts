/**
 * "Export…" and "Apply Retention…": the extension's side of src/core/exportJsonl.ts and
 * src/core/retention.ts. Both take an optional argument object that skips every prompt (used by
 * the end-to-end tests and by other commands), and return what they did.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { groupDigits } from '../protocol/format';
import type { ApplyResult, ExportResult, ExportSelection, PlannedDeletion, RetentionPlan, RetentionPolicy, TreeNode } from '../protocol/indexTypes';
import { parseSince } from '../core/since';
import { SECTION, uploadCursorFile } from './config';
import type { IndexService } from './indexService';

export const PLAN_SCHEME = 'agent-telemetry-retention';

/** Arguments of `agentTelemetry.export` that skip the prompts. */
export interface ExportArgs extends ExportSelection {
  /** Where to write (a path or a URI); without it, a save dialog asks. */
  out?: string | vscode.Uri;
  /**
   * Replace e-mail addresses by [REDACTED_EMAIL] (FlowCore privacy; `epk_invite_sent.invitedEmail` is kept).
   * Without it, the save-dialog flow asks when the selection holds FlowCore events; otherwise no redaction.
   */
  redactPii?: boolean;
}

/** Arguments of `agentTelemetry.applyRetention` that skip the prompts. */
export interface RetentionArgs {
  /** Overrides of the settings' policy. */
  policy?: Partial<RetentionPolicy>;
  /** true: apply without asking. */
  confirm?: boolean;
  /** true: only plan; delete nothing. */
  dryRun?: boolean;
}

export interface RetentionOutcome {
  policy: RetentionPolicy;
  plan: RetentionPlan;
  result: ApplyResult | null;
}

/** Serves retention plans as read-only documents. */
export class PlanDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  show(text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PLAN_SCHEME, path: '/Retention Plan.md' });
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}

// ── export ────────────────────────────────────────────────────────────────────

function isTreeNode(v: unknown): v is TreeNode {
  return typeof v === 'object' && v !== null && typeof (v as TreeNode).kind === 'string' && typeof (v as TreeNode).id === 'string';
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 80) || 'export';
}

const DAY = 86_400_000;

/** Asks what to export: a session, a run, or a time range. Undefined when cancelled. */
async function pickSelection(service: IndexService): Promise<{ selection: ExportSelection; name: string } | undefined> {
  const what = await vscode.window.showQuickPick(
    [
      { label: '$(comment-discussion) Session…', key: 'session' },
      { label: '$(play-circle) Run…', key: 'run' },
      { label: '$(calendar) Date range…', key: 'range' },
    ],
    { title: 'Export the original JSONL lines of…' },
  );
  if (!what) return undefined;
  const pickSession = async () => {
    const sessions = await service.request('sessions/list', { limit: 500 });
    if (!sessions.length) {
      void vscode.window.showInformationMessage('Agent Telemetry: the index has no sessions.');
      return undefined;
    }
    const s = await vscode.window.showQuickPick(
      sessions.map((x) => ({
        label: x.sessionKey,
        description: `${x.agentId ?? ''} · ${x.runCount} runs`,
        detail: `${new Date(x.firstTs).toISOString()} → ${new Date(x.lastTs).toISOString()}`,
        key: x.sessionKey,
      })),
      { title: 'Session', matchOnDescription: true },
    );
    return s?.key;
  };
  if (what.key === 'session') {
    const key = await pickSession();
    return key === undefined ? undefined : { selection: { sessionKey: key }, name: slug(key) };
  }
  if (what.key === 'run') {
    const key = await pickSession();
    if (key === undefined) return undefined;
    const runs = await service.request('runs/list', { sessionKey: key });
    const r = await vscode.window.showQuickPick(
      runs.map((x) => ({
        label: x.runId,
        description: `${x.model ?? ''} · ${x.toolCallCount} tools`,
        detail: x.startedTs !== null ? new Date(x.startedTs).toISOString() : '',
        key: x.runId,
      })),
      { title: `Run of ${key}` },
    );
    return r ? { selection: { runId: r.key }, name: slug(r.key) } : undefined;
  }
  const now = Date.now();
  const range = await vscode.window.showQuickPick(
    [
      { label: 'Last 24 hours', since: now - DAY },
      { label: 'Last 7 days', since: now - 7 * DAY },
      { label: 'Last 30 days', since: now - 30 * DAY },
      { label: 'Custom…', since: NaN },
    ],
    { title: 'Date range' },
  );
  if (!range) return undefined;
  if (!Number.isNaN(range.since)) return { selection: { since: range.since }, name: `since-${new Date(range.since).toISOString().slice(0, 10)}` };
  const validate = (v: string) => {
    if (v.trim() === '') return null;
    try {
      parseSince(v.trim(), now);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  };
  const from = await vscode.window.showInputBox({ title: 'From (inclusive)', prompt: 'e.g. 2026-11-01, 2026-11-01T08:00Z, 7d', validateInput: (v) => (v.trim() === '' ? 'a start is needed' : validate(v)) });
  if (from === undefined) return undefined;
  const to = await vscode.window.showInputBox({ title: 'Until (exclusive; empty: now)', prompt: 'e.g. 2026-11-02', validateInput: validate });
  if (to === undefined) return undefined;
  const since = parseSince(from.trim(), now);
  const until = to.trim() ? parseSince(to.trim(), now) : undefined;
  if (until !== undefined && until <= since) throw new Error('the end of the range must be after its start');
  return { selection: { since, until }, name: `${new Date(since).toISOString().slice(0, 10)}${until ? `_${new Date(until).toISOString().slice(0, 10)}` : ''}` };
}

/**
 * `agentTelemetry.export`: from the palette (asks what), from a session or run in the tree, or
 * with `{sessionKey | runId | since/until | kinds/text, out}`. The worker writes the lines (streamed)
 * into a temporary file beside the target, then renames it over the target; it refuses a target
 * inside a telemetry folder.
 */
export async function exportCommand(service: IndexService, _context: vscode.ExtensionContext, arg?: unknown): Promise<(ExportResult & { out: string }) | undefined> {
  await service.ready();
  let selection: ExportSelection;
  let name: string;
  let out: vscode.Uri | undefined;
  let redactPii: boolean | undefined;
  if (isTreeNode(arg)) {
    if ((arg.kind === 'run' || arg.contextValue.startsWith('run')) && arg.runId) {
      selection = { runId: arg.runId };
      name = slug(arg.runId);
    } else if (arg.sessionKey) {
      selection = { sessionKey: arg.sessionKey };
      name = slug(arg.sessionKey);
    } else {
      throw new Error('choose a session or a run to export');
    }
    const o = (arg as TreeNode & ExportArgs).out;
    if (o !== undefined) out = typeof o === 'string' ? vscode.Uri.file(o) : o;
    redactPii = (arg as TreeNode & ExportArgs).redactPii;
  } else if (arg && typeof arg === 'object') {
    const a = arg as ExportArgs;
    selection = { sessionKey: a.sessionKey, runId: a.runId, since: a.since, until: a.until, kinds: a.kinds, text: a.text };
    for (const k of Object.keys(selection) as (keyof ExportSelection)[]) if (selection[k] === undefined) delete selection[k];
    name = slug(a.sessionKey ?? a.runId ?? 'events');
    if (a.out !== undefined) out = typeof a.out === 'string' ? vscode.Uri.file(a.out) : a.out;
    redactPii = a.redactPii;
  } else {
    const picked = await pickSelection(service);
    if (!picked) return undefined;
    ({ selection, name } = picked);
  }
  const { count: total, flowcore } = await service.request('export/count', { selection });
  if (total === 0) {
    void vscode.window.showInformationMessage('Agent Telemetry: no events match that selection.');
    return undefined;
  }
  if (!out && redactPii === undefined && flowcore) {
    // FlowCore's privacy principles: e-mail addresses only in epk_invite_sent.invitedEmail.
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'Redact e-mail addresses', description: 'replace them by [REDACTED_EMAIL] (except epk_invite_sent.invitedEmail); those lines change', redact: true },
        { label: 'Keep the lines byte for byte', description: 'the original lines, e-mail addresses included', redact: false },
      ],
      { title: 'Redact e-mail addresses?', placeHolder: 'The selection holds FlowCore events' },
    );
    if (!choice) return undefined;
    redactPii = choice.redact;
  }
  if (!out) {
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    out = await vscode.window.showSaveDialog({
      title: `Export ${groupDigits(total)} events as JSONL`,
      defaultUri: vscode.Uri.joinPath(base, `${name}.jsonl`),
      filters: { 'JSON Lines': ['jsonl'] },
      saveLabel: 'Export',
    });
    if (!out) return undefined;
  }
  const target = out;
  if (target.scheme !== 'file') throw new Error(`exports are written to files on disk, not ${target.scheme}: URIs`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Agent Telemetry: exporting', cancellable: true },
    (progress, token) => {
      let last = 0;
      return service.request('export/write', { selection, out: target.fsPath, redactPii: redactPii === true, dirs: [...service.directories] }, {
        token,
        onProgress: (p) => {
          if (!('eventsTotal' in p)) return;
          const pct = Math.floor((100 * p.events) / Math.max(1, p.eventsTotal));
          progress.report({ message: `${groupDigits(p.events)} / ${groupDigits(p.eventsTotal)} events`, increment: pct - last });
          last = pct;
        },
      });
    },
  );
  const skipped = result.skipped ? ` (${result.skipped} changed line(s) skipped: re-index to refresh)` : '';
  const redacted = result.redacted !== undefined ? `; e-mail addresses redacted in ${groupDigits(result.redacted)} line(s)` : '';
  void vscode.window.showInformationMessage(`Agent Telemetry: exported ${groupDigits(result.events)} events to ${result.out}${skipped}${redacted}.`);
  return result;
}

// ── retention ─────────────────────────────────────────────────────────────────

/** The policy from the settings `agentTelemetry.retention.*`. */
export function policyFromSettings(): RetentionPolicy {
  const c = vscode.workspace.getConfiguration(SECTION);
  const num = (k: string, d: number) => {
    const v = c.get<number>(k, d);
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : d;
  };
  return {
    maxAgeDays: num('retention.maxAgeDays', 30),
    maxSizeMb: num('retention.maxSizeMb', 500),
    maxSessions: num('retention.maxSessions', 0),
    orphanBlobs: c.get<boolean>('retention.orphanBlobs', true) !== false,
    ...(c.get<boolean>('retention.onlyUploaded', false) === true ? { onlyUploaded: true } : {}),
  };
}

function policySummary(p: RetentionPolicy): string {
  return [
    p.maxAgeDays ? `older than ${p.maxAgeDays} days` : 'age off',
    p.maxSizeMb ? `over ${p.maxSizeMb} MB` : 'size off',
    p.maxSessions ? `beyond ${p.maxSessions} sessions` : 'sessions off',
    p.orphanBlobs ? 'orphan blobs' : 'no orphan sweep',
    ...(p.beforeDate !== undefined ? [`events before ${new Date(p.beforeDate).toISOString().replace('T00:00:00.000Z', '')}`] : []),
    ...(p.onlyUploaded ? ['only files the OTLP upload acknowledged'] : []),
  ].join(' · ');
}

function mb(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Lets the user adjust the policy; undefined when cancelled. */
async function adjustPolicy(start: RetentionPolicy): Promise<RetentionPolicy | undefined> {
  const p = { ...start };
  for (;;) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: '$(check) Preview what this deletes', description: policySummary(p), key: 'go' },
        { label: 'Max age (days)', description: p.maxAgeDays ? String(p.maxAgeDays) : 'off', key: 'maxAgeDays' },
        { label: 'Max size per folder (MB)', description: p.maxSizeMb ? String(p.maxSizeMb) : 'off', key: 'maxSizeMb' },
        { label: 'Max sessions', description: p.maxSessions ? String(p.maxSessions) : 'off', key: 'maxSessions' },
        { label: 'Orphan blobs', description: p.orphanBlobs ? 'delete unreferenced blobs' : 'keep', key: 'orphanBlobs' },
        {
          label: 'Delete events before date…',
          description: p.beforeDate !== undefined ? new Date(p.beforeDate).toISOString().replace('T00:00:00.000Z', '') : 'off',
          detail: 'every finished log file (rotated, or a local app telemetry YYYY-MM-DD.jsonl of an earlier day) whose newest event is before it',
          key: 'beforeDate',
        },
      ],
      { title: 'Apply Retention: policy (0 = off)' },
    );
    if (!choice) return undefined;
    if (choice.key === 'go') return p;
    if (choice.key === 'orphanBlobs') {
      p.orphanBlobs = !p.orphanBlobs;
      continue;
    }
    if (choice.key === 'beforeDate') {
      const now = Date.now();
      const v = await vscode.window.showInputBox({
        title: 'Delete events before date (empty: off)',
        prompt: 'e.g. 2026-11-01, 2026-11-01T08:00Z, 30d (back from now)',
        value: p.beforeDate !== undefined ? new Date(p.beforeDate).toISOString().replace('T00:00:00.000Z', '') : '',
        validateInput: (s) => {
          if (s.trim() === '') return null;
          try {
            parseSince(s.trim(), now);
            return null;
          } catch (e) {
            return (e as Error).message;
          }
        },
      });
      if (v !== undefined) {
        if (v.trim() === '') delete p.beforeDate;
        else p.beforeDate = parseSince(v.trim(), now);
      }
      continue;
    }
    const k = choice.key as 'maxAgeDays' | 'maxSizeMb' | 'maxSessions';
    const v = await vscode.window.showInputBox({
      title: choice.label,
      value: String(p[k]),
      validateInput: (s) => (/^\d+$/.test(s.trim()) ? null : 'a whole number (0 = off)'),
    });
    if (v !== undefined) p[k] = Number(v.trim());
  }
}

function deletionLines(items: PlannedDeletion[]): string[] {
  return items.map((i) => `| ${mb(i.bytes)} | \`${i.path}\` | ${i.reason} |`);
}

export function planMarkdown(plan: RetentionPlan, policy: RetentionPolicy): string {
  const lines = ['# Retention plan', '', `Policy: ${policySummary(policy)}`, ''];
  lines.push(`## Log files (${plan.files.length})`, '');
  if (plan.files.length) lines.push('| size | file | reason |', '|---|---|---|', ...deletionLines(plan.files));
  else lines.push('none');
  lines.push('', `## Blobs (${plan.blobs.length})`, '');
  if (plan.blobs.length) lines.push('| size | file | reason |', '|---|---|---|', ...deletionLines(plan.blobs));
  else lines.push('none');
  lines.push('', `**Total: ${plan.files.length} files and ${plan.blobs.length} blobs, ${mb(plan.totalBytes)} (${plan.totalBytes} bytes).**`);
  if (plan.sessionsRemoved.length) lines.push('', `Sessions that will be gone (${plan.sessionsRemoved.length}): ${plan.sessionsRemoved.join(', ')}`);
  for (const n of plan.notes) lines.push('', `> ${n}`);
  lines.push('', "The active events.jsonl, today's YYYY-MM-DD.jsonl, files outside the telemetry folders, links and files with other names are never deleted.");
  return lines.join('\n');
}

/**
 * `agentTelemetry.applyRetention`: policy from the settings (adjustable), the exact plan shown
 * read-only, a modal confirmation with the total, then the deletion and a re-sync. With
 * `{policy, confirm: true}` no prompt is shown; with `{dryRun: true}` only the plan is returned.
 */
export async function applyRetentionCommand(
  service: IndexService,
  planDocs: PlanDocuments,
  log: vscode.LogOutputChannel,
  arg?: unknown,
): Promise<RetentionOutcome | undefined> {
  const a: RetentionArgs = arg && typeof arg === 'object' && !isTreeNode(arg) ? (arg as RetentionArgs) : {};
  const interactive = a.confirm !== true && a.dryRun !== true;
  let policy: RetentionPolicy | undefined = { ...policyFromSettings(), ...(a.policy ?? {}) };
  if (interactive && !a.policy) policy = await adjustPolicy(policy);
  if (!policy) return undefined;

  await service.ready();
  // Plan over an index in step with the disk.
  await service.requestSync();
  const dirs = [...service.directories];
  let uploadCursor: string | undefined;
  if (policy.onlyUploaded) {
    const endpoint = vscode.workspace.getConfiguration(SECTION).get<string>('upload.otlpEndpoint', '').trim();
    if (!endpoint) {
      void vscode.window.showErrorMessage('Agent Telemetry: retention limited to uploaded files needs the collector: set agentTelemetry.upload.otlpEndpoint (or turn off agentTelemetry.retention.onlyUploaded).');
      return undefined;
    }
    uploadCursor = uploadCursorFile(service.context, endpoint);
  }
  const plan = await service.request('retention/plan', { dirs, policy, now: Date.now(), ...(uploadCursor ? { uploadCursor } : {}) });
  if (a.dryRun) return { policy, plan, result: null };
  if (plan.files.length === 0 && plan.blobs.length === 0) {
    const notes = plan.notes.length ? ` ${plan.notes.join(' ')}` : '';
    void vscode.window.showInformationMessage(`Agent Telemetry: nothing to delete (${policySummary(policy)}).${notes}`);
    return { policy, plan, result: null };
  }
  if (interactive) {
    const doc = await vscode.workspace.openTextDocument(planDocs.show(planMarkdown(plan, policy)));
    await vscode.window.showTextDocument(doc, { preview: true });
    const ok = await vscode.window.showWarningMessage(
      `Delete ${plan.files.length} log files and ${plan.blobs.length} blobs (${mb(plan.totalBytes)})?`,
      { modal: true, detail: 'The list is in the "Retention Plan" editor. This cannot be undone. The active events.jsonl and today\'s YYYY-MM-DD.jsonl are never deleted.' },
      'Delete',
    );
    if (ok !== 'Delete') return { policy, plan, result: null };
  }
  const result = await service.request('retention/apply', { dirs, plan });
  for (const d of result.deleted) log.info(`retention: deleted ${d.path} (${d.bytes} bytes): ${d.reason}`);
  for (const s of result.skipped) log.warn(`retention: kept ${s.path}: ${s.reason}`);
  await service.requestSync({ all: true });
  const skipped = result.skipped.length ? `; ${result.skipped.length} skipped (see the log)` : '';
  void vscode.window.showInformationMessage(`Agent Telemetry: deleted ${result.deleted.length} files, ${mb(result.deletedBytes)}${skipped}.`);
  return { policy, plan, result };
}
