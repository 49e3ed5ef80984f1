import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The telemetry directories that exist under `home`, found without any setting: OpenClaw's
 * (see `openClawDirs`).
 */
export function discoverTelemetryDirs(home: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return openClawDirs(home, env);
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

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
