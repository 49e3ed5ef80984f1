import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The OpenClaw telemetry directories that exist under `home`: every
 * `~/.openclaw/agents/<agentId>/telemetry` and `~/.openclaw/telemetry`.
 */
export function discoverTelemetryDirs(home: string): string[] {
  const root = path.join(home, '.openclaw');
  const out: string[] = [];
  let agents: string[] = [];
  try {
    agents = readdirSync(path.join(root, 'agents')).sort();
  } catch {
    // no agents folder
  }
  for (const a of agents) {
    const dir = path.join(root, 'agents', a, 'telemetry');
    if (isDir(dir)) out.push(dir);
  }
  const shared = path.join(root, 'telemetry');
  if (isDir(shared)) out.push(shared);
  return out;
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
