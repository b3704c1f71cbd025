/**
 * One analysis step's metric checks: Flagger's runBuiltinMetricChecks then runMetricChecks
 * (pkg/controller/scheduler_metrics.go), in that order and with the same early returns, plus
 * a MetricSample per check for the UI's charts. checkProviders is
 * checkMetricProviderAvailability.
 *
 * Two passes, as in Flagger: first every builtin metric and inline `query` against the
 * canary's metricsServer (or the default), then every `templateRef` metric against its
 * MetricTemplate's provider. The first failing check halts the step; later metrics are not run.
 */
import {
  builtinMetricName,
  metricTemplateModel,
  metricsProviderFor,
  millisecondsToGoDuration,
  observerFor,
  parseMetricTemplate,
  referenceNamespace,
  renderBuiltinQuery,
  renderQuery,
  requestDurationFromQueryValue,
  texts,
  Millisecond,
  metricInterval,
} from '../canary';
import type { Canary, CanaryMetric, MetricTemplate } from '../canary';
import type { EngineLog } from '../controller/log';
import { logRecord } from '../controller/log';
import type {
  AnalysisResult,
  AnalysisRunner,
  EventRecorder,
  MetricSample,
} from '../controller/ports';
import type { KubeApi, KubeObject } from '../kube/api';
import type { ClusterHttp } from '../kube/cluster-address';
import { createClusterHttp } from '../kube/cluster-address';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type { MetricsProvider, MetricsProviderFactory } from './index';
import { METRICS_PROVIDERS, createMetricsProvider, isNoValuesFound, wrapError } from './index';

/** Aviary's default metrics server when a Canary names none (Flagger's -metrics-server). */
export const DEFAULT_METRICS_SERVER = 'http://prometheus.monitoring:9090';

