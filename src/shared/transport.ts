/** Constants both transports and the renderer agree on. */

/** Electron IPC channels: one for invokes, one for pushed events. */
export const IPC_INVOKE = 'aviary:invoke';
export const IPC_EVENT = 'aviary:event';

/**
 * The renderer's Content-Security-Policy, sent as a header by web mode and by Electron's
 * session, and repeated as a meta tag in index.html (without frame-ancestors, which
 * browsers ignore in a meta tag). connect-src allows only loopback WebSockets (web mode's API).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');
