/**
 * Probing one context: `GET /version` through client-node with the context's own
 * credentials, and turning whatever goes wrong into a state and a sentence a person can
 * act on. Messages are built here from error codes, never copied from client-node or
 * node-fetch errors (those may echo request options, headers or plugin output).
 */
import { performance } from 'node:perf_hooks';
import {
  Observable,
  VersionApi,
  type KubeConfig,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import type { ConnectionState } from '../../shared/api';

export type ProbeOutcome =
  | { state: 'connected'; serverVersion: string; latencyMs: number }
  | { state: Exclude<ConnectionState, 'connected' | 'connecting'>; message: string };

export interface ProbeTarget {
  /** For messages: the server URL (without credentials) and the user name. */
  server: string;
  userName?: string;
  execCommand?: string;
  /** Credential strings to scrub from any outside text that makes it into a message. */
  secrets: string[];
}

export interface ProbeOptions {
  timeoutMs: number;
  /** Aborts the probe (the catalog stopping); the outcome is then meaningless. */
  signal?: AbortSignal;
}

/**
 * The probe's timeout bounds real network I/O, so it runs on real time, not on the
 * injected clock (a ManualClock would otherwise leave a hung probe pending forever).
 */
export async function probeVersion(
  kc: KubeConfig,
  target: ProbeTarget,
  options: ProbeOptions,
): Promise<ProbeOutcome> {
  const controller = new AbortController();
  let timedOut = false;
  const onOuterAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  // Aborting only stops the HTTP request; an exec plugin that hangs before it is
  // raced here so the probe still ends on time.
  const deadline = new Promise<'timeout'>((resolve) => {
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
      resolve('timeout');
    }, options.timeoutMs);
    timer.unref();
    controller.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve('timeout');
    });
  });

  let requestStarted = false;
  const started = performance.now();
  try {
    // Runs after client-node has applied the credentials: errors before this point
    // come from obtaining them (exec plugin, token file, OIDC refresh).
    // (The object-param API takes observable middleware, like client-node's own.)
    const markSent: ObservableMiddleware = {
      pre: (context) => {
        requestStarted = true;
        context.setSignal(controller.signal);
        return new Observable(Promise.resolve(context));
      },
      post: (response) => new Observable(Promise.resolve(response)),
    };
    const api = kc.makeApiClient(VersionApi);
    // The object-param API: (request params, per-call options).
    const call = api.getCode({}, { middleware: [markSent], middlewareMergeStrategy: 'append' });
    call.catch(() => undefined); // settled below or abandoned after the deadline
    const result = await Promise.race([call, deadline]);
    if (result === 'timeout') return timeoutOutcome(options.timeoutMs, target, requestStarted);
    const latencyMs = Math.round(performance.now() - started);
    const serverVersion = typeof result.gitVersion === 'string' ? result.gitVersion : '';
    if (!serverVersion) {
      return {
        state: 'unreachable',
        message: `${target.server} answered /version without a Kubernetes version`,
      };
    }
    return { state: 'connected', serverVersion, latencyMs };
  } catch (err) {
    if (timedOut) return timeoutOutcome(options.timeoutMs, target, requestStarted);
    return requestStarted
      ? describeRequestError(err, target)
      : describeCredentialError(err, target);
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    controller.abort();
  }
}

function timeoutOutcome(
  timeoutMs: number,
  target: ProbeTarget,
  requestStarted: boolean,
): ProbeOutcome {
  if (!requestStarted && target.execCommand) {
    return {
      state: 'unauthorized',
      message: `the exec plugin of user "${target.userName}" did not answer within ${formatDuration(timeoutMs)}`,
    };
  }
  return {
    state: 'unreachable',
    message: `timed out after ${formatDuration(timeoutMs)} at ${target.server}`,
  };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
}

interface ErrorFields {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  path?: unknown;
}

