// @ts-check
// The main job (`npm run demo`): build and package the extension, write sample telemetry to
// .sample/, install code-server (once) and start it on 127.0.0.1 with the packaged extension
// installed and the sample configured, then print the URL and keep running until Ctrl-C.
//   DEMO_PORT (default 8123)   port the printed URL uses
//   DEMO_EVENTS (default 5000) size of the sample
// The CLI walkthrough that used to be the demo is `npm run demo:cli` (scripts/demo.mjs).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { cacheDir, installVsix, startCodeServer, workbenchUrl } from './e2e/vscode.mjs';

const root = path.resolve(import.meta.dirname, '..');
const sampleDir = path.join(root, '.sample');
const vsix = path.join(root, 'dist', 'agent-telemetry-explorer.vsix');
const demoDir = path.join(cacheDir(), 'demo');
const port = Number(process.env.DEMO_PORT ?? 8123);
const t0 = Date.now();

const step = (msg) => console.log(`\n[demo] ${msg}`);
const took = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`[demo] DEMO_PORT must be a port number, got ${process.env.DEMO_PORT}`);
  process.exit(2);
}
// Fail early (before the slow steps) when the port is taken.
await new Promise((resolve) => {
  const probe = net.createServer();
  probe.once('error', () => {
    console.error(`[demo] port ${port} on 127.0.0.1 is in use; set DEMO_PORT to another port`);
    process.exit(1);
  });
  probe.listen(port, '127.0.0.1', () => probe.close(resolve));
});

let t = Date.now();
step('building and packaging the extension (npm run package)…');
run(npm, ['run', '-s', 'package']);
console.log(`[demo]   ${path.relative(root, vsix)} in ${took(t)}`);

t = Date.now();
step(`writing sample telemetry to ${path.relative(root, sampleDir)}/…`);
fs.rmSync(sampleDir, { recursive: true, force: true });
run(process.execPath, ['--import', 'tsx', 'scripts/sample.ts', '--out', sampleDir, '--events', process.env.DEMO_EVENTS ?? '5000']);
const agentsDir = path.join(sampleDir, 'agents');
const telemetryDirs = fs
  .readdirSync(agentsDir)
  .sort()
  .map((a) => path.join(agentsDir, a, 'telemetry'))
  .filter((d) => fs.existsSync(d));
console.log(`[demo]   ${telemetryDirs.length} telemetry folders in ${took(t)}`);

t = Date.now();
step('installing code-server into .e2e/ (bash scripts/e2e/install.sh)');
console.log('[demo]   the first time this takes about 90 s (npm install of code-server and native builds); later runs take a moment');
run('bash', [path.join(root, 'scripts', 'e2e', 'install.sh')]);
console.log(`[demo]   ready in ${took(t)}`);

t = Date.now();
step(`installing the extension into ${path.relative(root, demoDir)}/extensions…`);
const extensionsDir = path.join(demoDir, 'extensions');
const userDataDir = path.join(demoDir, 'user-data');
// a fresh extensions folder, so the freshly packaged build is the one installed
fs.rmSync(extensionsDir, { recursive: true, force: true });
await installVsix(vsix, extensionsDir);
console.log(`[demo]   installed in ${took(t)}`);

step('starting code-server…');
const server = await startCodeServer({
  userDataDir,
  extensionsDir,
  cwd: root,
  settings: {
    'agentTelemetry.directories': telemetryDirs,
    'agentTelemetry.autoDiscover': false,
  },
});

// startCodeServer picks a free port itself; forward the fixed demo port to it (plain TCP, so the
// workbench's websocket goes through unchanged).
/** @type {Set<net.Socket>} */
const sockets = new Set();
const proxy = net.createServer((client) => {
  const upstream = net.connect(server.port, '127.0.0.1');
  sockets.add(client).add(upstream);
  const end = () => {
    client.destroy();
    upstream.destroy();
    sockets.delete(client);
    sockets.delete(upstream);
  };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
  client.pipe(upstream);
  upstream.pipe(client);
});
try {
  await new Promise((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(port, '127.0.0.1', () => resolve(undefined));
  });
} catch (err) {
  console.error(`[demo] cannot listen on 127.0.0.1:${port}: ${err.message}; set DEMO_PORT to another port`);
  await server.stop();
  process.exit(1);
}

let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  console.log('\n[demo] stopping code-server…');
  proxy.close();
  for (const s of sockets) s.destroy();
  await server.stop();
  console.log('[demo] stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGHUP', () => void shutdown(0));
void server.exited.then((code) => {
  if (stopping) return;
  console.error(`[demo] code-server exited unexpectedly (code ${code}):\n${server.log().slice(-4000)}`);
  void shutdown(1);
});

const url = workbenchUrl({ base: `http://127.0.0.1:${port}`, folder: sampleDir });
console.log(`
[demo] ready in ${took(t0)}. Agent Telemetry Explorer is running in VS Code (code-server) at:

    ${url}

       Open it in a browser and click the "Agent Telemetry" icon in the activity bar.
       Workspace: ${path.relative(root, sampleDir)}/ (the sample's raw JSONL). Settings: agentTelemetry.directories =
${telemetryDirs.map((d) => `         ${path.relative(root, d)}`).join('\n')}
       User data and extensions: ${path.relative(root, demoDir)}/

[demo] press Ctrl-C to stop.`);
