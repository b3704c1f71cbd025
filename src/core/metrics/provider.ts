/**
 * What every MetricTemplate provider shares (pkg/metrics/providers/provider.go, errors.go):
 * the two-call interface, the sentinel errors the analysis tells apart, and the context a
 * provider is built from.
 */
import type { MetricTemplateProvider } from '../canary';
import type { KubeApi } from '../kube/api';
import type { ClusterHttp } from '../kube/cluster-address';
import type { Clock } from '../../shared/clock';

/** providers.Interface. */
export interface MetricsProvider {
  /** The query's single value; rejects with NoValuesFoundError (possibly wrapped) when empty. */
  runQuery(query: string): Promise<number>;
  /** Resolves true, or rejects with the reason (IsOnline's `(false, err)`). */
  isOnline(): Promise<boolean>;
}

export interface MetricsProviderContext {
  provider: MetricTemplateProvider;
  /** The metric's interval ("1m" default), for providers that need a window (datadog...). */
  metricInterval: string;
  credentials?: Record<string, string>;
  http: ClusterHttp;
  /** The canary's namespace, where a bare service name resolves. */
  namespace: string;
  /** The query windows' "now" (datadog, newrelic, dynatrace, cloudwatch); the system clock by default. */
  clock?: Clock;
  /** The cluster's API, for keptn (Flagger's rest.Config); keptn fails to build without it. */
  api?: KubeApi;
}

/** providers.ErrNoValuesFound. */
export class NoValuesFoundError extends Error {
  constructor() {
    super('no values found');
    this.name = 'NoValuesFoundError';
  }
}

/** providers.ErrMultipleValuesReturned. */
export class MultipleValuesError extends Error {
  constructor() {
    super('query returned multiple values');
    this.name = 'MultipleValuesError';
  }
}

/** fmt.Errorf("prefix: %w", err): the text of both, the cause kept for isNoValuesFound. */
export function wrapError(prefix: string, err: unknown): Error {
  const cause = err instanceof Error ? err : new Error(String(err));
  return new Error(`${prefix}: ${cause.message}`, { cause });
}

/** fmt.Errorf("invalid response: %s: %w", body, ErrNoValuesFound). */
export function noValuesIn(detail: string): Error {
  return wrapError(`invalid response: ${detail}`, new NoValuesFoundError());
}

/** errors.Is(err, ErrNoValuesFound). */
export function isNoValuesFound(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof NoValuesFoundError) return true;
  }
  return false;
}
