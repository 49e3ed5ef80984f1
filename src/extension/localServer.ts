import * as vscode from 'vscode';
import type { ServerStatus } from '../protocol/worker';
import { receiveDirPath, SECTION, uploadCursorFile } from './config';
import type { IndexService } from './indexService';

/** The commands of the local server and the upload (package.json contributes the same ids). */
export const SERVER_COMMAND_IDS = [
  'agentTelemetry.startServer',
  'agentTelemetry.stopServer',
  'agentTelemetry.copyOtlpEndpoint',
  'agentTelemetry.serverMenu',
  'agentTelemetry.upload',
] as const;

/** What the status bar item of the server shows (for the extension-host tests). */
export interface ServerStatusBar {
  visible: boolean;
  text: string;
  tooltip: string;
}

/** The line to paste into an agent's environment. */
export function otlpEndpointEnv(url: string): string {
  return `OTEL_EXPORTER_OTLP_ENDPOINT=${url}`;
}

/**
 * The local telemetry server as VS Code runs it: in the index worker (the server answers from and
 * writes into the index the tree shows), always on loopback. Started and stopped by command or by
 * `agentTelemetry.server.enabled`; restarted when its port or folder setting changes or the worker
 * was restarted. While it runs a status bar item shows its port; clicking it offers the copy and
 * stop actions. Also runs the upload to a central collector (`agentTelemetry.upload.*`).
 */
