/** `agent-telemetry`: the command-line adapter over src/core. */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { discoverTelemetryDirs, expandLogDir, isDir, logRootOf } from '../core/source/discover';
import * as detail from '../core/query/detailQueries';
import { verifyDir } from '../core/ops/knosticChain';
import { exportLines } from '../core/ops/exportJsonl';
import { exportOtlp } from '../core/ops/otlpExport';
import { acknowledgedRuns, uploadOtlp } from '../core/ops/otlpUpload';
import { assertOutsideTelemetry, openIndexFile, saveIndexFile } from '../core/ingest/indexFile';
import { readUserPrices } from '../core/source/prices';
import { applyRetention, gatherRetentionInput, planRetention, type ApplyResult, type PlannedDeletion, type RetentionPlan, type RetentionPolicy } from '../core/ops/retention';
import { parseSince } from '../core/since';
import { loadSqlJs } from '../core/store/sqljs';
import * as summary from '../core/query/summaryQueries';
import * as answers from '../core/query/answers';
import { fileActivity } from '../core/query/fileActivity';
import { fileNameOf } from '../core/source/eventFields';
import { compare } from '../core/query/compare';
import { SearchQueryError } from '../core/query/fullSearch';
import { isLoopbackHost, TelemetryServer } from '../core/serve/server';
import { WorkerIndex } from './workerIndex';
import type { TelemetryIndex } from '../core/ingest/indexer';
import type { LlmCallUsage, RunUsage } from '../protocol/model';
import { checkFlags, intFlag, parseArgs, strFlag, USAGE, UsageError, type ParsedArgs } from './args';
import * as fmt from './format';
import { formatDuration } from '../protocol/format';
import { realOrNull, telemetryDirHolding } from '../core/source/confine';

interface Out {
  write(s: string): void;
}

/**
 * Runs the CLI; returns the exit code: 0 ok, 1 runtime error or a negative verdict (a command whose
 * answer is a verdict, like `verify`, says so in its Result), 2 usage error.
 */
export async function runCli(argv: string[], out: Out = process.stdout, err: Out = process.stderr, now = Date.now()): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
    if (args.flags.has('help') || args.command === 'help') {
      out.write(`${USAGE}\n`);
      return 0;
    }
    if (!args.command) throw new UsageError('no command given');
    if (!COMMANDS[args.command]) throw new UsageError(`unknown command "${args.command}"`);
  } catch (e) {
    err.write(`agent-telemetry: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const cmd = COMMANDS[args.command]!;
    checkFlags(args, cmd.flags, cmd.positionals);
    if (args.command === 'serve') return await serve(args, out, err);
    const dirs = resolveDirs(args);
    if (cmd.withoutIndex) {
      const result = cmd.withoutIndex(dirs);
      out.write(args.json ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.text}\n`);
      return result.exitCode ?? 0;
    }
    const { index, file } = await openAndSync(args, dirs, err);
    try {
      const result = await cmd.run(index, args, now, { dirs, indexFile: file });
      out.write(args.json ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.text}\n`);
      return result.exitCode ?? 0;
    } finally {
      index.close();
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`agent-telemetry: ${e.message}\n`);
      return 2;
    }
    err.write(`agent-telemetry: ${(e as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}

function resolveDirs(args: ParsedArgs): string[] {
  if (args.dirs.length) {
    for (const d of args.dirs) {
      if (!isDir(d)) throw new Error(`--dir ${d}: not a directory`);
    }
    return [...new Set(args.dirs.flatMap((d) => expandLogDir(path.resolve(d))))];
  }
  const found = discoverTelemetryDirs(os.homedir());
  if (!found.length) throw new Error('no agent telemetry found under ~/.openclaw ($OPENCLAW_STATE_DIR), ~/.clawdbot, ~/.claude or ~/.codex (give a folder with --dir DIR)');
  return found;
}

/** Where `upload` remembers what a collector acknowledged: per set of folders and endpoint. */
function defaultCursorFile(dirs: string[], endpoint: string): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const tag = createHash('sha1').update([...dirs].sort().join('\n')).update(`\n${endpoint}`).digest('hex').slice(0, 12);
  return path.join(cache, 'agent-telemetry', `upload-${tag}.json`);
}

function defaultIndexFile(dirs: string[]): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  // Keyed by the folders as named, so a new nested day folder does not start a new index.
  const tag = createHash('sha1').update([...new Set(dirs.map(logRootOf))].sort().join('\n')).digest('hex').slice(0, 12);
  return path.join(cache, 'agent-telemetry', `index-${tag}.sqlite`);
}

