/**
 * Text pools and tool call shapes for the sample generator: what an agent working on a small TypeScript
 * service would read, run and say. Everything is drawn from a seeded Rng.
 */
import type { Rng } from './prng';

export const HOME = '/home/dev/project';
/** Where the telemetry was written: blob paths are absolute on that machine, not in the output dir. */
export const WRITER_ROOT = '/home/alice/.openclaw/agents';

export type ToolName = 'read' | 'write' | 'edit' | 'exec' | 'grep' | 'glob';
export const TOOL_NAMES: ToolName[] = ['read', 'write', 'edit', 'exec', 'grep', 'glob'];

const SRC = [
  'src/auth/session.ts', 'src/auth/token.ts', 'src/auth/middleware.ts', 'src/api/routes.ts',
  'src/api/handlers/login.ts', 'src/api/handlers/users.ts', 'src/db/pool.ts', 'src/db/migrations/004_sessions.ts',
  'src/config/index.ts', 'src/utils/retry.ts', 'src/utils/logger.ts', 'src/server.ts', 'src/index.ts',
  'src/rate-limit/bucket.ts', 'src/cache/redis.ts', 'src/jobs/cleanup.ts', 'test/auth.test.ts',
  'test/routes.test.ts', 'test/rate-limit.test.ts', 'test/helpers/fixtures.ts',
];
const DOCS = ['docs/architecture.md', 'docs/auth-flow.md', 'README.md', 'docs/adr/0007-token-rotation.md', 'CHANGELOG.md'];

const CODE = [
  "import { createHash, randomBytes } from 'crypto';",
  "import type { Request, Response, NextFunction } from 'express';",
  "import { logger } from '../utils/logger';",
  'export const SESSION_TTL_MS = 30 * 60 * 1000;',
  'export async function refreshToken(userId: string, token: string): Promise<TokenPair> {',
  '  const record = await db.tokens.findOne({ userId, revoked: false });',
  "  if (!record) throw new Error('refresh token not found');",
  '  if (record.expiresAt < Date.now()) {',
  "    logger.warn({ userId }, 'expired refresh token');",
  '    return { ok: false, reason: "expired" };',
  '  }',
  '  const hash = createHash("sha256").update(token).digest("hex");',
  '  await redis.set(`session:${id}`, JSON.stringify(session), "PX", SESSION_TTL_MS);',
  '  for (const [key, bucket] of this.buckets) {',
  '    if (bucket.tokens < 1) return res.status(429).json({ error: "rate_limited" });',
  '  router.post("/api/login", rateLimit({ windowMs: 60_000, max: 10 }), login);',
  '  const pool = new Pool({ connectionString: config.databaseUrl, max: 20 });',
  '  } catch (err) {',
  '    logger.error({ err }, "query failed");',
  '    throw err;',
  '}',
  '',
  'describe("auth", () => {',
  '  it("refreshes an expired token", async () => {',
  '    expect(res.status).toBe(401);',
  '  });',
  '  await retry(() => client.connect(), { attempts: 5, backoffMs: 200 });',
  '  // TODO: move the clock skew allowance into config',
  'export default function middleware(req: Request, res: Response, next: NextFunction) {',
  '  const header = req.headers.authorization ?? "";',
  '  return jwt.verify(header.replace(/^Bearer /, ""), config.jwtSecret) as Claims;',
];

