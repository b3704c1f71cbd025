/**
 * Metrics providers by MetricTemplate `spec.provider.type` (pkg/metrics/providers/factory.go).
 * One file per provider. A type outside the CRD's list falls back to prometheus with
 * Flagger's warning; a listed type Aviary has no file for (externalmetrics, splunk) is the
 * provider's error ("Metric template x.ns provider splunk error: ..."), never a silent
 * Prometheus query against a server that is not one.
 */
import { METRIC_PROVIDER_TYPES, texts } from '../canary';
import { createCloudWatchProvider } from './cloudwatch';
import { createDatadogProvider } from './datadog';
import { createDynatraceProvider } from './dynatrace';
import { createGraphiteProvider } from './graphite';
import { createInfluxdbProvider } from './influxdb';
import { createKeptnProvider } from './keptn';
import { createNewRelicProvider } from './newrelic';
import { createPrometheusProvider } from './prometheus';
import type { MetricsProvider, MetricsProviderContext } from './provider';
import { createStackdriverProvider } from './stackdriver';

export type { MetricsProvider, MetricsProviderContext } from './provider';
export {
  MultipleValuesError,
  NoValuesFoundError,
  isNoValuesFound,
  noValuesIn,
  wrapError,
} from './provider';
export { createPrometheusProvider } from './prometheus';

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
  influxdb: createInfluxdbProvider,
  datadog: createDatadogProvider,
  cloudwatch: createCloudWatchProvider,
  newrelic: createNewRelicProvider,
  graphite: createGraphiteProvider,
  stackdriver: createStackdriverProvider,
  dynatrace: createDynatraceProvider,
  keptn: createKeptnProvider,
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