function fields(err: unknown): ErrorFields {
  return typeof err === 'object' && err !== null ? (err as ErrorFields) : {};
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

const HTTP_REASONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The request was sent (or tried to be): network, TLS, or HTTP status. */
export function describeRequestError(err: unknown, target: ProbeTarget): ProbeOutcome {
  const { code, name } = fields(err);
  const at = target.server;
  if (typeof code === 'number') {
    const status = `${code}${HTTP_REASONS[code] ? ` ${HTTP_REASONS[code]}` : ''}`;
    if (code === 401 || code === 403) {
      const who = target.userName ? `of user ${target.userName}` : '(no user: anonymous request)';
      return {
        state: 'unauthorized',
        message: `the server rejected the credentials ${who} (${status})`,
      };
    }
    return { state: 'unreachable', message: `${at} answered GET /version with ${status}` };
  }
  if (name === 'SyntaxError') {
    return { state: 'unreachable', message: `${at} did not answer like a Kubernetes API server` };
  }
  const sys = typeof code === 'string' ? code : '';
  const host = hostOf(at);
  switch (sys) {
    case 'ECONNREFUSED':
      return { state: 'unreachable', message: `connection refused at ${at}` };
    case 'ENOTFOUND':
      return { state: 'unreachable', message: `DNS: host ${host} not found` };
    case 'EAI_AGAIN':
      return { state: 'unreachable', message: `DNS: lookup of ${host} failed (temporary failure)` };
    case 'ECONNRESET':
    case 'EPIPE':
      return { state: 'unreachable', message: `connection reset by ${at}` };
    case 'EHOSTUNREACH':
      return { state: 'unreachable', message: `host unreachable: ${at}` };
    case 'ENETUNREACH':
      return { state: 'unreachable', message: `network unreachable: ${at}` };
    case 'ETIMEDOUT':
      return { state: 'unreachable', message: `connection timed out at ${at}` };
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return {
        state: 'unreachable',
        message: `TLS: the server certificate is not valid for ${host}`,
      };
    case 'CERT_HAS_EXPIRED':
      return { state: 'unreachable', message: 'TLS: the server certificate has expired' };
    case 'CERT_NOT_YET_VALID':
      return { state: 'unreachable', message: 'TLS: the server certificate is not valid yet' };
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return {
        state: 'unreachable',
        message: `TLS handshake failed at ${at} (is it an HTTPS server?)`,
      };
  }
  if (UNKNOWN_AUTHORITY.has(sys)) {
    return { state: 'unreachable', message: 'TLS: certificate signed by unknown authority' };
  }
  if (/ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN)/.test(sys)) {
    return {
      state: 'unauthorized',
      message: `the server rejected the client certificate of user ${target.userName ?? '(none)'} (TLS alert)`,
    };
  }
  if (sys.startsWith('ERR_OSSL') || sys.startsWith('ERR_SSL')) {
    // OpenSSL reasons name the failure ("key values mismatch"), never key bytes.
    return {
      state: 'invalid',
      message: `TLS credentials could not be used: ${opensslReason(err)}`,
    };
  }
  if (sys.startsWith('E')) return { state: 'unreachable', message: `${at}: network error ${sys}` };
  return {
    state: 'unreachable',
    message: `could not reach ${at} (${sys || String(name ?? 'unknown error')})`,
  };
}

/** Getting the credentials failed before any request: plugin, token file, OIDC refresh. */
export function describeCredentialError(err: unknown, target: ProbeTarget): ProbeOutcome {
  const { code, name, path: errPath } = fields(err);
  const who = `user "${target.userName ?? ''}"`;
  if (target.execCommand) {
    const plugin = `the exec plugin "${target.execCommand}" of ${who}`;
    if (code === 'ENOENT') return { state: 'invalid', message: `${plugin} was not found` };
    if (code === 'EACCES') return { state: 'invalid', message: `${plugin} is not executable` };
    if (name === 'SyntaxError') {
      return { state: 'unauthorized', message: `${plugin} did not print an ExecCredential JSON` };
    }
    if (name === 'TypeError')
      return { state: 'unauthorized', message: `${plugin} returned no credential status` };
    const stderr = scrub(firstLine(fields(err).message), target.secrets);
    return { state: 'unauthorized', message: `${plugin} failed${stderr ? `: ${stderr}` : ''}` };
  }
  if (code === 'ENOENT' && typeof errPath === 'string') {
    return { state: 'invalid', message: `cannot read ${errPath}: the file does not exist` };
  }
  if (code === 'EACCES' && typeof errPath === 'string') {
    return { state: 'invalid', message: `cannot read ${errPath}: permission denied` };
  }
  if (typeof code === 'string' && code.startsWith('ERR_OSSL')) {
    return {
      state: 'invalid',
      message: `TLS credentials could not be used: ${opensslReason(err)}`,
    };
  }
  if (typeof name === 'string' && /oidc|openid|OPError|RPError|ResponseBodyError/i.test(name)) {
    return {
      state: 'unauthorized',
      message: `could not refresh the OIDC token of ${who} (${name})`,
    };
  }
  return {
    state: 'invalid',
    message: `could not prepare the credentials of ${who} (${typeof name === 'string' ? name : 'error'})`,
  };
}

function hostOf(server: string): string {
  try {
    return new URL(server).hostname;
  } catch {
    return server;
  }
}

function opensslReason(err: unknown): string {
  const message = firstLine(fields(err).message);
  // "error:05800074:x509 certificate routines::key values mismatch" -> "key values mismatch"
  const reason = message.split('::').pop()?.trim() || message.split(':').pop()?.trim() || '';
  return /^[\w .,'-]{1,120}$/.test(reason) ? reason : 'unreadable certificate or key';
}

function firstLine(value: unknown): string {
  if (typeof value !== 'string') return '';
  return (value.split('\n').find((l) => l.trim().length > 0) ?? '').trim().slice(0, 200);
}

/**
 * Removes known credentials and anything shaped like one (JWTs, bearer values, long
 * base64 runs) from text that came from outside, e.g. an exec plugin's stderr.
 */
export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[redacted]')
    .replace(/(bearer|token|password|secret)([\s:=]+)\S+/gi, '$1$2[redacted]')
    .replace(/[A-Za-z0-9+/_-]{32,}={0,2}/g, '[redacted]');
}