const PROMPTS = [
  'Please fix the failing test in auth.ts',
  'The login endpoint returns 500 when the refresh token is expired. Can you look?',
  'Add rate limiting to POST /api/login, 10 requests per minute per IP',
  'Why is the CI build red on main? Check the last test run.',
  'Refactor src/db/pool.ts so the pool size comes from config',
  'Write a migration that adds a revoked_at column to sessions',
  'Can you summarise what changed in the auth module this week?',
  'Bump the session TTL to 30 minutes and update the docs',
  'Find every place we log the raw authorization header and remove it',
  'run the tests and tell me what fails',
  'Add a retry with backoff around the redis connect call',
  'The cleanup job deletes active sessions, please investigate',
];
const REPLIES = [
  'Fixed: the token expiry check compared seconds to milliseconds. Tests pass (24/24).',
  'Done. Rate limiting is in place on /api/login (10/min per IP) with a test for the 429 path.',
  'CI was red because test/auth.test.ts relied on the wall clock; I froze the clock in the test.',
  'Pool size now comes from config.db.poolSize (default 20). Updated README.',
  'Added migration 005_sessions_revoked_at.ts and ran it against the dev database.',
  'I removed two places that logged the raw Authorization header (middleware.ts, login.ts).',
  'The cleanup job used < instead of <= on expiresAt; fixed and added a regression test.',
  'Here is a summary of this week: token rotation landed, the session store moved to redis, 3 flaky tests fixed.',
];
export const HEARTBEAT_PROMPT = 'Read HEARTBEAT.md if it exists and follow it. If nothing needs attention, reply HEARTBEAT_OK.';
const COMMANDS = ['npm test -- auth', 'npm test', 'npm run build', 'npx tsc --noEmit', 'npm run lint', 'git status --short', 'git diff --stat', 'npm test -- rate-limit'];
const PATTERNS = ['refreshToken', 'TODO', 'rateLimit', 'createPool', 'authorization', 'SESSION_TTL', 'throw new Error'];
const GLOBS = ['src/**/*.ts', 'test/**/*.test.ts', '**/*.md', 'src/api/**/*.ts'];
const TESTS = ['refreshes an expired token', 'rejects a revoked token', 'returns 429 after 10 requests', 'keeps the session alive', 'rotates the signing key'];

export const pickPrompt = (rng: Rng): string => rng.pick(PROMPTS);
export const pickReply = (rng: Rng): string => rng.pick(REPLIES);

export interface ToolStyle {
  /** edit params as `oldText`/`newText` instead of `old_string`/`new_string`. */
  textKeys: boolean;
  /** share of read/write/edit calls that use `path` instead of `file_path`. */
  pathKey: number;
  docs: boolean;
}

export interface ToolCall {
  name: ToolName;
  params: Record<string, unknown>;
  /** The tool's own result, before capture. */
  result: unknown;
  error?: string;
  durationMs: number;
  filePath?: string;
  execCommand?: string;
  /** Tokens this result adds to the context. */
  tokens: number;
}

function codeText(rng: Rng, lines: number, from = 1): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(from + i > 1 && rng.chance(0.15) ? '' : rng.pick(CODE));
  return out.join('\n');
}

function testOutput(rng: Rng, cases: number, failing: boolean): string {
  const out = ['> project@1.4.0 test', '> vitest run', ''];
  for (let i = 0; i < cases; i++) out.push(` ✓ test/${rng.pick(['auth', 'routes', 'rate-limit'])}.test.ts > ${rng.pick(TESTS)} ${rng.int(1, 90)}ms`);
  if (failing) out.push(` ✗ test/auth.test.ts > ${rng.pick(TESTS)}`, '   AssertionError: expected 200 to be 401');
  out.push('', ` Tests  ${failing ? '1 failed | ' : ''}${cases} passed (${cases + (failing ? 1 : 0)})`);
  return out.join('\n');
}

export interface ToolOpts {
  /** Make the result (read/exec/grep) or the input (write) big enough to be externalized. */
  large?: boolean;
  fail?: boolean;
  enoent?: boolean;
  longExec?: boolean;
}

