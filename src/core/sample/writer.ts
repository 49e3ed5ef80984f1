/**
 * One telemetry directory as the OpenClaw plugin's JSONL writer leaves it: `events.jsonl` plus rotated
 * `events.<period>.jsonl` files, a per-process `seq`, and `blobs/`.
 *
 * Rotation follows the producer: the period key is taken when the process starts; on the first write whose
 * period differs, `events.jsonl` is renamed to `events.<old key>.jsonl`. A restart only resets the key and
 * `seq` (no rename), so a restart on a new day leaves two days in one file.
 */
import * as fs from 'fs';
import * as path from 'path';

export type AgentName = 'main' | 'coder' | 'research';
export type RotationPolicy = 'daily' | 'weekly';

export interface ErrorInfo {
  message: string;
  code?: string;
  source?: string;
}

export interface ProducerBlobRef {
  id: string;
  path: string;
  size: number;
  hash: string;
  role: 'input' | 'result';
}

/** An event before the writer gives it a `seq`; `dir` says which agent's directory writes it. */
export interface SampleEvent {
  dir: AgentName;
  id: string;
  ts: number;
  agentId: string;
  sessionKey: string;
  sessionId: string;
  runId?: string;
  kind: string;
  stream?: string;
  data: Record<string, unknown>;
  error?: ErrorInfo;
  source: 'hook' | 'agent' | 'diagnostic';
  hookName?: string;
  blobRefs?: ProducerBlobRef[];
}

const DAY = 86_400_000;
const SAFE = /^[\w:.+@-]*$/;
/** JSON string literal; ids and keys are plain, so skip JSON.stringify for them. */
const q = (s: string): string => (SAFE.test(s) ? `"${s}"` : JSON.stringify(s));

/** Numeric period: UTC day number, or ISO week number counted from the Monday before the epoch. */
function periodOf(ts: number, policy: RotationPolicy): number {
  const day = Math.floor(ts / DAY);
  return policy === 'daily' ? day : Math.floor((day + 3) / 7);
}

/** `YYYY-MM-DD` or ISO `YYYY-WNN` of the period containing `ts`. */
export function periodKey(ts: number, policy: RotationPolicy): string {
  if (policy === 'daily') return new Date(ts).toISOString().slice(0, 10);
  const day = Math.floor(ts / DAY);
  const dow = (new Date(day * DAY).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = day - dow + 3;
  const year = new Date(thursday * DAY).getUTCFullYear();
  const jan1 = Math.floor(Date.UTC(year, 0, 1) / DAY);
  const week = 1 + Math.floor((thursday - jan1) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export class DirWriter {
  readonly blobDir: string;
  lines = 0;
  private seq = 0;
  private period = NaN;
  /** A timestamp inside the current period, to name the file when it rotates. */
  private periodTs = 0;
  private fd = -1;
  private readonly out = Buffer.allocUnsafe(4 << 20);
  private off = 0;

  constructor(
    readonly dir: string,
    readonly policy: RotationPolicy,
  ) {
    this.blobDir = path.join(dir, 'blobs');
    fs.mkdirSync(this.blobDir, { recursive: true });
  }

  /** The producer process (re)starts at `ts`: new key from the clock, seq from 0, no rename. */
  start(ts: number): void {
    this.close();
    this.seq = 0;
    this.period = periodOf(ts, this.policy);
    this.periodTs = ts;
  }

  write(ev: SampleEvent): void {
    const p = periodOf(ev.ts, this.policy);
    if (p !== this.period) this.rotate(p, ev.ts);
    if (this.fd < 0) this.fd = fs.openSync(path.join(this.dir, 'events.jsonl'), 'a');
    // Same bytes as JSON.stringify of the event object in producer key order (undefined keys left out),
    // built by hand because this is the hot path at a million events.
    let line = `{"id":${q(ev.id)},"ts":${ev.ts},"seq":${this.seq++},"agentId":${q(ev.agentId)},"sessionKey":${q(ev.sessionKey)},"sessionId":${q(ev.sessionId)}`;
    if (ev.runId !== undefined) line += `,"runId":${q(ev.runId)}`;
    line += `,"kind":${q(ev.kind)}`;
    if (ev.stream !== undefined) line += `,"stream":${q(ev.stream)}`;
    line += `,"data":${JSON.stringify(ev.data)}`;
    if (ev.error !== undefined) line += `,"error":${JSON.stringify(ev.error)}`;
    line += `,"source":${q(ev.source)}`;
    if (ev.hookName !== undefined) line += `,"hookName":${q(ev.hookName)}`;
    if (ev.blobRefs !== undefined) line += `,"blobRefs":${JSON.stringify(ev.blobRefs)}`;
    line += '}\n';
    // Encode straight into one big buffer: no joined chunk strings to flatten and collect.
    if (this.off + 3 * line.length > this.out.length) {
      this.flush();
      if (3 * line.length > this.out.length) {
        fs.writeSync(this.fd, line);
        this.lines++;
        return;
      }
    }
    this.off += this.out.write(line, this.off);
    this.lines++;
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  private rotate(next: number, ts: number): void {
    this.close();
    const active = path.join(this.dir, 'events.jsonl');
    if (fs.existsSync(active)) {
      fs.renameSync(active, path.join(this.dir, `events.${periodKey(this.periodTs, this.policy)}.jsonl`));
    }
    this.period = next;
    this.periodTs = ts;
  }

  private flush(): void {
    if (this.off === 0) return;
    fs.writeSync(this.fd, this.out, 0, this.off);
    this.off = 0;
  }
}
