/**
 * The built-in Prometheus' HTTP API: the subset Flagger and Aviary call
 * (/api/v1/query, /api/v1/query_range, /-/ready, /-/healthy, /api/v1/status/buildinfo),
 * with Prometheus' exact JSON shape so a client cannot tell it from the real server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../shared/clock';
import {
  evaluateInstant,
  evaluateRange,
  parseDurationMs,
  parseQuery,
  PromQLError,
  sortByLabels,
  type SeriesValue,
  type Value,
} from './engine';
import { Scraper, Tsdb, type Labels, type ScrapeTarget } from './tsdb';

/** Go's strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const negative = s.startsWith('-');
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot < 0 ? mantissa.length : dot) + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (negative ? '-' : '') + out;
}

/** Prometheus' jsonutil.MarshalTimestamp: seconds with up to three decimals. */
export function formatTimestamp(ms: number): string {
  const t = Math.trunc(ms);
  const sign = t < 0 ? '-' : '';
  const abs = Math.abs(t);
  const frac = abs % 1000;
  const secs = Math.floor(abs / 1000);
  return frac === 0 ? `${sign}${secs}` : `${sign}${secs}.${String(frac).padStart(3, '0')}`;
}

function metricJson(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(labels[k])}`).join(',')}}`;
}

function pointJson(ms: number, value: string): string {
  return `[${formatTimestamp(ms)},${JSON.stringify(value)}]`;
}

function matrixJson(series: SeriesValue[]): string {
  return `[${series
    .map(
      (s) =>
        `{"metric":${metricJson(s.labels)},"values":[${s.points.map((p) => pointJson(p.t, formatGoFloat(p.v))).join(',')}]}`,
    )
    .join(',')}]`;
}

/** The `data` object of a query response. */
export function resultJson(value: Value, timeMs: number): string {
  switch (value.type) {
    case 'scalar':
      return `{"resultType":"scalar","result":${pointJson(timeMs, formatGoFloat(value.v))}}`;
    case 'string':
      return `{"resultType":"string","result":${pointJson(timeMs, value.s)}}`;
    case 'vector':
      return `{"resultType":"vector","result":[${sortByLabels(value.samples)
        .map(
          (s) =>
            `{"metric":${metricJson(s.labels)},"value":${pointJson(timeMs, formatGoFloat(s.v))}}`,
        )
        .join(',')}]}`;
    case 'matrix':
      return `{"resultType":"matrix","result":${matrixJson(sortByLabels(value.series))}}`;
  }
}

class ApiError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const badParam = (name: string, message: string) =>
  new ApiError('bad_data', `invalid parameter "${name}": ${message}`, 400);

/** Prometheus' parseTime: unix seconds (float) or RFC 3339; millisecond precision. */
export function parseTimeParam(name: string, text: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const s = Number(text);
    const whole = Math.trunc(s);
    return whole * 1000 + Math.round((s - whole) * 1000);
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  throw badParam(name, `cannot parse ${JSON.stringify(text)} to a valid timestamp`);
}

function parseDurationParam(name: string, text: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Math.trunc(Number(text) * 1000);
  const ms = parseDurationMs(text);
  if (ms === undefined)
    throw badParam(name, `cannot parse ${JSON.stringify(text)} to a valid duration`);
  return ms;
}

async function readParams(req: IncomingMessage, url: URL): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.searchParams);
  if (req.method === 'POST') {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const type = String(req.headers['content-type'] ?? '');
    if (type.includes('application/x-www-form-urlencoded')) {
      // As Go's r.FormValue: body values take precedence over the URL's.
      for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
        params.set(k, v);
    }
  }
  return params;
}

export interface PrometheusHandlerOptions {
  db: Tsdb;
  clock: Clock;
  /** Instant-selector lookback, default 5 min. */
  lookbackMs?: number;
}

/**
 * A request handler for the API, mountable in any Node HTTP server (e.g. behind the
 * simulated service proxy as prometheus.monitoring:9090). `pathname` overrides the
 * request's path, for callers that strip a proxy prefix.
 */
export type PrometheusHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  pathname?: string,
) => Promise<void>;

