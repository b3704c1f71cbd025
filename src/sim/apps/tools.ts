/**
 * curl and hey as the loadtester image has them, simulated: requests go through the
 * playground's traffic simulation (so they show in the metrics) and time passes on the
 * injected clock. Exit codes and messages follow the real tools.
 */
import type { ClientRequest, ClientResult } from './app';
import type { CommandIO } from './shell';
import { parseDuration } from './shell';

function normaliseUrl(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
}

function hostAndPort(url: string): { host: string; port: string } {
  try {
    const u = new URL(normaliseUrl(url));
    return { host: u.hostname, port: u.port || (u.protocol === 'https:' ? '443' : '80') };
  } catch {
    return { host: url, port: '80' };
  }
}

function parseHeader(line: string): [string, string] | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
}

// --- curl ---------------------------------------------------------------------------

const CURL_VALUE_FLAGS: Record<string, string> = {
  d: 'data',
  X: 'request',
  H: 'header',
  m: 'max-time',
  o: 'output',
  w: 'write-out',
  u: 'user',
  A: 'user-agent',
  e: 'referer',
  b: 'cookie',
};
const CURL_BOOL_FLAGS: Record<string, string> = {
  s: 'silent',
  S: 'show-error',
  f: 'fail',
  I: 'head',
  i: 'include',
  L: 'location',
  k: 'insecure',
  v: 'verbose',
};
const CURL_LONG_VALUES = new Set([
  'data',
  'data-raw',
  'data-binary',
  'data-ascii',
  'data-urlencode',
  'request',
  'header',
  'max-time',
  'output',
  'write-out',
  'user',
  'user-agent',
  'referer',
  'cookie',
  'connect-timeout',
  'retry',
  'retry-delay',
  'url',
]);

