/**
 * Entry of the replay webview bundle (`dist/webview.js`, loaded as a nonce'd module). Defining `<atx-app>` is
 * enough: the element reads its target from its own `data-bootstrap` attribute and acquires the VS Code API once.
 */
import './components/atx-app';