export function createPrometheusHandler(options: PrometheusHandlerOptions): PrometheusHandler {
  const { db, clock } = options;
  const evalOpts = options.lookbackMs !== undefined ? { lookbackMs: options.lookbackMs } : {};

  const send = (res: ServerResponse, status: number, body: string, type = 'application/json') => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };

  const query = (params: URLSearchParams): string => {
    const q = params.get('query') ?? '';
    const t =
      params.has('time') && params.get('time') !== ''
        ? parseTimeParam('time', params.get('time') as string)
        : clock.now();
    let expr;
    try {
      expr = parseQuery(q);
    } catch (err) {
      if (err instanceof PromQLError) throw badParam('query', err.message);
      throw err;
    }
    return resultJson(evaluateInstant(db, expr, t, evalOpts), t);
  };

  const queryRange = (params: URLSearchParams): string => {
    const need = (name: string) => {
      const v = params.get(name);
      if (v === null || v === '')
        throw badParam(
          name,
          `cannot parse "" to a valid ${name === 'step' ? 'duration' : 'timestamp'}`,
        );
      return v;
    };
    const start = parseTimeParam('start', need('start'));
    const end = parseTimeParam('end', need('end'));
    if (end < start) throw badParam('end', 'end timestamp must not be before start time');
    const step = parseDurationParam('step', need('step'));
    if (step <= 0) {
      throw badParam(
        'step',
        'zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    }
    if ((end - start) / step > 11_000) {
      throw new ApiError(
        'bad_data',
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
        400,
      );
    }
    let expr;
    try {
      expr = parseQuery(params.get('query') ?? '');
    } catch (err) {
      if (err instanceof PromQLError) throw badParam('query', err.message);
      throw err;
    }
    return `{"resultType":"matrix","result":${matrixJson(evaluateRange(db, expr, start, end, step, evalOpts))}}`;
  };

  return async (req, res, pathname) => {
    const url = new URL(req.url ?? '/', 'http://prometheus.local');
    const path = pathname ?? url.pathname;
    try {
      switch (path) {
        case '/-/ready':
          return send(res, 200, 'Prometheus Server is Ready.\n', 'text/plain; charset=utf-8');
        case '/-/healthy':
          return send(res, 200, 'Prometheus Server is Healthy.\n', 'text/plain; charset=utf-8');
        case '/api/v1/status/buildinfo':
          return send(
            res,
            200,
            JSON.stringify({
              status: 'success',
              data: {
                version: '2.42.0-aviary-playground',
                revision: 'builtin',
                branch: 'playground',
                buildUser: 'aviary',
                buildDate: '',
                goVersion: 'none',
              },
            }),
          );
        case '/api/v1/query':
        case '/api/v1/query_range': {
          if (req.method !== 'GET' && req.method !== 'POST') {
            return send(res, 405, 'Method Not Allowed\n', 'text/plain; charset=utf-8');
          }
          const params = await readParams(req, url);
          const data = path === '/api/v1/query' ? query(params) : queryRange(params);
          return send(res, 200, `{"status":"success","data":${data}}`);
        }
        default:
          return send(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
      }
    } catch (err) {
      let apiErr: ApiError;
      if (err instanceof ApiError) apiErr = err;
      else if (err instanceof PromQLError) {
        apiErr = new ApiError(err.errorType, err.message, err.errorType === 'bad_data' ? 400 : 422);
      } else
        apiErr = new ApiError('internal', err instanceof Error ? err.message : String(err), 500);
      send(
        res,
        apiErr.status,
        JSON.stringify({ status: 'error', errorType: apiErr.errorType, error: apiErr.message }),
      );
    }
  };
}

export interface BuiltinPrometheusOptions {
  /** The current scrape targets; called every scrape, so targets can come and go. */
  targets: () => readonly ScrapeTarget[];
  clock: Clock;
  /** Default 5000 ms. */
  scrapeIntervalMs?: number;
  /** Default 1 h. */
  retentionMs?: number;
  lookbackMs?: number;
  /** Listen port on 127.0.0.1; default 0 (a free port). */
  port?: number;
  /** Set false to only build the handler (no listening socket). Default true. */
  listen?: boolean;
}

export interface BuiltinPrometheus {
  /** http://127.0.0.1:PORT, or '' when not listening. */
  url: string;
  handler: PrometheusHandler;
  db: Tsdb;
  scraper: Scraper;
  stop(): Promise<void>;
}

/** The playground's Prometheus when no binary is installed: scraper + TSDB + API. */
export async function startBuiltinPrometheus(
  options: BuiltinPrometheusOptions,
): Promise<BuiltinPrometheus> {
  const db = new Tsdb();
  const scraper = new Scraper(db, {
    targets: options.targets,
    clock: options.clock,
    intervalMs: options.scrapeIntervalMs ?? 5000,
    ...(options.retentionMs !== undefined ? { retentionMs: options.retentionMs } : {}),
  });
  const handler = createPrometheusHandler({
    db,
    clock: options.clock,
    ...(options.lookbackMs !== undefined ? { lookbackMs: options.lookbackMs } : {}),
  });
  let server: Server | undefined;
  let url = '';
  if (options.listen !== false) {
    const srv = createServer((req, res) => void handler(req, res));
    server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  }
  scraper.start();
  return {
    url,
    handler,
    db,
    scraper,
    async stop() {
      scraper.stop();
      if (server) {
        const srv = server;
        server = undefined;
        srv.closeAllConnections();
        await new Promise<void>((resolve) => srv.close(() => resolve()));
      }
    },
  };
}
