/**
 * The seam between the traffic simulation and the programs that run in simulated pods.
 * A known image behaves as itself wherever it is deployed (podinfo, echo servers, the
 * flagger-loadtester); anything else is a generic app answering 200 "ok".
 */
import type { Clock } from '../../shared/clock';
import type { Container, Pod } from '../kube';

export interface AppRequest {
  method: string;
  /** The Host header (or the URL host), without port. */
  host: string;
  path: string;
  /** The raw query string, without '?'. */
  query: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Time the app spent answering beyond its version's normal latency (e.g. podinfo /delay). */
  extraLatencyMs?: number;
}

/** What a request from inside a pod to a URL got: an answer, or a network error. */
export type ClientResult =
  | {
      kind: 'response';
      status: number;
      headers: Record<string, string>;
      body: string;
      /** How long the request took in all, as the client measures it. */
      durationMs: number;
      /** The part of durationMs still to pass on the clock before the answer arrives. */
      waitMs: number;
    }
  | { kind: 'error'; code: 'resolve' | 'connect'; message: string };

export interface ClientRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The network as a pod sees it: short service names resolve in the pod's namespace. */
export interface PodNetwork {
  send(request: ClientRequest): Promise<ClientResult>;
}

export interface AppContext {
  pod: Pod;
  container: Container;
  namespace: string;
  clock: Clock;
  random: () => number;
  network: PodNetwork;
}

export interface App {
  /** false for tools (the loadtester) that real users never call. */
  readonly userTraffic: boolean;
  handle(request: AppRequest, ctx: AppContext): AppResponse | Promise<AppResponse>;
}

/** One kind of program: which images it is, and a new instance per workload (its memory). */
export interface AppKind {
  readonly name: string;
  matches(repository: string): boolean;
  create(): App;
}

export function json(status: number, value: unknown): AppResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(value, null, 2),
  };
}

export function text(
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): AppResponse {
  return { status, headers: { 'content-type': contentType }, body };
}

/** The value of "-flag=value" or "-flag value" (also "--flag") in a container's args. */
export function argValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    for (const prefix of [`-${flag}`, `--${flag}`]) {
      if (arg === prefix) return args[i + 1];
      if (arg.startsWith(`${prefix}=`)) return arg.slice(prefix.length + 1);
    }
  }
  return undefined;
}
