/**
 * A notifier post through an HTTP proxy (the AlertProvider's `proxy`, -slack-proxy-url), as
 * Go's http.Transport with Proxy: http.ProxyURL(proxy) sends it: a plain-http hook goes to the
 * proxy in absolute form, an https hook through a CONNECT tunnel with TLS end to end. Proxy
 * credentials in the URL become Proxy-Authorization. Errors read as Go prints them, with the
 * hook's path and the proxy's password redacted.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Clock, TimerHandle } from '../../shared/clock';
import type { HttpResult } from '../kube/api';
import { HttpTransportError, redactUrl } from '../kube/cluster-address';

export interface ProxiedPost {
  url: string;
  proxy: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  clock: Clock;
  /** Extra trusted CA (PEM) for the hook's certificate: tests only. */
  ca?: string;
}

const CERT_ERROR =
  /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT)/;

const defaultPort = (u: URL): string => u.port || (u.protocol === 'https:' ? '443' : '80');

/** Go's text for a failure reaching the proxy itself ("proxyconnect tcp: dial tcp ..."). */
function proxyDialText(err: NodeJS.ErrnoException, proxy: URL): string {
  const address = `${proxy.hostname}:${defaultPort(proxy)}`;
  if (err.code === 'ECONNREFUSED')
    return `proxyconnect tcp: dial tcp ${address}: connect: connection refused`;
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
    return `proxyconnect tcp: dial tcp: lookup ${proxy.hostname}: no such host`;
  if (err.code === 'ECONNRESET') return 'EOF';
  return `proxyconnect tcp: ${err.message}`;
}

/** Go's text for a failure past the proxy (TLS with the hook, the hook's answer). */
function hookText(err: NodeJS.ErrnoException, hook: URL): string {
  const code = err.code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `tls: failed to verify certificate: x509: certificate is not valid for ${hook.hostname}`;
  if (CERT_ERROR.test(code))
    return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (code === 'ECONNRESET') return 'EOF';
  return err.message;
}

async function readResponse(response: IncomingMessage): Promise<HttpResult> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return {
    status: response.statusCode ?? 0,
    headers,
    body: Buffer.concat(chunks).toString('utf8'),
  };
}

/** POSTs `post.body` to `post.url` through the proxy; rejects with HttpTransportError. */
export async function postViaProxy(post: ProxiedPost): Promise<HttpResult> {
  let proxy: URL;
  try {
    proxy = new URL(post.proxy);
  } catch {
    const shown = redactUrl(post.proxy);
    throw new Error(`unable to parse proxy URL '${shown}', error: parse "${shown}": invalid URL`);
  }
  const hookShown = redactUrl(post.url, { secretPath: true });
  const fail = (text: string, retriable = true): HttpTransportError =>
    new HttpTransportError(`Post "${hookShown}": ${text}`, retriable);

  let hook: URL;
  try {
    hook = new URL(post.url);
  } catch {
    throw fail('unsupported protocol scheme ""', false);
  }
  if (hook.protocol !== 'http:' && hook.protocol !== 'https:')
    throw fail(`unsupported protocol scheme "${hook.protocol.replace(/:$/, '')}"`, false);
  if (proxy.protocol !== 'http:')
    throw fail(
      `proxyconnect tcp: proxy scheme "${proxy.protocol.replace(/:$/, '')}" is not supported (Aviary supports http:// proxies)`,
      false,
    );

  const proxyAuth: Record<string, string> = proxy.username
    ? {
        'Proxy-Authorization': `Basic ${Buffer.from(
          `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`,
        ).toString('base64')}`,
      }
    : {};
  const headers = {
    'User-Agent': 'Go-http-client/1.1',
    ...post.headers,
    'Content-Length': String(Buffer.byteLength(post.body)),
  };
  const proxyTarget = { host: proxy.hostname, port: Number(defaultPort(proxy)) };

  const controller = new AbortController();
  const { signal } = controller;
  let timer: TimerHandle | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = post.clock.setTimeout(() => {
      controller.abort();
      reject(fail('context deadline exceeded'));
    }, post.timeoutMs);
  });

  /** http hook: the whole request to the proxy, with the absolute URL as its target. */
  const viaForward = (): Promise<HttpResult> =>
    new Promise<HttpResult>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          ...proxyTarget,
          method: 'POST',
          path: hook.toString(),
          headers: { Host: hook.host, ...headers, ...proxyAuth },
          signal,
        },
        (response) => readResponse(response).then(resolve, reject),
      );
      outgoing.on('error', (err: NodeJS.ErrnoException) => {
        if (signal.aborted) return;
        reject(fail(proxyDialText(err, proxy)));
      });
      outgoing.end(post.body);
    });

  /** https hook: CONNECT host:port, then TLS and the request inside the tunnel. */
  const viaTunnel = async (): Promise<HttpResult> => {
    const authority = `${hook.hostname.includes(':') ? `[${hook.hostname}]` : hook.hostname}:${defaultPort(hook)}`;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const connect = httpRequest({
        ...proxyTarget,
        method: 'CONNECT',
        path: authority,
        headers: { Host: authority, 'User-Agent': 'Go-http-client/1.1', ...proxyAuth },
        signal,
      });
      connect.on('connect', (response: IncomingMessage, tunnel: Socket) => {
        if (response.statusCode === 200) return resolve(tunnel);
        tunnel.destroy();
        // Go: errors.New(the status text after the code).
        reject(fail(response.statusMessage || 'unknown status code'));
      });
      connect.on('response', (response: IncomingMessage) => {
        response.resume();
        reject(fail(response.statusMessage || 'unknown status code'));
      });
      connect.on('error', (err: NodeJS.ErrnoException) => {
        if (!signal.aborted) reject(fail(proxyDialText(err, proxy)));
      });
      connect.end();
    });
    return new Promise<HttpResult>((resolve, reject) => {
      const outgoing = httpsRequest(
        {
          host: hook.hostname,
          port: Number(defaultPort(hook)),
          method: 'POST',
          path: `${hook.pathname}${hook.search}`,
          headers: { Host: hook.host, ...headers },
          signal,
          createConnection: () =>
            tlsConnect({
              socket,
              host: hook.hostname,
              ...(post.ca ? { ca: post.ca } : {}),
            }),
        },
        (response) => readResponse(response).then(resolve, reject),
      );
      outgoing.on('error', (err: NodeJS.ErrnoException) => {
        socket.destroy();
        if (!signal.aborted) reject(fail(hookText(err, hook), !CERT_ERROR.test(err.code ?? '')));
      });
      outgoing.end(post.body);
    });
  };

  try {
    return await Promise.race([hook.protocol === 'https:' ? viaTunnel() : viaForward(), expired]);
  } finally {
    post.clock.clearTimeout(timer);
  }
}
