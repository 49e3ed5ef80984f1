// What the stand-in host (fakeHost.js) and the tests put on the test page's window.
/* eslint-disable @typescript-eslint/no-explicit-any -- the fixture and posted messages are arbitrary JSON */
interface Window {
  /** The SessionView and other answers the stand-in host serves. */
  __fixture: any;
  /** Messages the webview posted to the host, in order. */
  __posted: any[];
  /** How many times the page called acquireVsCodeApi (must be once). */
  __acquireCount: () => number;
  /** Artificial answer latency, ms. */
  __latencyMs: number;
  /** Sends a host notification (method, params) to the webview. */
  __notify: (method: string, params?: unknown) => void;
  /** Content-Security-Policy violations seen by the page. */
  __cspViolations: unknown[];
  /** Set by an injected script if untrusted text ever ran as code. */
  __pwned: unknown;
  /** Long tasks a PerformanceObserver collected in the page (the browser tests' and bench:host's). */
  __longTasks: any[];
  __benchLongTasks: any[];
  /** When the stand-in host finished building its answers (performance.now()). */
  __hostReadyAt: number;
  /** The stand-in host holds `session/details` back while true; `__releaseDetails` answers it. */
  __holdDetails: boolean;
  __releaseDetails: () => void;
  /** Per frame: whether the replay header showed and how many event rows the timeline had (the first-paint test). */
  __frames: { header: string | null; rows: number }[];
  /** Whether <atx-app> had drawn anything when the task that ran the app's script ended (the first-paint test). */
  __drawnInScriptTask: boolean;
  acquireVsCodeApi: () => { postMessage(message: any): void; getState(): unknown; setState(state: unknown): void };
}