async function openAndSync(args: ParsedArgs, dirs: string[], err: Out): Promise<{ index: TelemetryIndex; file: string | null }> {
  const file = args.noIndex ? null : (args.index ?? defaultIndexFile(dirs));
  if (file) assertOutsideTelemetry(file, dirs);
  const sql = await loadSqlJs();
  const { index, rebuildReason } = openIndexFile(sql, file);
  if (rebuildReason) err.write(`agent-telemetry: ${rebuildReason}; rebuilding from the logs\n`);
  usePriceFile(index, args, err);
  await index.sync(dirs, { sliceMs: 0 });
  if (file && index.dirty) saveIndexFile(index, file);
  return { index, file };
}

/** `--prices FILE`: the index prices with it; what is wrong with the file is said, never fatal. */
function usePriceFile(index: TelemetryIndex, args: ParsedArgs, err: Out): void {
  if (!args.prices) return;
  const file = readUserPrices(path.resolve(args.prices));
  for (const p of file.problems) err.write(`agent-telemetry: price file ${p}\n`);
  index.setPrices(file);
}

interface Result {
  json: unknown;
  text: string;
  /** For commands whose answer is a verdict: 1 when it is negative (the output is printed either way). Default 0. */
  exitCode?: number;
}

/** What some commands need beyond the index: the directories, and the index file to save after a change. */
interface Context {
  dirs: string[];
  indexFile: string | null;
}

interface Command {
  flags: string[];
  positionals: number;
  run(index: TelemetryIndex, args: ParsedArgs, now: number, ctx: Context): Result | Promise<Result>;
  /** Commands that read the files themselves, without the index (`run` is then not used). */
  withoutIndex?(dirs: string[]): Result;
}

