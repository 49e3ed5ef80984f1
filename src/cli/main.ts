/** `agent-telemetry`: the command-line adapter over src/core. */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { discoverTelemetryDirs, isDir } from '../core/discover';
import * as detail from '../core/detailQueries';
import { assertOutsideTelemetry, openIndexFile, saveIndexFile } from '../core/indexFile';
import { parseSince } from '../core/sql';
import { loadSqlJs } from '../core/sqljs';
import * as summary from '../core/summaryQueries';
import type { TelemetryIndex } from '../core/indexer';
import { checkFlags, intFlag, parseArgs, strFlag, USAGE, UsageError, type ParsedArgs } from './args';
import * as fmt from './format';

interface Out {
  write(s: string): void;
}

/** Runs the CLI; returns the exit code (0 ok, 1 runtime error, 2 usage error). */
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
    const dirs = resolveDirs(args);
    const index = await openAndSync(args, dirs, err);
    try {
      const result = cmd.run(index, args, now);
      out.write(args.json ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.text}\n`);
    } finally {
      index.close();
    }
    return 0;
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
    return args.dirs.map((d) => path.resolve(d));
  }
  const found = discoverTelemetryDirs(os.homedir());
  if (!found.length) throw new Error('no telemetry directories found under ~/.openclaw (give one with --dir DIR)');
  return found;
}

function defaultIndexFile(dirs: string[]): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const tag = createHash('sha1').update([...dirs].sort().join('\n')).digest('hex').slice(0, 12);
  return path.join(cache, 'agent-telemetry', `index-${tag}.sqlite`);
}

async function openAndSync(args: ParsedArgs, dirs: string[], err: Out): Promise<TelemetryIndex> {
  const file = args.noIndex ? null : (args.index ?? defaultIndexFile(dirs));
  if (file) assertOutsideTelemetry(file, dirs);
  const sql = await loadSqlJs();
  const { index, rebuildReason } = openIndexFile(sql, file);
  if (rebuildReason) err.write(`agent-telemetry: ${rebuildReason}; rebuilding from the logs\n`);
  await index.sync(dirs, { sliceMs: 0 });
  if (file && index.dirty) saveIndexFile(index, file);
  return index;
}

interface Result {
  json: unknown;
  text: string;
}

interface Command {
  flags: string[];
  positionals: number;
  run(index: TelemetryIndex, args: ParsedArgs, now: number): Result;
}

const since = (args: ParsedArgs, now: number) => {
  const v = strFlag(args, 'since');
  if (v === undefined) return undefined;
  try {
    return parseSince(v, now);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
};

const COMMANDS: Record<string, Command> = {
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
      const list = summary.listSessions(ix.db, { agent: strFlag(args, 'agent'), since: since(args, now), limit: intFlag(args, 'limit') ?? 20 });
      const rows = list.map((x) => [x.sessionKey, x.agentId ?? '—', fmt.time(x.lastTs), x.runCount, x.toolCallCount, `${x.errorCount}/${x.toolErrorCount}`, fmt.tokens(x.tokens), fmt.usd(x.costUsd)]);
      return { json: list, text: list.length ? fmt.table(['session', 'agent', 'last activity', 'runs', 'tools', 'errors run/tool', 'tokens', 'cost'], rows) : 'no sessions' };
    },
  },
  replay: {
    flags: ['run', 'since', 'expand-blobs'],
    positionals: 1,
    run(ix, args, now) {
      const key = args.positional[0]!;
      const events = detail.replay(ix.db, key, { runId: strFlag(args, 'run'), since: since(args, now), expandBlobs: args.flags.has('expand-blobs') });
      if (!events.length) throw new Error(`no events for session ${key}${strFlag(args, 'run') ? ` and run ${strFlag(args, 'run')}` : ''}`);
      return { json: events, text: fmt.timeline(key, events) + blobText(events) };
    },
  },
  tools: {
    flags: ['name', 'errors-only', 'expand-blobs'],
    positionals: 1,
    run(ix, args) {
      const runId = args.positional[0]!;
      knownRun(ix, runId);
      const list = detail.tools(ix.db, runId, { name: strFlag(args, 'name'), errorsOnly: args.flags.has('errors-only'), expandBlobs: args.flags.has('expand-blobs') });
      const rows = list.map((t) => [fmt.time(t.startedTs ?? t.endedTs), t.toolName, fmt.duration(t.durationMs), t.isError ? `✗ ${t.error ?? ''}` : 'ok', t.filePath ?? t.execCommand ?? '', t.blobs.length ? `${t.blobs.length} blob(s)` : '']);
      return { json: list, text: list.length ? fmt.table(['started', 'tool', 'duration', 'outcome', 'target', 'blobs'], rows) : 'no tool calls' };
    },
  },
  files: {
    flags: ['run'],
    positionals: 1,
    run(ix, args) {
      const key = args.positional[0]!;
      knownSession(ix, key);
      const runId = strFlag(args, 'run');
      if (runId !== undefined) knownRun(ix, runId);
      const list = detail.files(ix.db, key, { runId });
      const rows = list.map((f) => [fmt.time(f.ts), f.toolName, f.isError ? 'error' : 'ok', f.filePath]);
      return { json: list, text: list.length ? fmt.table(['time', 'tool', 'outcome', 'file'], rows) : 'no file operations' };
    },
  },
  usage: {
    flags: ['per-call'],
    positionals: 1,
    run(ix, args) {
      const runId = args.positional[0]!;
      if (args.flags.has('per-call')) {
        const calls = detail.usagePerCall(ix.db, runId);
        if (!calls.length && !detail.usage(ix.db, runId)) throw new Error(`no run ${runId}`);
        const rows = calls.map((c) => [`#${c.callIndex}`, fmt.clock(c.ts), c.model ?? '—', `+${c.delta.input}/+${c.delta.output}`, `${c.delta.cacheRead}/${c.delta.cacheWrite}`, c.cumulative.total, c.context.limit ? `${((100 * (c.context.used ?? 0)) / c.context.limit).toFixed(1)}%` : '—', fmt.usd(c.costUsd)]);
        return { json: calls, text: fmt.table(['call', 'time', 'model', 'in/out', 'cache r/w', 'cumulative', 'context', 'cost'], rows) };
      }
      const u = detail.usage(ix.db, runId);
      if (!u) throw new Error(`no run ${runId}`);
      return { json: u, text: `run ${runId}: ${u.calls} LLM calls · ${fmt.tokens(u.tokens)} tokens (in ${u.tokens.input}, out ${u.tokens.output}, cache read ${u.tokens.cacheRead}, cache write ${u.tokens.cacheWrite}) · ${fmt.usd(u.costUsd)}${u.context.limit ? ` · peak context ${u.context.used}/${u.context.limit}` : ''}` };
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
          lines.push(`${indent}${last ? '└─' : '├─'} ${c.sessionKey} [${c.agentId ?? '—'}] ${c.label ? `"${c.label}" ` : ''}${c.outcome ?? 'running'} ${fmt.duration(c.durationMs)}`);
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
      if (!['model', 'provider', 'agent', 'session', 'day'].includes(by)) throw new UsageError('--group-by takes model, provider, agent, session or day');
      const list = summary.costs(ix.db, by as summary.CostGroup);
      const rows = list.map((c) => [c.key, c.calls, fmt.tokens(c.tokens), fmt.usd(c.costUsd)]);
      return { json: list, text: fmt.table([by, 'calls', 'tokens', 'cost'], rows) };
    },
  },
};

/** A runtime error (exit 1) when the index has no events for the session. */
function knownSession(ix: TelemetryIndex, key: string): void {
  if (!summary.getSession(ix.db, key)) throw new Error(`no session ${key}`);
}

/** A runtime error (exit 1) when the index has no events of the run. */
function knownRun(ix: TelemetryIndex, runId: string): void {
  if (!summary.getRun(ix.db, runId) && !detail.usage(ix.db, runId)) throw new Error(`no run ${runId}`);
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
