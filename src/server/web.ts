/**
 * Web mode: the API contract over a loopback WebSocket, plus the built renderer as static
 * files. It adds nothing to the contract. Defences, since any local page could try to
 * reach a loopback port:
 * - bound to 127.0.0.1 only;
 * - the Host header must name this server (DNS-rebinding pages send their own host);
 * - the WebSocket Origin must be this server's own origin;
 * - a random per-launch token is required on every WebSocket, sent as a subprotocol so
 *   it never appears in a URL that a proxy or access log could record.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiEvent, ApiHandlers } from '../shared/api';
import { dispatchInvoke } from '../shared/dispatch';
import { CONTENT_SECURITY_POLICY } from '../shared/transport';
import {
  parseClientFrame,
  TOKEN_PROTOCOL_PREFIX,
  WIRE_PROTOCOL,
  type ServerFrame,
} from '../shared/wire';

export interface WebModeBackend {
  handlers: ApiHandlers;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

export interface WebModeOptions {
  backend: WebModeBackend;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token for tests; a fresh random one otherwise. */
  token?: string;
  log?: (line: string) => void;
}

export interface WebModeServer {
  /** The address to open, token in the fragment (never sent to the server by a browser). */
  url: string;
  origin: string;
  port: number;
  token: string;
  connections(): number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

const MAX_FRAME_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 20_000;

export async function startWebMode(options: WebModeOptions): Promise<WebModeServer> {
  const log = options.log ?? (() => undefined);
  const token = options.token ?? randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token);
  let port = 0;
  const allowedHosts = (): Set<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = (): Set<string> =>
    new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const tokenMatches = (offered: string | undefined): boolean => {
    if (!offered) return false;
    const bytes = Buffer.from(offered);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  };

  const server: Server = createServer((req, res) => {
    if (!allowedHosts().has(req.headers.host ?? '')) {
      respond(res, 421, 'Misdirected request: Aviary answers only on its own loopback address.');
      return;
    }
    void serveStatic(options.rendererDir, req, res).catch((err: unknown) => {
      log(`web: static file error: ${(err as Error).message}`);
      if (!res.headersSent) respond(res, 500, 'Internal error');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (protocols) => (protocols.has(WIRE_PROTOCOL) ? WIRE_PROTOCOL : false),
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/api') return refuse(404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(421, 'Misdirected Request');
    if (!allowedOrigins().has(req.headers.origin ?? '')) return refuse(403, 'Forbidden');
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
    if (!tokenMatches(offered?.slice(TOKEN_PROTOCOL_PREFIX.length)))
      return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => serveConnection(ws, options.backend, log));

  // A dead browser tab must not keep its event subscription forever.
  const alive = new WeakSet<WebSocket>();
  wss.on('connection', (ws: WebSocket) => {
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
  });
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    connections: () => wss.clients.size,
    async close() {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.close(1001, 'Aviary is shutting down');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    },
  };
}

function serveConnection(
  ws: WebSocket,
  backend: WebModeBackend,
  log: (line: string) => void,
): void {
  const send = (frame: ServerFrame): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const unsubscribe = backend.subscribe((event) => send({ kind: 'event', event }));
  ws.on('close', unsubscribe);
  ws.on('error', (err) => log(`web: websocket error: ${err.message}`));
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.close(1003, 'text frames only');
      return;
    }
    const frame = parseClientFrame(data.toString());
    if (!frame) {
      ws.close(1007, 'malformed frame');
      return;
    }
    void dispatchInvoke(backend.handlers, frame.method, frame.args).then((outcome) =>
      send({ kind: 'outcome', id: frame.id, ...outcome }),
    );
  });
}

function respond(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    respond(res, 405, 'Method not allowed');
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    respond(res, 400, 'Bad request');
    return;
  }
  if (pathname.endsWith('/')) pathname += 'index.html';
  const file = normalize(join(root, pathname));
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
    respond(res, 403, 'Forbidden');
    return;
  }
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    respond(
      res,
      404,
      pathname === '/index.html' ? 'The renderer is not built: run npm run build' : 'Not found',
    );
    return;
  }
  const isHtml = extname(file) === '.html';
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    // Hashed assets can be cached; the page itself must always be fresh.
    'Cache-Control': isHtml ? 'no-store' : 'public, max-age=31536000, immutable',
    ...(isHtml
      ? { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Frame-Options': 'DENY' }
      : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}
