/**
 * Metrics providers by MetricTemplate `spec.provider.type` (pkg/metrics/providers/factory.go).
 * One file per provider; only prometheus exists so far. A type outside the CRD's list falls
 * back to prometheus with Flagger's warning; a listed type Aviary has no file for yet is the
 * provider's error ("Metric template x.ns provider datadog error: ..."), never a silent
 * Prometheus query against a server that is not one.
 */
import { METRIC_PROVIDER_TYPES, texts } from '../canary';
import type { MetricTemplateProvider } from '../canary';
import type { ClusterHttp } from '../kube/cluster-address';
import type { MetricsProvider } from './prometheus';
import { createPrometheusProvider } from './prometheus';

export type { MetricsProvider } from './prometheus';
export {
  MultipleValuesError,
  NoValuesFoundError,
  createPrometheusProvider,
  isNoValuesFound,
  wrapError,
} from './prometheus';

export interface MetricsProviderContext {
  provider: MetricTemplateProvider;
  /** The metric's interval ("1m" default), for providers that need a window (datadog...). */
  metricInterval: string;
  credentials?: Record<string, string>;
  http: ClusterHttp;
  /** The canary's namespace, where a bare service name resolves. */
  namespace: string;
}

/** New<Type>Provider: throws with the provider's error text when the spec is unusable. */
export type MetricsProviderFactory = (context: MetricsProviderContext) => MetricsProvider;

export const METRICS_PROVIDERS: Record<string, MetricsProviderFactory> = {
  prometheus: (c) =>
    createPrometheusProvider({
      provider: c.provider,
      ...(c.credentials ? { credentials: c.credentials } : {}),
      http: c.http,
      namespace: c.namespace,
    }),
};

/**
 * Factory.Provider. `warn` receives Flagger's "unknown metrics provider" line. Throws the
 * provider's construction error.
 */
export function createMetricsProvider(
  context: MetricsProviderContext,
  warn: (message: string) => void,
  providers: Record<string, MetricsProviderFactory> = METRICS_PROVIDERS,
): MetricsProvider {
  const type = context.provider.type ?? '';
  const factory = providers[type];
  if (factory) return factory(context);
  if ((METRIC_PROVIDER_TYPES as readonly string[]).includes(type)) {
    throw new Error(`the ${type} metrics provider is not supported by Aviary yet`);
  }
  warn(texts.unknownMetricsProvider(type));
  const prometheus = providers.prometheus ?? METRICS_PROVIDERS.prometheus;
  if (!prometheus) throw new Error('no prometheus provider');
  return prometheus(context);
}
