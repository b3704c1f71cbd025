/**
 * Go's net/url, strconv and encoding/json behaviour the REST metrics providers rely on, so
 * requests are built and errors read as Flagger's Go providers build and print them.
 */
import { parseGoDuration } from '../canary';
import type { HttpResult } from '../kube/api';
import type { ClusterHttp, ClusterHttpRequest } from '../kube/cluster-address';
import { HttpTransportError } from '../kube/cluster-address';
import { wrapError } from './provider';

/** The 5 s context timeout of the Go REST providers. */
export const PROVIDER_TIMEOUT_MS = 5_000;

/** url.QueryEscape: spaces as '+', everything but [A-Za-z0-9-_.~] percent-encoded. */
export function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** url.Values.Encode: keys sorted, each key's values in the order added. */
export function goEncodeValues(values: ReadonlyArray<readonly [string, string]>): string {
  const keys = [...new Set(values.map(([k]) => k))].sort();
  const parts: string[] = [];
  for (const key of keys) {
    for (const [k, v] of values)
      if (k === key) parts.push(`${goQueryEscape(k)}=${goQueryEscape(v)}`);
  }
  return parts.join('&');
}

/** url.QueryUnescape, or undefined for a bad %-escape. */
function goQueryUnescape(s: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return undefined;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** url.ParseQuery as URL.Query() uses it: pairs with a ';' or a bad escape are dropped. */
export function goParseQuery(raw: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of raw.split('&')) {
    if (part === '' || part.includes(';')) continue;
    const eq = part.indexOf('=');
    const key = goQueryUnescape(eq < 0 ? part : part.slice(0, eq));
    const value = goQueryUnescape(eq < 0 ? '' : part.slice(eq + 1));
    if (key === undefined || value === undefined) continue;
    out.push([key, value]);
  }
  return out;
}

/**
 * `u.Path = path.Join(base.Path, rel); base.ResolveReference(u)`, as the Prometheus and
 * Graphite providers build their URLs: the address's path kept, `..` and `.` cleaned.
 */
export function joinAddressPath(address: URL, rel: string): string {
  const parts = `${address.pathname}/${rel}`.split('/').filter((p) => p && p !== '.');
  const clean: string[] = [];
  for (const p of parts) {
    if (p === '..') clean.pop();
    else clean.push(p);
  }
  return `${address.origin}/${clean.join('/')}`;
}

/** strconv.ParseFloat's accepted forms (incl. "NaN", "+Inf"), or undefined. */
export function parseGoFloat(s: string): number | undefined {
  const t = s.trim() === s ? s : '';
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return Number(t.replace(/^([+-]?)0x/i, '$10x'));
  return undefined;
}

/** strconv.ParseFloat's error. */
export function goParseFloatError(s: string): Error {
  return new Error(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/** JSON.parse, throwing encoding/json's message for the common syntax errors. */
export function parseGoJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw new Error(goJsonSyntaxText((err as Error).message, body), { cause: err });
  }
}

/** encoding/json's text for the syntax errors JSON.parse reports. */
function goJsonSyntaxText(message: string, body: string): string {
  const token = /^Unexpected token '(.)'/.exec(message)?.[1];
  const after = /after JSON at position (\d+)/.exec(message)?.[1];
  if (token !== undefined) return `invalid character '${token}' looking for beginning of value`;
  if (after !== undefined)
    return `invalid character '${body.charAt(Number(after))}' after top-level value`;
  if (/end of JSON input/i.test(message) || body.trim() === '')
    return 'unexpected end of JSON input';
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/** `json.Unmarshal(b, &res)` failing: "error unmarshaling result: %w, '%s'". */
export function unmarshalError(err: unknown, body: string): Error {
  return new Error(`error unmarshaling result: ${(err as Error).message}, '${body}'`, {
    cause: err,
  });
}

/** time.ParseDuration(metricInterval) in seconds, or Flagger's "error parsing metric interval". */
export function metricIntervalSeconds(metricInterval: string): number {
  try {
    return parseGoDuration(metricInterval) / 1e9;
  } catch (err) {
    throw wrapError('error parsing metric interval', err);
  }
}

/** One request; no HTTP answer is Go's `request failed: Get "...": ...`. */
export async function send(http: ClusterHttp, request: ClusterHttpRequest): Promise<HttpResult> {
  try {
    return await http.request({ timeoutKind: 'context', ...request });
  } catch (err) {
    if (err instanceof HttpTransportError) throw wrapError('request failed', err);
    throw err;
  }
}

/** A JSON object's field, or undefined when the value is not an object. */
export function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** Go's `%s` of r.Status: "403 Forbidden". */
export function goStatus(status: number, text: string): string {
  return text ? `${status} ${text}` : `${status}`;
}
