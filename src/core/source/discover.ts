import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DirSpec } from '../../protocol/worker';

/**
 * The telemetry directories that exist under `home`, found without any setting: OpenClaw's
 * (see `openClawDirs`), then Claude Code's and Codex's session logs (see `discoverAgentLogDirs`).
 */
export function discoverTelemetryDirs(home: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return [...openClawDirs(home, env), ...discoverAgentLogDirs(home, env)];
}

/**
 * OpenClaw's state folders: `$OPENCLAW_STATE_DIR` (else `~/.openclaw`) and the legacy
 * `~/.clawdbot`. In each, the telemetry plugin's logs (`agents/<agentId>/telemetry`, `telemetry`)
 * and every agent's session transcripts (`agents/<agentId>/sessions`), which every install has.
 */
export function openClawDirs(home: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const roots = [env.OPENCLAW_STATE_DIR ? path.resolve(home, expandHome(env.OPENCLAW_STATE_DIR, home)) : path.join(home, '.openclaw'), path.join(home, '.clawdbot')];
  const out: string[] = [];
  for (const root of [...new Set(roots)]) {
    const agents = subdirs(path.join(root, 'agents'));
    for (const a of agents) {
      const dir = path.join(root, 'agents', a, 'telemetry');
      if (isDir(dir)) out.push(dir);
    }
    const shared = path.join(root, 'telemetry');
    if (isDir(shared)) out.push(shared);
    for (const a of agents) {
      const dir = path.join(root, 'agents', a, 'sessions');
      if (isDir(dir)) out.push(dir);
    }
  }
  return out;
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/**
 * Claude Code's and Codex's session-log folders: every project folder of Claude Code's
 * `projects/` (under each of `$CLAUDE_CONFIG_DIR`, comma-separated, else `~/.config/claude` and
 * `~/.claude`) with their subagent folders, and Codex's day folders under `$CODEX_HOME` (else
 * `~/.codex`) `sessions/` and `archived_sessions/`.
 */
export function discoverAgentLogDirs(home: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const claudeRoots = env.CLAUDE_CONFIG_DIR?.trim()
    ? env.CLAUDE_CONFIG_DIR.split(',').map((d) => d.trim()).filter(Boolean)
    : [path.join(home, '.config', 'claude'), path.join(home, '.claude')];
  const codexRoot = env.CODEX_HOME?.trim() || path.join(home, '.codex');
  const out: string[] = [];
  for (const r of claudeRoots) out.push(...claudeProjectDirs(path.join(r, 'projects')));
  for (const d of [path.join(codexRoot, 'sessions'), path.join(codexRoot, 'archived_sessions')]) {
    if (isDir(d)) out.push(...expandLogDir(d));
  }
  return [...new Set(out)];
}

const YEAR = /^\d{4}$/;
const MONTH_DAY = /^\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The folders to read for a folder the user gave: the folder itself, plus the nested folders of
 * the agents' layouts it holds. Codex nests its logs by date (`YYYY/MM/DD/`): the day folders.
 * A Claude Code `projects/` folder holds one folder per project; a project folder holds
 * `<sessionId>/subagents/` folders. Anything else is read one level deep, as given.
 */
export function expandLogDir(dir: string): string[] {
  const out = [dir];
  const subdirs = listDirs(dir);
  for (const y of subdirs.filter((n) => YEAR.test(n))) {
    for (const m of listDirs(path.join(dir, y)).filter((n) => MONTH_DAY.test(n))) {
      for (const d of listDirs(path.join(dir, y, m)).filter((n) => MONTH_DAY.test(n))) out.push(path.join(dir, y, m, d));
    }
  }
  if (path.basename(dir) === 'projects' && /^\.?claude$/.test(path.basename(path.dirname(dir)))) {
    out.push(...claudeProjectDirs(dir).filter((d) => d !== dir));
  } else {
    out.push(...subagentDirs(dir));
  }
  return [...new Set(out)];
}

/** The folder of the log a (possibly nested) folder belongs to: the folder the user would name. */
export function logRootOf(dir: string): string {
  const parts = dir.split(path.sep);
  const n = parts.length;
  if (n > 3 && YEAR.test(parts[n - 3]!) && MONTH_DAY.test(parts[n - 2]!) && MONTH_DAY.test(parts[n - 1]!)) return parts.slice(0, n - 3).join(path.sep);
  if (n > 2 && parts[n - 1] === 'subagents' && UUID.test(parts[n - 2]!)) return parts.slice(0, n - 2).join(path.sep);
  return dir;
}

function claudeProjectDirs(projects: string): string[] {
  const out: string[] = [];
  for (const p of listDirs(projects)) {
    const dir = path.join(projects, p);
    out.push(dir, ...subagentDirs(dir));
  }
  return out;
}

/** `<sessionId>/subagents/` folders of a Claude Code project folder. */
function subagentDirs(project: string): string[] {
  return listDirs(project)
    .filter((n) => UUID.test(n))
    .map((n) => path.join(project, n, 'subagents'))
    .filter(isDir);
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The folders of `spec`: each named folder with its nested log folders, the discovered ones, the present extra ones; no duplicates. */
export function resolveDirs(spec: DirSpec): string[] {
  const dirs = spec.directories.flatMap((d) => expandLogDir(path.resolve(d)));
  if (spec.autoDiscover) dirs.push(...discoverTelemetryDirs(spec.home, spec.env ?? process.env));
  for (const d of spec.whenPresent ?? []) if (isDir(d)) dirs.push(d);
  return [...new Set(dirs)];
}
