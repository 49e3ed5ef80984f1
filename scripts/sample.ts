/**
 * Writes deterministic sample telemetry: `npm run sample -- --out DIR [--events N] [--seed S] [--transcripts]`
 * (`--transcripts`: also the OpenClaw session transcripts of the same sessions).
 * Prints the summary as one JSON line.
 */
import { generateSample } from '../src/core/sample/generate';

const USAGE = 'usage: npm run sample -- --out DIR [--events N] [--seed S] [--transcripts]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { outDir: string; events?: number; seed?: number; transcripts: boolean } {
  const values = new Map<string, string>();
  let transcripts = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--transcripts') {
      transcripts = true;
      continue;
    }
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const m = /^--(out|events|seed)(?:=(.*))?$/.exec(arg);
    if (!m) fail(`unknown argument: ${arg}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '') fail(`--${m[1]} needs a value`);
    values.set(m[1]!, value);
  }
  const outDir = values.get('out');
  if (!outDir) fail('--out is required');
  const int = (name: string, min: number): number | undefined => {
    const v = values.get(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) fail(`--${name} must be an integer >= ${min}, got ${v}`);
    return Number(v);
  };
  return { outDir, events: int('events', 1), seed: int('seed', -2147483648), transcripts };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const summary = await generateSample(opts);
  const ms = Math.round(performance.now() - t0);
  process.stdout.write(`${JSON.stringify({ ...summary, ms })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
