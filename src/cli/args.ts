/** Command-line parsing for `agent-telemetry`: global options, a command, its options. */

export class UsageError extends Error {}

export interface ParsedArgs {
  dirs: string[];
  index: string | null;
  noIndex: boolean;
  /** A user price file (`--prices FILE`): wins over the producers' costs and the price table. */
  prices: string | null;
  json: boolean;
  command: string | null;
  positional: string[];
  flags: Map<string, string | true>;
}

/** Options that take a value; everything else starting with `--` is a switch. */
const VALUED = new Set(['dir', 'index', 'prices', 'since', 'until', 'agent', 'limit', 'run', 'name', 'group-by', 'out', 'session', 'max-age-days', 'max-size-mb', 'max-sessions', 'before', 'host', 'port', 'receive-dir', 'token', 'format', 'otlp-endpoint', 'batch', 'cursor', 'max-retries', 'workspace']);

export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { dirs: [], index: null, noIndex: false, prices: null, json: false, command: null, positional: [], flags: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      let value: string | true = true;
      if (VALUED.has(name)) {
        if (eq > 0) value = a.slice(eq + 1);
        else if (i + 1 < argv.length) value = argv[++i]!;
        else throw new UsageError(`--${name} needs a value`);
      } else if (eq > 0) {
        throw new UsageError(`--${name} takes no value`);
      }
      if (name === 'dir') out.dirs.push(value as string);
      else if (name === 'index') out.index = value as string;
      else if (name === 'no-index') out.noIndex = true;
      else if (name === 'prices') out.prices = value as string;
      else if (name === 'json') out.json = true;
      else out.flags.set(name, value);
    } else if (a === '-h') {
      out.flags.set('help', true);
    } else if (out.command === null) {
      out.command = a;
    } else {
      out.positional.push(a);
    }
  }
  return out;
}

/** The flags a command accepts; anything else is a usage error. */
export function checkFlags(args: ParsedArgs, allowed: string[], positionals: number): void {
  for (const name of args.flags.keys()) {
    if (name !== 'help' && !allowed.includes(name)) throw new UsageError(`${args.command} does not take --${name}`);
  }
  if (args.positional.length !== positionals) {
    throw new UsageError(positionals === 0 ? `${args.command} takes no arguments` : `${args.command} needs ${positionals} argument${positionals > 1 ? 's' : ''}`);
  }
}

export function intFlag(args: ParsedArgs, name: string): number | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} needs a whole number`);
  return n;
}

export function strFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export const USAGE = `agent-telemetry [--dir DIR]... [--index FILE | --no-index] [--prices FILE] [--json] <command>

Reads OpenClaw telemetry (events*.jsonl, *.jsonl.gz, blobs/) into an index and answers questions.
Also reads OpenClaw Phase 1, Knostic (telemetry.jsonl*), local YYYY-MM-DD.jsonl and FlowCore (*.json) logs,
OpenTelemetry traces (OTLP/JSON), Claude Code and Codex session logs.
Default directories: ~/.openclaw/agents/*/telemetry, ~/.openclaw/telemetry, ~/.claude/projects/*, ~/.codex/sessions.
Default index: $XDG_CACHE_HOME/agent-telemetry/ (or ~/.cache/agent-telemetry/); --no-index keeps it in memory.
--prices FILE: USD per million tokens per model, {"prices":[{"model","provider"?,"input","output","cacheRead"?,"cacheWrite"?}]};
it wins over the cost a log recorded and over the bundled price table (@pydantic/genai-prices, offline).

Commands:
  stats [--since DATE]                       counts, tokens, cost, index problems
  sessions [--agent ID] [--since DATE] [--limit N]
  replay <sessionKey> [--run RUN] [--since DATE] [--expand-blobs]
  tools <runId> [--name TOOL] [--errors-only] [--expand-blobs]
  run <runId>                                one run: model, times, outcome, tokens, cost
  files <sessionKey> [--run RUN]
  files-touched <path> [--workspace DIR]     the agent runs that read, wrote or edited a local file, under
                                             whichever path they recorded it (a path from another machine
                                             matches by its trailing folders; DIR, default the current one,
                                             holds the other files of that name, which compete for it)
  usage <runId> [--per-call]                 --per-call: each LLM call with its cost source
  subagents <sessionKey>
  errors [--since DATE]
  costs [--group-by model|provider|agent|session|day|tool|tool,model]
                                             by tool: each run's cost shared out to its tool calls, rest "(no tool)"
  compare <a> <b>                            two runs or sessions side by side: duration, tokens, cost,
                                             calls per tool, files touched, first error (an id is a
                                             session key or a run id; run:ID / session:KEY when both)
  problems                                   lines the index could not use
  search <query> [--limit N]                 full-text search of tool arguments and results, messages,
                                             prompts and errors, best first ("a phrase", prefix*, -exclude,
                                             a OR b; quote a query of several words)
  export --out FILE [--session KEY] [--run RUN] [--since DATE] [--until DATE] [--redact-pii]
  export --format otlp --out FILE (--session KEY | --run RUN)
                                             runs as OpenTelemetry traces (OTLP/JSON lines, GenAI
                                             conventions) for a collector, Jaeger or Tempo
                                             the selected events' original lines, byte for byte
                                             (--until is exclusive; FILE must be outside the telemetry dirs;
                                             --redact-pii replaces e-mail addresses by [REDACTED_EMAIL], except
                                             FlowCore epk_invite_sent.invitedEmail: those lines then differ)
  prune [--max-age-days N] [--max-size-mb N] [--max-sessions N] [--before DATE] [--orphan-blobs] [--only-uploaded --otlp-endpoint URL|--cursor FILE] [--apply]
                                             retention: prints what would be deleted; --apply deletes it
                                             (never the active events.jsonl nor today's YYYY-MM-DD.jsonl,
                                             nothing outside the dirs; --before: every finished log file
                                             whose newest event is before DATE; --only-uploaded: only files
                                             whose every event's run the upload to URL acknowledged)
  verify                                     check Knostic hash chains (telemetry.jsonl*), per directory
  upload --otlp-endpoint URL [--token T] [--batch N] [--cursor FILE] [--max-retries N]
                                             send finished runs to an OTLP/HTTP collector (POST URL/v1/traces,
                                             at most N=50 spans per request, backoff while unreachable);
                                             the cursor file remembers what was acknowledged
  serve [--host 127.0.0.1] [--port 4318] [--receive-dir DIR] [--allow-remote --token TOKEN]
                                             local telemetry server: the read API (/telemetry/…, the
                                             --json answers), OTLP/HTTP traces (POST /v1/traces) and
                                             FlowCore batches (POST /api/telemetry/batch), appended to
                                             daily files under DIR (default ~/.local/share/agent-telemetry/
                                             received) and indexed live with the --dir folders; a host
                                             other than loopback needs --allow-remote and a token
                                             (--token or AGENT_TELEMETRY_TOKEN)

DATE: 2026-11-01, 2026-11-01T08:00Z, epoch ms, or back from now: 30m, 12h, 7d.
Exit codes: 0 ok, 1 runtime error, 2 usage error.`;