const since = (args: ParsedArgs, now: number, flag = 'since') => {
  const v = strFlag(args, flag);
  if (v === undefined) return undefined;
  try {
    return parseSince(v, now);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
};

const COMMANDS: Record<string, Command> = {
  serve: {
    flags: ['host', 'port', 'receive-dir', 'token', 'allow-remote'],
    positionals: 0,
    run() {
      throw new Error('serve runs until stopped');
    },
  },
  verify: {
    flags: [],
    positionals: 0,
    run() {
      throw new Error('verify reads the files directly');
    },
    withoutIndex(dirs) {
      const list = dirs.map((dir) => ({ dir, ...verifyDir(dir) }));
      const text = list.map((v) => {
        if (v.verdict === 'absent') return `${v.dir}: no hash chain`;
        if (v.verdict === 'verified') return `${v.dir}: verified (${v.events} events, ${v.segments} segment${v.segments === 1 ? '' : 's'})`;
        return `${v.dir}: BROKEN at ${v.at!.file}:${v.at!.line} (${v.at!.reason}; ${v.events} events verified before it)`;
      });
      // A script or CI step relies on the exit code: any broken chain fails; verified or no chain passes.
      return { json: list, text: text.join('\n'), exitCode: list.some((v) => v.verdict === 'broken') ? 1 : 0 };
    },
  },
  stats: {
    flags: ['since'],
    positionals: 0,
    run(ix, args, now) {
      const st = summary.stats(ix.db, { since: since(args, now) });
      const kinds = Object.entries(st.byKind).map(([k, v]) => [k, v]);
      const text = [
        `events ${st.events} · sessions ${st.sessions} · runs ${st.runs} · tool calls ${st.toolCalls} · LLM calls ${st.llmCalls}`,
        `errors: ${st.errors.runs} failed runs, ${st.errors.tools} failed tool calls`,
        `tokens ${fmt.tokens(st.tokens)} (in ${st.tokens.input}, out ${st.tokens.output}, cache read ${st.tokens.cacheRead}, cache write ${st.tokens.cacheWrite}) · cost ${fmt.usd(st.costUsd)}`,
        `formats: ${Object.entries(st.byFormat).map(([f, c]) => `${f} ${c}`).join(' · ') || 'none'}`,
        ...(st.seed001 ? [`local app telemetry: sessions ${st.seed001.sessions} · chat turns ${st.seed001.chatTurns} · proposals approved ${st.seed001.proposalsApproved}/${st.seed001.proposalsTotal} · errors ${st.seed001.errors}`] : []),
        '',
        fmt.table(['kind', 'events'], kinds),
        st.problems.length ? `\n${st.problems.length} index problem(s): run \`agent-telemetry problems\`` : '',
      ].join('\n');
      return { json: st, text: text.trimEnd() };
    },
  },
  problems: {
    flags: [],
    positionals: 0,
    run(ix) {
      const list = summary.problems(ix.db);
      return { json: list, text: list.length ? list.map((p) => `${p.file}:${p.line} (byte ${p.byteOffset}): ${p.reason}`).join('\n') : 'no problems' };
    },
  },
  sessions: {
    flags: ['agent', 'since', 'limit'],
    positionals: 0,
    run(ix, args, now) {
      const list = answers.sessionsAnswer(ix.db, { agent: strFlag(args, 'agent'), since: since(args, now), limit: intFlag(args, 'limit') });
      const rows = list.map((x) => [x.sessionKey, x.agentId ?? '—', fmt.time(x.lastTs), x.runCount, x.toolCallCount, `${x.failedRunCount}/${x.toolErrorCount}`, fmt.tokens(x.tokens), fmt.usd(x.costUsd)]);
      return { json: list, text: list.length ? fmt.table(['session', 'agent', 'last activity', 'runs', 'tools', 'errors run/tool', 'tokens', 'cost'], rows) : 'no sessions' };
    },
  },
  replay: {
    flags: ['run', 'since', 'expand-blobs'],
    positionals: 1,
    run(ix, args, now) {
      const key = args.positional[0]!;
      const events = answers.replayAnswer(ix.db, key, { runId: strFlag(args, 'run'), since: since(args, now), expandBlobs: args.flags.has('expand-blobs') });
      return { json: events, text: fmt.timeline(key, events) + blobText(events) };
    },
  },
  tools: {
    flags: ['name', 'errors-only', 'expand-blobs'],
    positionals: 1,
    run(ix, args) {
      const runId = args.positional[0]!;
      const list = answers.toolsAnswer(ix.db, runId, { name: strFlag(args, 'name'), errorsOnly: args.flags.has('errors-only'), expandBlobs: args.flags.has('expand-blobs') });
      const rows = list.map((t) => [
        fmt.time(t.startedTs ?? t.endedTs), t.toolName, formatDuration(t.durationMs), t.isError ? `✗ ${t.error ?? ''}` : 'ok', t.filePath ?? t.execCommand ?? '',
        t.blobs.length ? `${t.blobs.length} blob(s)` : '', (t.tokensAdded ?? 0).toLocaleString('en-US'), fmt.usd(t.costUsd ?? 0), fmt.usd(t.carriedCostUsd ?? 0),
      ]);
      return { json: list, text: list.length ? fmt.table(['started', 'tool', 'duration', 'outcome', 'target', 'blobs', 'tokens added', 'cost', 're-read cost'], rows) : 'no tool calls' };
    },
  },
  run: {
    flags: [],
    positionals: 1,
    run(ix, args) {
      const r = answers.runAnswer(ix.db, args.positional[0]!);
      const text = [
        `run ${r.runId} · session ${r.sessionKey ?? '—'} · agent ${r.agentId ?? '—'} · model ${r.model ?? '—'}`,
        `started ${fmt.time(r.startedTs)} · ${formatDuration(r.durationMs)} · ${r.error ? `failed: ${r.error.message}` : (r.stopReason ?? 'running')}`,
        `${r.llmCalls} LLM calls · ${r.toolCallCount} tool calls (${r.toolErrorCount} failed) · ${fmt.tokens(r.tokens)} tokens · ${fmt.usd(r.costUsd)}`,
      ].join('\n');
      return { json: r, text };
    },
  },
  files: {
    flags: ['run'],
    positionals: 1,
    run(ix, args) {
      const list = answers.filesAnswer(ix.db, { sessionKey: args.positional[0]!, runId: strFlag(args, 'run') });
      const rows = list.map((f) => [fmt.time(f.ts), f.toolName, f.isError ? 'error' : 'ok', f.filePath]);
      return { json: list, text: list.length ? fmt.table(['time', 'tool', 'outcome', 'file'], rows) : 'no file operations' };
    },
  },
  'files-touched': {
    flags: ['workspace'],
    positionals: 1,
    run(ix, args) {
      const file = path.resolve(args.positional[0]!);
      const workspace = path.resolve(strFlag(args, 'workspace') ?? process.cwd());
      const a = fileActivity(ix.db, { file, sameName: filesNamed(workspace, fileNameOf(file)), exists: existsSync });
      if (!a.operationCount) return { json: a, text: `${file}: no agent run touched it` };
      const ops = (['edit', 'write', 'read', 'other'] as const).filter((o) => a.byOp[o]).map((o) => `${a.byOp[o]} ${o}${a.byOp[o] === 1 ? '' : 's'}`);
      const rows = a.operations.map((o) => [fmt.time(o.ts), o.op, o.toolName, o.isError ? 'error' : 'ok', o.sessionKey ?? '—', o.runId ?? '—', o.agentId ?? '—', o.filePath]);
      const text = [
        `${file}: ${a.runCount} agent run${a.runCount === 1 ? '' : 's'} in ${a.sessionCount} session${a.sessionCount === 1 ? '' : 's'} (${ops.join(', ')}), last ${fmt.time(a.lastTs)}`,
        `recorded as: ${a.recordedPaths.map((r) => `${r.path}${r.shared === 1 ? ' (by name only)' : ''}`).join(', ')}`,
        '',
        fmt.table(['time', 'op', 'tool', 'outcome', 'session', 'run', 'agent', 'recorded path'], rows),
      ].join('\n');
      return { json: a, text };
    },
  },
  usage: {
    flags: ['per-call'],
    positionals: 1,
    run(ix, args) {
      const runId = args.positional[0]!;
      if (args.flags.has('per-call')) {
        const calls = answers.usageAnswer(ix.db, runId, true) as LlmCallUsage[];
        const rows = calls.map((c) => [`#${c.callIndex}`, fmt.clock(c.ts), c.model ?? '—', `+${c.delta.input}/+${c.delta.output}`, `${c.delta.cacheRead}/${c.delta.cacheWrite}`, c.cumulative.total, c.context.limit ? `${((100 * (c.context.used ?? 0)) / c.context.limit).toFixed(1)}%` : '—', fmt.usd(c.costUsd), c.costSource ?? 'unknown']);
        return { json: calls, text: fmt.table(['call', 'time', 'model', 'in/out', 'cache r/w', 'cumulative', 'context', 'cost', 'cost source'], rows) };
      }
      const u = answers.usageAnswer(ix.db, runId, false) as RunUsage;
      return { json: u, text: `run ${runId}: ${u.calls} LLM calls · ${fmt.tokens(u.tokens)} tokens (in ${u.tokens.input}, out ${u.tokens.output}, cache read ${u.tokens.cacheRead}, cache write ${u.tokens.cacheWrite}) · ${fmt.usd(u.costUsd)}${u.context.limit ? ` · peak context ${u.context.used}/${u.context.limit}` : ''}` };
    },
  },
  search: {
    flags: ['limit'],
    positionals: 1,
    run(ix, args, _now, ctx) {
      // What the last sync added is made searchable first (a first run over a large folder takes a while).
      ix.fillSearch({ maxMs: Infinity });
      if (ctx.indexFile && ix.dirty) saveIndexFile(ix, ctx.indexFile);
      let r;
      try {
        r = answers.searchAnswer(ix.db, args.positional[0]!, { limit: intFlag(args, 'limit') });
      } catch (e) {
        if (e instanceof SearchQueryError) throw new UsageError(e.message);
        throw e;
      }
      return { json: r, text: fmt.searchHits(r) };
    },
  },
  subagents: {
    flags: [],
    positionals: 1,
    run(ix, args) {
      knownSession(ix, args.positional[0]!);
      const tree = detail.subagents(ix.db, args.positional[0]!);
      const lines = [tree.sessionKey];
      const walk = (nodes: typeof tree.children, indent: string) => {
        nodes.forEach((c, i) => {
          const last = i === nodes.length - 1;
          lines.push(`${indent}${last ? '└─' : '├─'} ${c.sessionKey} [${c.agentId ?? '—'}] ${c.label ? `"${c.label}" ` : ''}${c.outcome ?? 'running'} ${formatDuration(c.durationMs)}`);
          walk(c.children, indent + (last ? '   ' : '│  '));
        });
      };
      walk(tree.children, '');
      return { json: tree, text: lines.join('\n') };
    },
  },
  errors: {
    flags: ['since'],
    positionals: 0,
    run(ix, args, now) {
      const list = summary.listErrors(ix.db, { since: since(args, now) });
      const rows = list.map((e) => [fmt.time(e.ts), e.source, e.sessionKey ?? '—', e.runId ?? '—', e.message.replace(/\s+/g, ' ').slice(0, 80)]);
      return { json: list, text: list.length ? fmt.table(['time', 'source', 'session', 'run', 'message'], rows) : 'no errors' };
    },
  },
  costs: {
    flags: ['group-by'],
    positionals: 0,
    run(ix, args) {
      const by = strFlag(args, 'group-by') ?? 'model';
      if (!(summary.COST_GROUPS as readonly string[]).includes(by)) throw new UsageError(`--group-by takes ${summary.COST_GROUPS.join(', ')}`);
      const list = summary.costs(ix.db, by as summary.CostGroup);
      if (by === 'tool') {
        const rows = list.map((c) => [c.key, c.calls, fmt.tokens(c.tokens), fmt.usd(c.costUsd), c.firstCostUsd === undefined ? '—' : fmt.usd(c.firstCostUsd), c.carriedCostUsd === undefined ? '—' : fmt.usd(c.carriedCostUsd)]);
        return { json: list, text: fmt.table(['tool', 'tool calls', 'tokens added', 'cost', 'entering', 're-reads'], rows) };
      }
      if (by === 'tool,model') {
        const rows = list.map((c) => [c.key, c.calls, fmt.usd(c.costUsd)]);
        return { json: list, text: fmt.table(['tool · model', 'tool calls', 'cost'], rows) };
      }
      const rows = list.map((c) => [c.key, c.calls, fmt.tokens(c.tokens), fmt.usd(c.costUsd)]);
      return { json: list, text: fmt.table([by, 'calls', 'tokens', 'cost'], rows) };
    },
  },
  compare: {
    flags: [],
    positionals: 2,
    run(ix, args) {
      const c = compare(ix.db, args.positional[0]!, args.positional[1]!);
      return { json: c, text: fmt.comparison(c) };
    },
  },
  upload: {
    flags: ['otlp-endpoint', 'token', 'batch', 'cursor', 'max-retries'],
    positionals: 0,
    async run(ix, args, _now, ctx) {
      const endpoint = strFlag(args, 'otlp-endpoint');
      if (!endpoint) throw new UsageError('upload needs --otlp-endpoint URL');
      if (!/^https?:\/\//.test(endpoint)) throw new UsageError('--otlp-endpoint must be an http:// or https:// URL');
      const cursorFile = path.resolve(strFlag(args, 'cursor') ?? defaultCursorFile(ctx.dirs, endpoint));
      mkdirSync(path.dirname(cursorFile), { recursive: true });
      const r = await uploadOtlp(ix.db, {
        endpoint,
        cursorFile,
        token: strFlag(args, 'token') ?? process.env.AGENT_TELEMETRY_TOKEN ?? undefined,
        batchSpans: intFlag(args, 'batch') ?? 50,
        maxRetries: intFlag(args, 'max-retries'),
        log: (l) => process.stderr.write(`agent-telemetry ${l}\n`),
      });
      const rejected = r.rejectedSpans ? `; the collector rejected ${r.rejectedSpans} span(s)` : '';
      return { json: { endpoint, cursor: cursorFile, ...r }, text: `uploaded ${r.spans} spans of ${r.runs} run(s) in ${r.requests} request(s) to ${endpoint} (${r.retries} retries)${rejected}; cursor ${cursorFile}` };
    },
  },
  export: {
    flags: ['out', 'session', 'run', 'since', 'until', 'redact-pii', 'format'],
    positionals: 0,
    async run(ix, args, now, ctx) {
      const out = strFlag(args, 'out');
      if (!out) throw new UsageError('export needs --out FILE');
      const format = strFlag(args, 'format') ?? 'jsonl';
      if (format !== 'jsonl' && format !== 'otlp') throw new UsageError('--format takes jsonl or otlp');
      if (format === 'otlp') return exportOtlpFile(ix, args, out, ctx);
      const selection = {
        sessionKey: strFlag(args, 'session'),
        runId: strFlag(args, 'run'),
        since: since(args, now),
        until: since(args, now, 'until'),
      };
      if (selection.since !== undefined && selection.until !== undefined && selection.until <= selection.since) {
        throw new UsageError('--until must be after --since');
      }
      assertOutputOutside(out, ctx.dirs);
      if (selection.sessionKey !== undefined) knownSession(ix, selection.sessionKey);
      if (selection.runId !== undefined) knownRun(ix, selection.runId);
      let result: Awaited<ReturnType<typeof exportLines>> | undefined;
      await writeAtomically(path.resolve(out), async (write) => {
        result = await exportLines(ix.db, selection, write, undefined, { redactPii: args.flags.has('redact-pii') });
      });
      const r = result!;
      const json = { out: path.resolve(out), ...r };
      const skipped = r.skipped ? `; ${r.skipped} line(s) changed since indexing were skipped (re-index to refresh)` : '';
      const redacted = r.redacted !== undefined ? `; e-mail addresses redacted in ${r.redacted} line(s)` : '';
      return { json, text: `exported ${r.events} events (${r.bytes} bytes) from ${r.files} file(s) to ${path.resolve(out)}${skipped}${redacted}` };
    },
  },
  prune: {
    flags: ['max-age-days', 'max-size-mb', 'max-sessions', 'orphan-blobs', 'before', 'apply', 'only-uploaded', 'otlp-endpoint', 'cursor'],
    positionals: 0,
    async run(ix, args, now, ctx) {
      const policy: RetentionPolicy = {
        maxAgeDays: intFlag(args, 'max-age-days') ?? 0,
        maxSizeMb: intFlag(args, 'max-size-mb') ?? 0,
        maxSessions: intFlag(args, 'max-sessions') ?? 0,
        orphanBlobs: args.flags.has('orphan-blobs'),
      };
      const before = since(args, now, 'before');
      if (before !== undefined) policy.beforeDate = before;
      if (args.flags.has('only-uploaded')) policy.onlyUploaded = true;
      if (!policy.maxAgeDays && !policy.maxSizeMb && !policy.maxSessions && !policy.orphanBlobs && policy.beforeDate === undefined && !policy.onlyUploaded) {
        throw new UsageError('prune needs a policy: --max-age-days N, --max-size-mb N, --max-sessions N, --before DATE, --orphan-blobs and/or --only-uploaded');
      }
      const input = gatherRetentionInput(ix.db, ctx.dirs, now);
      if (policy.onlyUploaded) {
        // The cursor `upload` keeps for these folders and endpoint (or the one named).
        const endpoint = strFlag(args, 'otlp-endpoint');
        const named = strFlag(args, 'cursor');
        if (!named && !endpoint) throw new UsageError('--only-uploaded needs the upload it relies on: --otlp-endpoint URL (as given to upload) or --cursor FILE');
        const cursorFile = path.resolve(named ?? defaultCursorFile(ctx.dirs, endpoint!));
        if (!existsSync(cursorFile)) throw new Error(`no upload cursor at ${cursorFile}: nothing was uploaded there yet, so nothing may be deleted`);
        input.acknowledgedRuns = [...acknowledgedRuns(ix.db, cursorFile)];
      } else {
        for (const f of ['otlp-endpoint', 'cursor']) if (args.flags.has(f)) throw new UsageError(`--${f} goes with --only-uploaded`);
      }
      const plan = planRetention(input, policy, now);
      if (!args.flags.has('apply')) {
        return { json: { policy, plan, applied: false }, text: `${planText(plan, policy)}\n\nDry run: nothing was deleted. Add --apply to delete these files.` };
      }
      const result = applyRetention(plan, ctx.dirs, now);
      // The index follows: the deleted files' events leave it.
      const sync = await ix.sync(ctx.dirs, { sliceMs: 0 });
      if (ctx.indexFile && ix.dirty) saveIndexFile(ix, ctx.indexFile);
      return {
        json: { policy, plan, applied: true, result, index: { removedEvents: sync.removed } },
        text: `${planText(plan, policy)}\n\n${applyText(result, sync.removed)}`,
      };
    },
  },
};

/**
 * `serve`: the telemetry server over the --dir folders (the discovered ones by default, possibly
 * none) and the receive folder, until SIGINT/SIGTERM (or `stop` aborts, for an embedding caller).
 */
async function serve(args: ParsedArgs, out: Out, err: Out, stop?: AbortSignal): Promise<number> {
  const dirs = args.dirs.length ? resolveDirs(args) : discoverTelemetryDirs(os.homedir());
  const dataHome = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  const receiveDir = path.resolve(strFlag(args, 'receive-dir') ?? path.join(dataHome, 'agent-telemetry', 'received'));
  const port = intFlag(args, 'port') ?? 4318;
  if (port > 65535) throw new UsageError('--port must be 0..65535');
  const host = strFlag(args, 'host') ?? '127.0.0.1';
  const token = strFlag(args, 'token') ?? process.env.AGENT_TELEMETRY_TOKEN ?? undefined;
  const allowRemote = args.flags.has('allow-remote');
  if (!isLoopbackHost(host) && !allowRemote) throw new UsageError(`--host ${host} is not a loopback address: add --allow-remote and a token to listen on it`);
  if (!isLoopbackHost(host) && !token) throw new UsageError(`--host ${host} needs a bearer token: --token TOKEN or AGENT_TELEMETRY_TOKEN`);
  const all = [...dirs, path.join(receiveDir, 'otlp'), path.join(receiveDir, 'flowcore')];
  const file = args.noIndex ? null : (args.index ?? defaultIndexFile(all));
  if (file) assertOutsideTelemetry(file, all);
  // The index lives in a worker thread: receiving and appending here never wait behind indexing.
  const say = (l: string) => err.write(`agent-telemetry serve: ${l}\n`);
  let crashed: Error | null = null;
  let crash = (): void => undefined;
  const { index, rebuildReason } = await WorkerIndex.open({
    file,
    dirs: all,
    priceFile: args.prices ? path.resolve(args.prices) : null,
    log: say,
    onCrash: (e) => {
      crashed = e;
      crash();
    },
  });
  if (rebuildReason) err.write(`agent-telemetry: ${rebuildReason}; rebuilding from the logs\n`);
  // Receiving runs ahead of indexing; the index catches up at once (no delay to keep it off this thread).
  const server = new TelemetryServer({ index, dirs, receiveDir, host, port, token, allowRemote, indexFile: null, writeSyncDelayMs: 0, log: say });
  try {
    await server.start();
    const { url } = server.address;
    out.write(
      [
        `agent-telemetry serve: listening on ${url}`,
        `  read API        ${url}/telemetry/sessions`,
        `  OTLP/HTTP       ${url}/v1/traces   (OTEL_EXPORTER_OTLP_ENDPOINT=${url})`,
        `  FlowCore        ${url}/api/telemetry/batch`,
        `  received data   ${receiveDir}`,
        `  indexing        ${[...dirs, receiveDir].join(', ')}`,
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      crash = done;
      if (crashed) done();
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      stop?.addEventListener('abort', done);
    });
  } finally {
    // Whatever is not indexed yet is on disk: the next start indexes it.
    index.stopSyncing();
    await server.stop();
    await index.close();
  }
  if (crashed) {
    err.write(`agent-telemetry serve: the index worker stopped (${(crashed as Error).message}); the received files are kept\n`);
    return 1;
  }
  return 0;
}

/** `export --format otlp`: a session's runs (or one run) as OTLP/JSON traces, one request per line. */
async function exportOtlpFile(ix: TelemetryIndex, args: ParsedArgs, out: string, ctx: Context): Promise<Result> {
  for (const f of ['since', 'until', 'redact-pii']) if (args.flags.has(f)) throw new UsageError(`--format otlp does not take --${f}`);
  const sel = { sessionKey: strFlag(args, 'session'), runId: strFlag(args, 'run') };
  if (sel.sessionKey === undefined && sel.runId === undefined) throw new UsageError('--format otlp needs --session KEY or --run RUN');
  assertOutputOutside(out, ctx.dirs);
  if (sel.sessionKey !== undefined) knownSession(ix, sel.sessionKey);
  if (sel.runId !== undefined) answers.runAnswer(ix.db, sel.runId);
  let r: ReturnType<typeof exportOtlp> | undefined;
  await writeAtomically(path.resolve(out), async (write) => {
    r = exportOtlp(ix.db, sel, write);
  });
  const json = { out: path.resolve(out), format: 'otlp', ...r! };
  return { json, text: `exported ${r!.runs} run(s) as ${r!.spans} OTLP spans (${r!.bytes} bytes) to ${path.resolve(out)}` };
}

/** Throws when `file` (or, through links, where it would be written) is inside a telemetry directory. */
function assertOutputOutside(file: string, dirs: string[]): void {
  if (realOrNull(path.dirname(path.resolve(file))) === null) throw new Error(`--out ${file}: its folder does not exist`);
  const d = telemetryDirHolding(file, dirs);
  if (d !== null) throw new UsageError(`--out ${file} is inside the telemetry directory ${d}: write the export somewhere else`);
}

/** Streams an export into a temporary file beside `out`, flushed, then renamed over it. */
async function writeAtomically(out: string, fill: (write: (chunk: Buffer) => void) => Promise<void>): Promise<void> {
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'wx');
  let ok = false;
  try {
    await fill((chunk) => {
      let at = 0;
      while (at < chunk.length) at += writeSync(fd, chunk, at, chunk.length - at);
    });
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) rmSync(tmp, { force: true });
  }
  renameSync(tmp, out);
}

