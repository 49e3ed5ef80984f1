// Runs inside the real VS Code extension host: the local telemetry server started by its command
// (in the index worker) on a free port, an OTLP/JSON trace POSTed with node's http, the session in
// the Sessions view's root; the status bar item and the copy command show the endpoint; a port in
// use is a clear error; stopping closes the port.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const vscode = require('vscode');
const { waitFor, useDirectories, activate } = require('./util.cjs');

/** A port nothing listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

function post(port, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function trace(conversation) {
  const t = Date.now();
  const span = (id, name, op, parent) => ({
    traceId: 'e2e0'.repeat(8),
    spanId: id,
    ...(parent ? { parentSpanId: parent } : {}),
    name,
    kind: parent ? 3 : 1,
    startTimeUnixNano: `${(t - 2000) * 1e6}`,
    endTimeUnixNano: `${t * 1e6}`,
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: op } },
      { key: 'gen_ai.conversation.id', value: { stringValue: conversation } },
      { key: 'gen_ai.agent.name', value: { stringValue: 'e2e-agent' } },
    ],
  });
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'e2e-agent' } }] },
        scopeSpans: [{ scope: { name: 'e2e' }, spans: [span('e2e0000000000001', 'invoke_agent e2e-agent', 'invoke_agent'), span('e2e0000000000002', 'execute_tool read', 'execute_tool', 'e2e0000000000001')] }],
      },
    ],
  });
}

suite('Local telemetry server', function () {
  this.timeout(60_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ate-server-'));
  const dir = path.join(root, 'telemetry');
  const receiveDir = path.join(root, 'received');
  const config = () => vscode.workspace.getConfiguration('agentTelemetry');
  let api;

  suiteSetup(async () => {
    fs.mkdirSync(dir, { recursive: true });
    ({ api } = await activate());
    await useDirectories([dir]);
    await config().update('server.receiveDir', receiveDir, vscode.ConfigurationTarget.Global);
    await api.ready();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('agentTelemetry.stopServer');
    await config().update('server.receiveDir', undefined, vscode.ConfigurationTarget.Global);
    await config().update('server.port', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('start by command, POST a trace, see the session in the tree, copy the endpoint, stop', async () => {
    const port = await freePort();
    await config().update('server.port', port, vscode.ConfigurationTarget.Global);
    const started = /** @type {{ running: boolean; url?: string }} */ (await vscode.commands.executeCommand('agentTelemetry.startServer'));
    assert.equal(started.running, true, JSON.stringify(started));
    assert.equal(started.url, `http://127.0.0.1:${port}`);
    const { status, statusBar } = api.server();
    assert.equal(status.running, true);
    assert.equal(statusBar.visible, true);
    assert.equal(statusBar.text, `$(radio-tower) OTLP :${port}`);
    assert.match(statusBar.tooltip, new RegExp(`http://127\\.0\\.0\\.1:${port}/v1/traces`));
    assert.match(statusBar.tooltip, new RegExp(`OTEL_EXPORTER_OTLP_ENDPOINT=http://127\\.0\\.0\\.1:${port}`));

    const copied = await vscode.commands.executeCommand('agentTelemetry.copyOtlpEndpoint');
    assert.equal(copied, `OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${port}`);
    assert.equal(await vscode.env.clipboard.readText(), copied);

    const r = await post(port, trace('conv-e2e-server'));
    assert.equal(r.status, 200, r.body);
    const node = await waitFor(
      'the received session in the Sessions view',
      async () => (await api.rootNodes()).find((n) => n.id.startsWith('session:') && n.id.includes('conv-e2e-server')),
      15_000,
    );
    const runs = await api.childNodes(node);
    assert.equal(runs.length, 1);
    // On disk under the receive folder, which the index follows like any telemetry folder.
    assert.ok(api.directories().includes(path.join(receiveDir, 'otlp')));
    const files = fs.readdirSync(path.join(receiveDir, 'otlp'));
    assert.equal(files.length, 1);
    assert.match(files[0], /^\d{4}-\d{2}-\d{2}\.jsonl$/);

    const stopped = /** @type {{ running: boolean }} */ (await vscode.commands.executeCommand('agentTelemetry.stopServer'));
    assert.equal(stopped.running, false);
    assert.equal(api.server().statusBar.visible, false);
    await assert.rejects(post(port, trace('late')), /ECONNREFUSED/);
    // What was received stays in the tree.
    assert.ok((await api.rootNodes()).some((n) => n.id === node.id));
  });

  test('a port in use: a clear error, no server, the index keeps working', async () => {
    const busy = net.createServer();
    await new Promise((resolve) => busy.listen(0, '127.0.0.1', () => resolve(undefined)));
    const port = /** @type {import('node:net').AddressInfo} */ (busy.address()).port;
    try {
      await config().update('server.port', port, vscode.ConfigurationTarget.Global);
      const r = /** @type {{ running: boolean; error?: string }} */ (await vscode.commands.executeCommand('agentTelemetry.startServer'));
      assert.equal(r.running, false);
      assert.match(r.error, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.equal(api.server().statusBar.visible, false);
      assert.notEqual(api.state(), 'failed');
      assert.ok((await api.rootNodes()).length >= 1);
    } finally {
      busy.close();
    }
  });
});