/** Builds one tool call. `sizeHint` scales ordinary (non-large) text results. */
export function makeTool(rng: Rng, name: ToolName, style: ToolStyle, o: ToolOpts, sizeHint: number): ToolCall {
  const rel = style.docs && name !== 'exec' ? rng.pick(rng.chance(0.6) ? DOCS : SRC) : rng.pick(SRC);
  const file = `${HOME}/${rel}`;
  const fileParam = (extra: Record<string, unknown>): Record<string, unknown> =>
    rng.chance(style.pathKey) ? { path: file, ...extra } : { file_path: file, ...extra };
  switch (name) {
    case 'read': {
      if (o.enoent) {
        const missing = `${HOME}/src/auth/legacy-session.ts`;
        return { name, params: { file_path: missing }, result: undefined, error: `ENOENT: no such file or directory, open '${missing}'`, durationMs: rng.int(1, 6), filePath: missing, tokens: 40 };
      }
      const lines = o.large ? rng.int(180, 900) : rng.int(6, sizeHint);
      const params = fileParam(o.large || rng.chance(0.7) ? {} : { offset: rng.int(1, 200), limit: 80 });
      return { name, params, result: { content: codeText(rng, lines), lines: lines + rng.int(0, 300) }, durationMs: rng.int(2, 40), filePath: file, tokens: lines * 12 + rng.logUniform(300, 9000) };
    }
    case 'write': {
      const content = codeText(rng, o.large ? rng.int(160, 400) : rng.int(3, 16));
      return { name, params: fileParam({ content }), result: { success: true, bytesWritten: content.length }, durationMs: rng.int(3, 30), filePath: file, tokens: rng.int(40, 120) };
    }
    case 'edit': {
      const a = rng.pick(CODE);
      const b = a.replace('30 * 60', '45 * 60').replace('<', '<=') + (rng.chance(0.5) ? ' // fixed' : '');
      const params = fileParam(style.textKeys ? { oldText: a, newText: b } : { old_string: a, new_string: b });
      return { name, params, result: { success: true, replacements: 1, diff: `@@ -${rng.int(1, 300)},1 +1,1 @@\n-${a}\n+${b}` }, durationMs: rng.int(3, 25), filePath: file, tokens: rng.int(60, 300) };
    }
    case 'exec': {
      const command = o.longExec ? 'npm run test:e2e' : o.fail ? 'npm test -- auth' : rng.pick(COMMANDS);
      const failing = !!o.fail;
      const test = command.startsWith('npm test') || command.includes('e2e');
      const stdout = test ? testOutput(rng, o.large ? rng.int(90, 300) : rng.int(2, Math.max(3, sizeHint >> 2)), failing)
        : command.startsWith('git') ? ` M ${rel}\n M ${rng.pick(SRC)}\n?? ${rng.pick(SRC)}` : failing ? `${rel}(12,5): error TS2322` : '';
      const durationMs = o.longExec ? rng.int(90_000, 140_000) : test ? rng.logUniform(1500, 45_000) : rng.logUniform(250, 9000);
      return { name, params: { command, timeout: 120 }, result: { stdout, stderr: failing ? 'npm ERR! Test failed.' : '', exitCode: failing ? 1 : 0 },
        error: failing ? 'Command exited with status 1' : undefined, durationMs, execCommand: command, tokens: Math.ceil(stdout.length / 4) + 50 };
    }
    case 'grep': {
      const pattern = rng.pick(PATTERNS);
      const n = o.large ? rng.int(120, 500) : rng.int(0, Math.max(2, sizeHint >> 2));
      const matches: string[] = [];
      for (let i = 0; i < n; i++) matches.push(`${rng.pick(SRC)}:${rng.int(1, 400)}:${rng.pick(CODE)}`);
      return { name, params: { pattern, path: `${HOME}/src` }, result: { matches, count: n }, durationMs: rng.logUniform(15, 600), tokens: n * 25 + 30 };
    }
    case 'glob': {
      const pattern = rng.pick(GLOBS);
      const files: string[] = [];
      for (let i = rng.int(1, 14); i > 0; i--) files.push(`${HOME}/${rng.pick(pattern.endsWith('.md') ? DOCS : SRC)}`);
      return { name, params: { pattern }, result: { files, count: files.length }, durationMs: rng.int(4, 80), tokens: files.length * 15 + 20 };
    }
  }
}

/** Tool inputs as a hook sees them before the call: long strings shortened (keeps tool.start lines small). */
export function startParams(params: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' && v.length > 500) {
      out ??= { ...params };
      out[k] = `${v.slice(0, 500)}... (${v.length} chars)`;
    }
  }
  return out ?? params;
}

export const SUBAGENT_TASKS: Record<'coder' | 'research', { label: string; task: string }[]> = {
  coder: [
    { label: 'fix-auth-tests', task: 'Fix the failing tests in test/auth.test.ts without changing the public API' },
    { label: 'rate-limit', task: 'Implement a token bucket rate limiter for POST /api/login' },
    { label: 'pool-config', task: 'Read the pool size from config and add a unit test' },
  ],
  research: [
    { label: 'token-rotation-notes', task: 'Summarise how token rotation works today and list open questions' },
    { label: 'redis-options', task: 'Compare session store options (redis vs postgres) for our load' },
    { label: 'changelog', task: 'Draft the changelog entry for the auth changes' },
  ],
};