function bytesText(b: number): string {
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KB`;
  return `${(b / (1024 * 1024)).toFixed(1)} MB`;
}

function policyText(p: RetentionPolicy): string {
  return [
    `age ${p.maxAgeDays ? `> ${p.maxAgeDays} days` : 'off'}`,
    `size ${p.maxSizeMb ? `> ${p.maxSizeMb} MB per directory` : 'off'}`,
    `sessions ${p.maxSessions ? `> ${p.maxSessions}` : 'off'}`,
    `orphan blobs ${p.orphanBlobs ? 'on' : 'off'}`,
    ...(p.beforeDate !== undefined ? [`before ${new Date(p.beforeDate).toISOString()}`] : []),
    ...(p.onlyUploaded ? ['only files the OTLP upload acknowledged'] : []),
  ].join(' · ');
}

function deletionRows(items: PlannedDeletion[]): string {
  return fmt.table(['size', 'path', 'reason'], items.map((i) => [bytesText(i.bytes), i.path, i.reason]));
}

function planText(plan: RetentionPlan, policy: RetentionPolicy): string {
  const lines = [`Retention plan (${policyText(policy)})`, ''];
  lines.push(plan.files.length ? `Log files to delete (${plan.files.length}):\n${deletionRows(plan.files)}` : 'Log files to delete: none');
  lines.push('');
  lines.push(plan.blobs.length ? `Blobs to delete (${plan.blobs.length}):\n${deletionRows(plan.blobs)}` : 'Blobs to delete: none');
  lines.push('', `Total: ${plan.files.length} files and ${plan.blobs.length} blobs, ${plan.totalBytes} bytes (${bytesText(plan.totalBytes)})`);
  if (plan.sessionsRemoved.length) lines.push(`Sessions that will be gone (${plan.sessionsRemoved.length}): ${plan.sessionsRemoved.join(', ')}`);
  for (const note of plan.notes) lines.push(`Note: ${note}`);
  return lines.join('\n');
}

function applyText(r: ApplyResult, removedEvents: number): string {
  const lines = [r.deleted.length ? `Deleted (${r.deleted.length}):\n${deletionRows(r.deleted)}` : 'Deleted: nothing'];
  if (r.skipped.length) lines.push('', `Skipped (${r.skipped.length}):`, ...r.skipped.map((s) => `  ${s.path}: ${s.reason}`));
  lines.push('', `Freed ${r.deletedBytes} bytes (${bytesText(r.deletedBytes)}); ${removedEvents} events left the index.`);
  return lines.join('\n');
}

/** A runtime error (exit 1) when the index has no events for the session. */
/**
 * The files named `name` under `root` (what competes with the file asked about for a recorded
 * path); dependency and VCS folders are skipped, and the walk stops after `maxDirs` folders.
 */
function filesNamed(root: string, name: string, maxDirs = 20_000): string[] {
  const found: string[] = [];
  const queue = [root];
  for (let seen = 0; queue.length && seen < maxDirs; seen++) {
    const dir = queue.shift()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== '.git') queue.push(path.join(dir, e.name));
      } else if (e.isFile() && e.name === name) {
        found.push(path.join(dir, e.name));
      }
    }
  }
  return found;
}

function knownSession(ix: TelemetryIndex, key: string): void {
  answers.knownSession(ix.db, key);
}

/** A runtime error (exit 1) when the index has no events of the run. */
function knownRun(ix: TelemetryIndex, runId: string): void {
  answers.knownRun(ix.db, runId);
}

function blobText(events: ReturnType<typeof detail.replay>): string {
  const parts: string[] = [];
  for (const e of events) {
    for (const b of e.blobs ?? []) {
      parts.push(`\n── blob ${b.id} (${b.role}, ${b.size ?? '?'} bytes, hash ${b.hashOk === null ? 'not checked' : b.hashOk ? 'ok' : 'MISMATCH'}) of ${e.id}`);
      parts.push(b.content ?? `[${b.error ?? 'not readable'}]`);
    }
  }
  return parts.join('\n');
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