export async function curlCommand(io: CommandIO): Promise<number> {
  const opts = new Map<string, string[]>();
  const flags = new Set<string>();
  const urls: string[] = [];
  const add = (name: string, value: string) => opts.set(name, [...(opts.get(name) ?? []), value]);
  const args = [...io.args];
  while (args.length) {
    const a = args.shift() ?? '';
    if (a.startsWith('--')) {
      const [name = '', inline] = a.slice(2).split(/=(.*)/s, 2);
      if (CURL_LONG_VALUES.has(name)) add(name, inline ?? args.shift() ?? '');
      else flags.add(name);
    } else if (a.startsWith('-') && a.length > 1) {
      for (let i = 1; i < a.length; i++) {
        const f = a[i] ?? '';
        const long = CURL_VALUE_FLAGS[f];
        if (long) {
          add(long, i + 1 < a.length ? a.slice(i + 1) : (args.shift() ?? ''));
          break;
        }
        const bool = CURL_BOOL_FLAGS[f];
        if (!bool) {
          io.err(
            `curl: option -${f}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n`,
          );
          return 2;
        }
        flags.add(bool);
      }
    } else urls.push(a);
  }
  urls.push(...(opts.get('url') ?? []));
  const silent = flags.has('silent');
  const showError = !silent || flags.has('show-error');
  const fail = (code: number, message: string): number => {
    if (showError) io.err(`curl: (${code}) ${message}\n`);
    return code;
  };
  const url = urls[0];
  if (!url) return fail(2, 'no URL specified');

  const data = ['data', 'data-raw', 'data-binary', 'data-ascii', 'data-urlencode'].flatMap(
    (k) => opts.get(k) ?? [],
  );
  const headers: Record<string, string> = { 'user-agent': 'curl/8.5.0', accept: '*/*' };
  for (const line of opts.get('header') ?? []) {
    const h = parseHeader(line);
    if (h) headers[h[0]] = h[1];
  }
  if (data.length && !headers['content-type'])
    headers['content-type'] = 'application/x-www-form-urlencoded';
  const head = flags.has('head');
  const method = opts.get('request')?.at(-1) ?? (head ? 'HEAD' : data.length ? 'POST' : 'GET');
  const maxTimeMs = opts.has('max-time') ? Number(opts.get('max-time')?.at(-1)) * 1000 : undefined;
  const { host, port } = hostAndPort(url);

  const result = await io.network.send({
    url: normaliseUrl(url),
    method,
    headers,
    body: data.join('&'),
  });
  if (result.kind === 'error') {
    return result.code === 'resolve'
      ? fail(6, `Could not resolve host: ${host}`)
      : fail(7, `Failed to connect to ${host} port ${port} after 0 ms: Couldn't connect to server`);
  }
  if (maxTimeMs !== undefined && result.waitMs > maxTimeMs) {
    await io.clock.sleep(maxTimeMs);
    return fail(
      28,
      `Operation timed out after ${Math.round(maxTimeMs)} milliseconds with 0 bytes received`,
    );
  }
  if (result.waitMs > 0) await io.clock.sleep(result.waitMs);
  if (flags.has('fail') && result.status >= 400) {
    return fail(22, `The requested URL returned error: ${result.status}`);
  }
  const headerBlock =
    `HTTP/1.1 ${result.status} ${statusText(result.status)}\r\n` +
    Object.entries(result.headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  let output = head ? headerBlock : (flags.has('include') ? headerBlock : '') + result.body;
  const file = opts.get('output')?.at(-1);
  if (file !== undefined) output = '';
  io.out(output);
  const writeOut = opts.get('write-out')?.at(-1);
  if (writeOut !== undefined) {
    io.out(
      writeOut
        .replace(/%\{http_code\}|%\{response_code\}/g, String(result.status))
        .replace(/%\{time_total\}/g, (result.durationMs / 1000).toFixed(6))
        .replace(/%\{size_download\}/g, String(Buffer.byteLength(result.body)))
        .replace(/\\n/g, '\n'),
    );
  }
  return 0;
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    200: 'OK',
    201: 'Created',
    202: 'Accepted',
    204: 'No Content',
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return texts[status] ?? '';
}

// --- hey ----------------------------------------------------------------------------

/** hey without -q sends as fast as it can; the simulation caps that at this many requests/s in total. */
export const HEY_UNTHROTTLED_RATE = 200;

const HEY_USAGE = `Usage: hey [options...] <url>

Options:
  -n  Number of requests to run. Default is 200.
  -c  Number of workers to run concurrently. Total number of requests cannot
      be smaller than the concurrency level. Default is 50.
  -q  Rate limit, in queries per second (QPS) per worker. Default is no rate limit.
  -z  Duration of application to send requests. When duration is reached,
      application stops and exits. If duration is specified, n is ignored.
      Examples: -z 10s -z 3m.
  -o  Output type. If none provided, a summary is printed.
  -m  HTTP method, one of GET, POST, PUT, DELETE, HEAD, OPTIONS.
  -H  Custom HTTP header. You can specify as many as needed by repeating the flag.
  -t  Timeout for each request in seconds. Default is 20, use 0 for infinite.
  -A  HTTP Accept header.
  -d  HTTP request body.
  -T  Content-type, defaults to "text/html".
  -host	HTTP Host header.
`;

const HEY_VALUE_FLAGS = new Set([
  'n',
  'c',
  'q',
  'z',
  'o',
  'm',
  'H',
  't',
  'A',
  'd',
  'D',
  'T',
  'a',
  'x',
  'host',
  'cpus',
]);
const HEY_BOOL_FLAGS = new Set([
  'h2',
  'disable-compression',
  'disable-keepalive',
  'disable-redirects',
]);

export async function heyCommand(io: CommandIO): Promise<number> {
  const values = new Map<string, string[]>();
  const rest: string[] = [];
  const args = [...io.args];
  while (args.length) {
    const a = args.shift() ?? '';
    if (!a.startsWith('-') || a === '-' || rest.length) {
      rest.push(a);
      continue;
    }
    const [name = '', inline] = a.replace(/^--?/, '').split(/=(.*)/s, 2);
    if (HEY_BOOL_FLAGS.has(name)) continue;
    if (!HEY_VALUE_FLAGS.has(name)) {
      io.err(`flag provided but not defined: -${name}\n${HEY_USAGE}`);
      return 2;
    }
    const value = inline ?? args.shift();
    if (value === undefined) {
      io.err(`flag needs an argument: -${name}\n${HEY_USAGE}`);
      return 2;
    }
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  const usageAndExit = (message: string) => {
    io.err(`${message}\n\n${HEY_USAGE}`);
    return 1;
  };
  const one = (k: string) => values.get(k)?.at(-1);
  const url = rest[0];
  if (!url) return usageAndExit('');
  const n = Number(one('n') ?? 200);
  const c = Number(one('c') ?? 50);
  const q = Number(one('q') ?? 0);
  const timeoutMs = Number(one('t') ?? 20) * 1000;
  const durationMs = one('z') !== undefined ? parseDuration(one('z') ?? '') : undefined;
  if (one('z') !== undefined && durationMs === undefined) {
    io.err(`invalid value "${one('z') ?? ''}" for flag -z: parse error\n${HEY_USAGE}`);
    return 2;
  }
  if (!(c > 0) || !Number.isInteger(c)) return usageAndExit('-c cannot be smaller than 1.');
  if (durationMs === undefined && n < c) return usageAndExit('-n cannot be less than -c.');

  const headers: Record<string, string> = { 'user-agent': 'hey/0.0.1' };
  for (const line of values.get('H') ?? []) {
    const h = parseHeader(line);
    if (!h) return usageAndExit(`could not parse the provided input; input = ${line}`);
    headers[h[0]] = h[1];
  }
  if (one('host')) headers['host'] = one('host') ?? '';
  if (one('A')) headers['accept'] = one('A') ?? '';
  headers['content-type'] = one('T') ?? 'text/html';
  const request: ClientRequest = {
    url: normaliseUrl(url),
    method: (one('m') ?? 'GET').toUpperCase(),
    headers,
    body: one('d') ?? '',
  };

  const start = io.clock.now();
  const deadline = durationMs === undefined ? Infinity : start + durationMs;
  const perWorker = durationMs === undefined ? Math.floor(n / c) : Infinity;
  const intervalMs = q > 0 ? 1000 / q : (1000 * c) / HEY_UNTHROTTLED_RATE;
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const errors = new Map<string, number>();
  let bytes = 0;

  const worker = async () => {
    // Each worker sends on its own ticker (absolute times, so coarse timers do not drift).
    let nextAt = io.clock.now();
    for (let sent = 0; sent < perWorker && io.clock.now() < deadline; sent++) {
      const began = io.clock.now();
      const result: ClientResult = await io.network.send(request);
      let waitMs = 0;
      if (result.kind === 'error') {
        const { host } = hostAndPort(url);
        const message =
          result.code === 'resolve'
            ? `${request.method === 'GET' ? 'Get' : request.method} "${request.url}": dial tcp: lookup ${host} on 10.96.0.10:53: no such host`
            : `${request.method === 'GET' ? 'Get' : request.method} "${request.url}": dial tcp: connect: connection refused`;
        errors.set(message, (errors.get(message) ?? 0) + 1);
      } else if (timeoutMs > 0 && result.waitMs > timeoutMs) {
        waitMs = timeoutMs;
        const message = `${request.method === 'GET' ? 'Get' : request.method} "${request.url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
        errors.set(message, (errors.get(message) ?? 0) + 1);
      } else {
        waitMs = result.waitMs;
        latencies.push(result.durationMs);
        statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
        bytes += Buffer.byteLength(result.body);
      }
      nextAt = Math.max(nextAt + intervalMs, began + waitMs);
      await io.clock.sleep(Math.max(0, nextAt - io.clock.now()));
    }
  };
  await Promise.all(Array.from({ length: c }, worker));

  const totalSeconds = Math.max(io.clock.now() - start, 1) / 1000;
  const secs = (ms: number) => `${(ms / 1000).toFixed(4)} secs`;
  const count = latencies.length;
  let report = '\nSummary:\n';
  report += `  Total:\t${totalSeconds.toFixed(4)} secs\n`;
  if (count) {
    report += `  Slowest:\t${secs(Math.max(...latencies))}\n`;
    report += `  Fastest:\t${secs(Math.min(...latencies))}\n`;
    report += `  Average:\t${secs(latencies.reduce((a, b) => a + b, 0) / count)}\n`;
  }
  report += `  Requests/sec:\t${(count / totalSeconds).toFixed(4)}\n\n`;
  if (count) {
    report += `  Total data:\t${bytes} bytes\n  Size/request:\t${Math.round(bytes / count)} bytes\n\n`;
    report += 'Status code distribution:\n';
    for (const [status, n2] of [...statuses].sort((a, b) => a[0] - b[0]))
      report += `  [${status}]\t${n2} responses\n`;
  }
  if (errors.size) {
    report += '\nError distribution:\n';
    for (const [message, n2] of errors) report += `  [${n2}]\t${message}\n`;
  }
  io.out(report);
  return 0;
}