export class LocalServer implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('agentTelemetry.server', vscode.StatusBarAlignment.Left, 49);
  private status: ServerStatus = { running: false };
  /** Whether the user wants it running (command or setting), so a restarted worker gets it back. */
  private wanted = false;
  private uploading: Promise<void> | null = null;
  private uploadTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly service: IndexService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.item.name = 'Agent Telemetry: Local Server';
    this.item.command = 'agentTelemetry.serverMenu';
    this.disposables.push(
      this.item,
      service.onDidChangeServer((s) => this.show(s)),
      service.onDidRestart(() => {
        this.show({ running: false });
        if (this.wanted) void this.start(false);
      }),
    );
    const reg = (id: (typeof SERVER_COMMAND_IDS)[number], fn: () => unknown) => this.disposables.push(vscode.commands.registerCommand(id, fn));
    reg('agentTelemetry.startServer', () => this.start(true));
    reg('agentTelemetry.stopServer', () => this.stop());
    reg('agentTelemetry.copyOtlpEndpoint', () => this.copyEndpoint());
    reg('agentTelemetry.serverMenu', () => this.menu());
    reg('agentTelemetry.upload', () => this.upload(true));
    this.show(this.status);
    this.scheduleUploads();
  }

  private get config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  /** At activation: start when the setting says so. */
  async startIfEnabled(): Promise<void> {
    if (this.config.get<boolean>('server.enabled', false)) await this.start(false);
  }

  async onSettingsChanged(e: vscode.ConfigurationChangeEvent): Promise<void> {
    if (e.affectsConfiguration('agentTelemetry.upload')) this.scheduleUploads();
    if (e.affectsConfiguration('agentTelemetry.server.enabled')) {
      if (this.config.get<boolean>('server.enabled', false)) await this.start(false);
      else if (this.status.running) await this.stop();
      return;
    }
    if ((e.affectsConfiguration('agentTelemetry.server.port') || e.affectsConfiguration('agentTelemetry.server.receiveDir')) && this.status.running) {
      await this.start(false);
    }
  }

  /** The server's status now, and what its status bar item shows. */
  state(): { status: ServerStatus; statusBar: ServerStatusBar } {
    const tooltip = this.item.tooltip;
    return {
      status: this.status,
      statusBar: { visible: this.status.running, text: this.item.text, tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '') },
    };
  }

  /** Starts (or restarts, on a changed port or folder) the server; a failure is shown, never thrown. */
  async start(announce: boolean): Promise<ServerStatus> {
    this.wanted = true;
    const port = this.config.get<number>('server.port', 4318);
    const receiveDir = receiveDirPath(this.context);
    try {
      const s = await this.service.request('server/start', { port: Number.isInteger(port) ? port : 4318, receiveDir });
      this.show(s);
      // Its receive folders exist now: the watched folders take them in.
      await this.service.requestSync({ rescan: true });
      if (announce) void vscode.window.showInformationMessage(`Agent Telemetry: the local server listens on ${s.url} (OTLP/HTTP traces at ${s.url}/v1/traces).`, 'Copy Endpoint').then((c) => c && this.copyEndpoint());
      return s;
    } catch (err) {
      this.wanted = false;
      const message = (err as Error).message;
      this.log.error(`local server: ${message}`);
      void vscode.window.showErrorMessage(`Agent Telemetry: the local server could not start: ${message}`, 'Open Settings').then((c) => {
        if (c) void vscode.commands.executeCommand('workbench.action.openSettings', 'agentTelemetry.server');
      });
      return { running: false, error: message };
    }
  }

  async stop(): Promise<ServerStatus> {
    this.wanted = false;
    try {
      const s = await this.service.request('server/stop', {});
      this.show(s);
      return s;
    } catch (err) {
      this.log.warn(`local server: stopping: ${(err as Error).message}`);
      return this.status;
    }
  }

  /** Copies `OTEL_EXPORTER_OTLP_ENDPOINT=…`; returns the text (undefined when the server is not running). */
  async copyEndpoint(): Promise<string | undefined> {
    if (!this.status.running || !this.status.url) {
      const c = await vscode.window.showWarningMessage('Agent Telemetry: the local server is not running.', 'Start Local Server');
      if (c) await this.start(true);
      if (!this.status.running || !this.status.url) return undefined;
    }
    const text = otlpEndpointEnv(this.status.url);
    await vscode.env.clipboard.writeText(text);
    void vscode.window.setStatusBarMessage(`Copied ${text}`, 3000);
    return text;
  }

  private async menu(): Promise<void> {
    const s = this.status;
    if (!s.running || !s.url) {
      await this.start(true);
      return;
    }
    const items: (vscode.QuickPickItem & { run: () => unknown })[] = [
      { label: '$(copy) Copy OTEL_EXPORTER_OTLP_ENDPOINT', description: otlpEndpointEnv(s.url), run: () => this.copyEndpoint() },
      { label: '$(copy) Copy the read API URL', description: `${s.url}/telemetry/sessions`, run: () => vscode.env.clipboard.writeText(`${s.url}/telemetry/sessions`) },
      { label: '$(copy) Copy the FlowCore batch URL', description: `${s.url}/api/telemetry/batch`, run: () => vscode.env.clipboard.writeText(`${s.url}/api/telemetry/batch`) },
      { label: '$(folder-opened) Reveal the receive folder', description: s.receiveDir, run: () => vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(s.receiveDir ?? '')) },
      { label: '$(debug-stop) Stop Local Server', run: () => this.stop() },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: `Agent Telemetry: local server on ${s.url}` });
    await pick?.run();
  }

  private show(s: ServerStatus): void {
    this.status = s;
    void vscode.commands.executeCommand('setContext', 'agentTelemetry.serverRunning', s.running);
    if (!s.running || !s.url) {
      this.item.hide();
      return;
    }
    this.item.text = `$(radio-tower) OTLP :${s.port}`;
    this.item.tooltip = [
      `Agent Telemetry local server (loopback only)`,
      `OTLP/HTTP traces: ${s.url}/v1/traces`,
      `  ${otlpEndpointEnv(s.url)}`,
      `FlowCore batches: ${s.url}/api/telemetry/batch`,
      `Read API: ${s.url}/telemetry/sessions`,
      `Received data: ${s.receiveDir}`,
      'Click to copy the endpoint or stop the server.',
    ].join('\n');
    this.item.show();
  }

  // ── upload to a central collector ───────────────────────────────────────────

  private scheduleUploads(): void {
    clearInterval(this.uploadTimer);
    this.uploadTimer = undefined;
    const minutes = this.config.get<number>('upload.intervalMinutes', 0);
    if (!(minutes > 0) || !this.endpoint()) return;
    this.uploadTimer = setInterval(() => void this.upload(false), Math.max(1, minutes) * 60_000);
  }

  private endpoint(): string {
    return this.config.get<string>('upload.otlpEndpoint', '').trim();
  }

  /** Uploads what was not acknowledged yet; one upload at a time. */
  upload(interactive: boolean): Promise<void> {
    this.uploading ??= this.runUpload(interactive).finally(() => {
      this.uploading = null;
    });
    return this.uploading;
  }

  private async runUpload(interactive: boolean): Promise<void> {
    const endpoint = this.endpoint();
    if (!endpoint) {
      if (interactive) {
        const c = await vscode.window.showWarningMessage('Agent Telemetry: set agentTelemetry.upload.otlpEndpoint to the collector to upload to.', 'Open Settings');
        if (c) void vscode.commands.executeCommand('workbench.action.openSettings', 'agentTelemetry.upload');
      }
      return;
    }
    const cursorFile = uploadCursorFile(this.context, endpoint);
    const run = () => this.service.request('upload/run', { endpoint, cursorFile });
    try {
      const r = interactive ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Agent Telemetry: uploading to ${endpoint}` }, run) : await run();
      const rejected = r.rejectedSpans ? `; the collector rejected ${r.rejectedSpans} span(s)` : '';
      this.log.info(`upload: ${r.spans} spans of ${r.runs} run(s) in ${r.requests} request(s) to ${endpoint} (${r.retries} retries)${rejected}`);
      if (interactive) void vscode.window.showInformationMessage(`Agent Telemetry: uploaded ${r.spans} spans of ${r.runs} run(s) to ${endpoint}${rejected}.`);
    } catch (err) {
      this.log.error(`upload to ${endpoint}: ${(err as Error).message}`);
      if (interactive) void vscode.window.showErrorMessage(`Agent Telemetry: upload failed: ${(err as Error).message}`);
    }
  }

  dispose(): void {
    clearInterval(this.uploadTimer);
    for (const d of this.disposables) d.dispose();
  }
}
