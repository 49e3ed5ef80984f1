/**
 * The replay webview's HTML, as a pure string builder (no vscode import): a strict CSP (scripts and styles only by
 * nonce or from the extension's own files, no remote content), one nonce'd module script, the initial target as
 * base64 JSON in the root element's `data-bootstrap` attribute and, when the host has them, the answers to the
 * page's first requests as a JSON data element.
 *
 * The script and the stylesheet can be given as their text: they are then written into the page (each with the
 * nonce) instead of being fetched. A webview fetches its files through its service worker from the window, which
 * in a remote window asks the server: a round trip that the first paint of every new panel waited for.
 */
import { randomBytes } from 'node:crypto';
import { AHEAD_ELEMENT_ID, type WebviewBootstrap } from '../protocol/messages';

export interface WebviewHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** A fresh value per render, from {@link createNonce}. */
  nonce: string;
  /** `webview.asWebviewUri(dist/webview.js)`, as a string. */
  scriptUri: string;
  /** The text of dist/webview.js: written into the page instead of `scriptUri` when it can be (see inlinable). */
  scriptText?: string;
  /** `webview.asWebviewUri(media/webview.css)`, as a string; omitted when there is no stylesheet. */
  styleUri?: string;
  /** The text of the stylesheet: written into the page instead of `styleUri` when it can be. */
  styleText?: string;
  bootstrap: WebviewBootstrap;
  title: string;
  /**
   * Answers to the first requests the page will make, already known (see AheadEnvelope): written into the page
   * as data, so the webview does not ask for them. `json` is the answer's JSON text, as the index wrote it.
   */
  ahead?: readonly { method: string; params: unknown; json: string }[];
}

/** Escapes text for an HTML attribute value or text node. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 32 random bytes, base64url: a CSP nonce. */
export function createNonce(): string {
  return randomBytes(32).toString('base64url');
}

/** Base64 of the UTF-8 JSON of the bootstrap (what `decodeBootstrap` in the webview reads). */
export function encodeBootstrap(bootstrap: WebviewBootstrap): string {
  return Buffer.from(JSON.stringify(bootstrap), 'utf8').toString('base64');
}

/**
 * The Content-Security-Policy. Lit's styles go through constructable stylesheets, so no style nonce or
 * 'unsafe-inline' is needed; inline `style` updates are made through the CSSOM, which CSP does not block.
 */
export function webviewCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/**
 * The page's data element of answers sent ahead (AHEAD_ELEMENT_ID): JSON that is never run, with every `<`
 * written as its JSON escape, so no text in an answer can end the element or start markup.
 */
export function aheadElement(ahead: readonly { method: string; params: unknown; json: string }[]): string {
  if (!ahead.length) return '';
  const entries = ahead.map((a) => `{"method":${JSON.stringify(a.method)},"params":${JSON.stringify(a.params)},"result":${a.json}}`);
  return `<script type="application/json" id="${AHEAD_ELEMENT_ID}">[${entries.join(',').replace(/</g, '\\u003c')}]</script>\n`;
}

/**
 * Whether `text` can be the content of a `<script>` or `<style>` element as it is: the HTML parser ends such an
 * element at the first `</script` or `</style` and treats `<!--` specially in scripts, whatever the JS or CSS
 * around it means. Text with any of these is fetched from its file instead.
 */
export function inlinable(text: string | undefined): text is string {
  return text !== undefined && text.length > 0 && !/<\/(script|style)|<!--/i.test(text);
}

export function renderWebviewHtml(o: WebviewHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(o.nonce)) throw new Error('renderWebviewHtml: the nonce must be base64 or base64url');
  const a = escapeHtml;
  const style = inlinable(o.styleText)
    ? `<style nonce="${a(o.nonce)}">${o.styleText}</style>\n`
    : o.styleUri
      ? `<link rel="stylesheet" href="${a(o.styleUri)}">\n`
      : '';
  const script = inlinable(o.scriptText)
    ? `<script type="module" nonce="${a(o.nonce)}">${o.scriptText}</script>`
    : `<script type="module" nonce="${a(o.nonce)}" src="${a(o.scriptUri)}"></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${a(webviewCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${style}<title>${a(o.title)}</title>
</head>
<body>
<atx-app data-bootstrap="${a(encodeBootstrap(o.bootstrap))}"></atx-app>
${aheadElement(o.ahead ?? [])}${script}
</body>
</html>
`;
}