export interface AnalysisRunnerOptions {
  api: KubeApi;
  /** The default Prometheus address (default http://prometheus.monitoring:9090). */
  metricsServer?: string;
  /** Flagger's -mesh-provider (default "istio"), for the builtin queries. */
  meshProvider?: string;
  clock?: Clock;
  log?: EngineLog;
  http?: ClusterHttp;
  providers?: Record<string, MetricsProviderFactory>;
  /**
   * The user's own token for the metrics server they configured (`metricsServer`), from the
   * keychain. Sent only there: never to a Canary's own metricsServer or a template's address,
   * which anyone who can edit a Canary could point at a server of theirs.
   */
  metricsServerToken?: () => Promise<string | undefined>;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Secret `data` decoded (stringData is write-only and never read back). */
function secretData(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = (secret as { data?: Record<string, unknown> }).data ?? {};
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  return out;
}

export function createAnalysisRunner(options: AnalysisRunnerOptions): AnalysisRunner {
  const { api } = options;
  const clock = options.clock ?? systemClock;
  const http = options.http ?? createClusterHttp({ api, clock });
  const meshProvider = options.meshProvider ?? 'istio';
  const defaultServer = options.metricsServer ?? DEFAULT_METRICS_SERVER;
  const providers = options.providers ?? METRICS_PROVIDERS;

  const warnLog = (canary: Canary) => (message: string) =>
    options.log?.(logRecord(clock.now(), api.context, canary, 'warn', message));

  /** The bearer token for the builtin checks' server: the user's, for their own server only. */
  const builtinToken = async (canary: Canary): Promise<string | undefined> =>
    canary.spec.metricsServer || options.metricsServer === undefined
      ? undefined
      : options.metricsServerToken?.();

  /** observers.NewFactory(metricsServer).Client. */
  const prometheusAt = (canary: Canary, address: string, token?: string): MetricsProvider =>
    createMetricsProvider(
      {
        provider: { type: 'prometheus', address },
        metricInterval: '1m',
        ...(token ? { credentials: { token } } : {}),
        http,
        namespace: canary.metadata.namespace,
      },
      warnLog(canary),
      providers,
    );

  /** The template, its credentials and provider, or the step's error text and its kind. */
  type Loaded =
    | { ok: true; template: MetricTemplate; provider: MetricsProvider }
    | {
        ok: false;
        stage: 'template' | 'secret' | 'provider';
        error: string;
        secret?: string;
        providerType?: string;
      };

  const loadTemplate = async (canary: Canary, metric: CanaryMetric): Promise<Loaded> => {
    const ref = metric.templateRef ?? { name: '' };
    const namespace = referenceNamespace(ref, canary.metadata.namespace);
    let template: MetricTemplate;
    try {
      const raw = await api.get({
        apiVersion: 'flagger.app/v1beta1',
        kind: 'MetricTemplate',
        namespace,
        name: ref.name,
      });
      // The informer's lister error for a missing object.
      if (!raw)
        return {
          ok: false,
          stage: 'template',
          error: `metrictemplate.flagger.app "${ref.name}" not found`,
        };
      const parsed = parseMetricTemplate(raw);
      if ('errors' in parsed) {
        const detail = parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
        return { ok: false, stage: 'template', error: `invalid MetricTemplate: ${detail}` };
      }
      template = parsed.template;
    } catch (err) {
      return { ok: false, stage: 'template', error: errorText(err) };
    }
    let credentials: Record<string, string> | undefined;
    const secretRef = template.spec.provider.secretRef;
    if (secretRef) {
      try {
        const secret = await api.get({
          apiVersion: 'v1',
          kind: 'Secret',
          namespace,
          name: secretRef.name,
        });
        if (!secret)
          return {
            ok: false,
            stage: 'secret',
            secret: secretRef.name,
            error: `secrets "${secretRef.name}" not found`,
          };
        credentials = secretData(secret);
      } catch (err) {
        return { ok: false, stage: 'secret', secret: secretRef.name, error: errorText(err) };
      }
    }
    try {
      const provider = createMetricsProvider(
        {
          provider: template.spec.provider,
          metricInterval: metricInterval(metric),
          ...(credentials ? { credentials } : {}),
          http,
          namespace: canary.metadata.namespace,
          clock,
          api,
        },
        warnLog(canary),
        providers,
      );
      return { ok: true, template, provider };
    } catch (err) {
      return {
        ok: false,
        stage: 'provider',
        error: errorText(err),
        providerType: template.spec.provider.type ?? '',
      };
    }
  };

  const runMetricChecks = async (
    canary: Canary,
    events: EventRecorder,
  ): Promise<AnalysisResult> => {
    const samples: MetricSample[] = [];
    const metrics = canary.spec.analysis?.metrics ?? [];
    const halt = async (
      metric: CanaryMetric,
      level: 'warning' | 'error',
      message: string,
      value?: number,
    ): Promise<AnalysisResult> => {
      samples.push({
        metric: metric.name,
        value,
        ...metric.thresholdRange,
        passed: false,
        message,
      });
      await events[level](canary, message);
      return { passed: false, samples };
    };
    const pass = (metric: CanaryMetric, value: number): void => {
      samples.push({ metric: metric.name, value, ...metric.thresholdRange, passed: true });
    };
    /** An in-line or MetricTemplate value against its thresholdRange: a halt, or undefined. */
    const judge = (metric: CanaryMetric, value: number): Promise<AnalysisResult> | undefined => {
      const { min, max } = metric.thresholdRange;
      if (min !== undefined && value < min)
        return halt(
          metric,
          'warning',
          texts.haltMetricBelow(canary, metric.name, value, min),
          value,
        );
      if (max !== undefined && value > max)
        return halt(
          metric,
          'warning',
          texts.haltMetricAbove(canary, metric.name, value, max),
          value,
        );
      pass(metric, value);
      return undefined;
    };

    // Both passes fetch the Knative Service for {{ route }}; one fetch serves them here.
    let knativeRevision: string | undefined;
    if (canary.spec.provider === 'knative' || meshProvider === 'knative') {
      const name = canary.spec.targetRef.name;
      let error: string | undefined;
      try {
        const ksvc = await api.get({
          apiVersion: 'serving.knative.dev/v1',
          kind: 'Service',
          namespace: canary.metadata.namespace,
          name,
        });
        if (!ksvc) error = `services.serving.knative.dev "${name}" not found`;
        else
          knativeRevision =
            (ksvc as { status?: { latestCreatedRevisionName?: string } }).status
              ?.latestCreatedRevisionName ?? '';
      } catch (err) {
        error = errorText(err);
      }
      if (error !== undefined) {
        await events.error(canary, texts.errorFetchingKnativeService(canary, error));
        return { passed: false, samples };
      }
    }

    // --- runBuiltinMetricChecks ---
    const providerName = metricsProviderFor(canary, meshProvider);
    const server = canary.spec.metricsServer || defaultServer;
    const token = await builtinToken(canary);
    let client: MetricsProvider;
    try {
      client = prometheusAt(canary, server, token);
    } catch (err) {
      await events.error(canary, texts.errorBuildingPrometheusClient(server, errorText(err)));
      return { passed: false, samples };
    }

    for (const metric of metrics) {
      const model = metricTemplateModel(canary, metric, knativeRevision);
      const builtin = builtinMetricName(metric);
      const { min, max } = metric.thresholdRange;

      if (builtin) {
        // The observer's GetRequestSuccessRate / GetRequestDuration, with its error wrapping.
        let value: number;
        try {
          const rendered = renderBuiltinQuery(providerName, builtin, model);
          if (!rendered.ok) throw wrapError('rendering query failed', rendered.error);
          try {
            value = await client.runQuery(rendered.query);
          } catch (err) {
            throw wrapError('running query failed', err);
          }
        } catch (err) {
          if (!isNoValuesFound(err))
            return halt(metric, 'error', texts.prometheusQueryFailed(errorText(err)));
          return builtin === 'request-success-rate'
            ? halt(
                metric,
                'warning',
                texts.haltNoValuesSuccessRate(canary, providerName, metric.name, errorText(err)),
              )
            : halt(
                metric,
                'warning',
                texts.haltNoValuesDuration(canary, providerName, metric.name),
              );
        }
        if (builtin === 'request-success-rate') {
          if (min !== undefined && value < min)
            return halt(metric, 'warning', texts.haltSuccessRateBelow(canary, value, min), value);
          if (max !== undefined && value > max)
            return halt(metric, 'warning', texts.haltSuccessRateAbove(canary, value, max), value);
          pass(metric, value);
        } else {
          // A Go Duration (ns) compared with time.Duration(threshold)*time.Millisecond.
          const ns = requestDurationFromQueryValue(observerFor(providerName), value);
          const ms = ns / Millisecond;
          if (min !== undefined && ns < millisecondsToGoDuration(min))
            return halt(metric, 'warning', texts.haltRequestDurationBelow(canary, ns, min), ms);
          if (max !== undefined && ns > millisecondsToGoDuration(max))
            return halt(metric, 'warning', texts.haltRequestDurationAbove(canary, ns, max), ms);
          pass(metric, ms);
        }
      }

      // In-line PromQL. Flagger drops the render error here and sends the empty query it got.
      if (metric.query) {
        const rendered = renderQuery(metric.query, model);
        let value: number;
        try {
          value = await client.runQuery(rendered.ok ? rendered.query : '');
        } catch (err) {
          return isNoValuesFound(err)
            ? halt(metric, 'warning', texts.haltNoValuesMetric(metric.name))
            : halt(metric, 'error', texts.prometheusQueryFailedFor(metric.name, errorText(err)));
        }
        const halted = judge(metric, value);
        if (halted) return halted;
      }
    }

    // --- runMetricChecks ---
    for (const metric of metrics) {
      if (!metric.templateRef) {
        if (!builtinMetricName(metric) && !metric.query)
          return halt(metric, 'error', texts.metricQueryNotConfigured());
        continue;
      }
      const name = metric.templateRef.name;
      const namespace = referenceNamespace(metric.templateRef, canary.metadata.namespace);
      const loaded = await loadTemplate(canary, metric);
      if (!loaded.ok) {
        const message =
          loaded.stage === 'template'
            ? texts.metricTemplateError(name, namespace, loaded.error)
            : loaded.stage === 'secret'
              ? texts.metricTemplateSecretError(name, namespace, loaded.secret ?? '', loaded.error)
              : texts.metricTemplateProviderError(
                  name,
                  namespace,
                  loaded.providerType ?? '',
                  loaded.error,
                );
        return halt(metric, 'error', message);
      }
      const rendered = renderQuery(
        loaded.template.spec.query ?? '',
        metricTemplateModel(canary, metric, knativeRevision),
      );
      if (!rendered.ok)
        return halt(
          metric,
          'error',
          texts.metricTemplateRenderError(name, namespace, rendered.error),
        );
      let value: number;
      try {
        value = await loaded.provider.runQuery(rendered.query);
      } catch (err) {
        return isNoValuesFound(err)
          ? halt(metric, 'warning', texts.haltNoValuesCustomMetric(metric.name, errorText(err)))
          : halt(metric, 'error', texts.metricQueryFailed(metric.name, errorText(err)));
      }
      const halted = judge(metric, value);
      if (halted) return halted;
    }
    return { passed: true, samples };
  };

  const checkProviders = async (canary: Canary): Promise<string | undefined> => {
    for (const metric of canary.spec.analysis?.metrics ?? []) {
      if (builtinMetricName(metric)) {
        const server = canary.spec.metricsServer || defaultServer;
        const token = await builtinToken(canary);
        let client: MetricsProvider;
        try {
          client = prometheusAt(canary, server, token);
        } catch (err) {
          return texts.errorBuildingPrometheusClientLower(server, errorText(err));
        }
        try {
          await client.isOnline();
        } catch (err) {
          return texts.prometheusNotAvailable(errorText(err));
        }
        continue;
      }
      if (!metric.templateRef) continue;
      const name = metric.templateRef.name;
      const namespace = referenceNamespace(metric.templateRef, canary.metadata.namespace);
      const loaded = await loadTemplate(canary, metric);
      if (!loaded.ok) {
        if (loaded.stage === 'template')
          return texts.metricTemplateErrorLower(name, namespace, loaded.error);
        if (loaded.stage === 'secret')
          return texts.metricTemplateSecretErrorLower(
            name,
            namespace,
            loaded.secret ?? '',
            loaded.error,
          );
        return texts.metricTemplateProviderErrorLower(
          name,
          namespace,
          loaded.providerType ?? '',
          loaded.error,
        );
      }
      try {
        await loaded.provider.isOnline();
      } catch (err) {
        return texts.metricTemplateProviderNotAvailable(
          loaded.template.spec.provider.type ?? '',
          loaded.template.metadata.name,
          loaded.template.metadata.namespace,
          errorText(err),
        );
      }
    }
    return undefined;
  };

  return { runMetricChecks, checkProviders };
}
