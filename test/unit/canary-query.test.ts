import { describe, expect, it } from 'vitest';
import {
  BUILTIN_QUERIES,
  builtinQuery,
  collapseQueryWhitespace,
  metricTemplateModel,
  metricsProviderFor,
  observerFor,
  renderBuiltinQuery,
  renderQuery,
  requestDurationFromQueryValue,
} from '../../src/core/canary/query';
import { parseCanary } from '../../src/core/canary/spec';
import { formatGoDuration } from '../../src/core/canary/go-format';
import type { Canary, MetricTemplateModel } from '../../src/core/canary/types';
import { load, nginxYaml } from './canary-fixtures';
import { observerGolden } from './canary-query-golden';

const model: MetricTemplateModel = {
  name: 'standard',
  namespace: 'default',
  target: 'myapp',
  service: 'myapp-svc',
  ingress: 'myapp-ing',
  route: 'myapp-route',
  interval: '1m',
  variables: { cluster: 'dev', consumer_group: 'my_consumer' },
};

const render = (template: string, m: MetricTemplateModel = model): string => {
  const result = renderQuery(template, m);
  if (!result.ok) throw new Error(result.error);
  return result.query;
};

describe('renderQuery', () => {
  it("renders Flagger's render_test examples", () => {
    expect(
      render('sum(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}_{{ target }}"})'),
    ).toBe('sum(envoy_cluster_upstream_rq{envoy_cluster_name=~"default_myapp"})');
    expect(
      render(
        'delta(max by (consumer_group) (kafka_consumer_current_offset{cluster="{{ variables.cluster }}", consumer_group="{{ variables.consumer_group }}"}[{{ interval }}]))',
      ),
    ).toBe(
      'delta(max by (consumer_group) (kafka_consumer_current_offset{cluster="dev", consumer_group="my_consumer"}[1m]))',
    );
  });

  it('knows every model function', () => {
    expect(
      render(
        '{{name}}|{{ namespace }}|{{ target }}|{{ service }}|{{ ingress }}|{{ route }}|{{ interval }}',
      ),
    ).toBe('standard|default|myapp|myapp-svc|myapp-ing|myapp-route|1m');
  });

  it('fails on a missing variable, naming it as text/template does (missingkey=error)', () => {
    expect(renderQuery('{{ variables.cluster }} {{ variables.missing }}', model)).toEqual({
      ok: false,
      error:
        'template excution failed: template: tmpl:1:36: executing "tmpl" at <variables.missing>: map has no entry for key "missing"',
    });
    expect(renderQuery('x\n  {{ variables.zone }}', { ...model, variables: {} })).toEqual({
      ok: false,
      error:
        'template excution failed: template: tmpl:2:14: executing "tmpl" at <variables.zone>: map has no entry for key "zone"',
    });
  });

  it('fails at parse time on unknown functions and undefined variables', () => {
    expect(renderQuery('sum({{ deployment }})', model)).toEqual({
      ok: false,
      error: 'template parsing failed: template: tmpl:1: function "deployment" not defined',
    });
    expect(renderQuery('a\n{{ $route }}', model)).toEqual({
      ok: false,
      error: 'template parsing failed: template: tmpl:2: undefined variable "$route"',
    });
    expect(renderQuery('{{ namespace ', model)).toEqual({
      ok: false,
      error: 'template parsing failed: template: tmpl:1: unclosed action',
    });
    const unsupported = renderQuery('{{ if namespace }}x{{ end }}', model);
    expect(unsupported.ok === false && unsupported.error).toContain('"if" is not supported');
  });

  it('trims whitespace around {{- and -}}', () => {
    expect(render('a  \n {{- namespace -}} \n  b')).toBe('adefaultb');
    expect(render('a {{ namespace -}}   b')).toBe('a defaultb');
    expect(render('{{/* a comment */}}x {{- /* trimmed */ -}} y')).toBe('xy');
  });

  it("renders skipper's $route printf", () => {
    const t =
      '{{- $route := printf "kube(ew)?_%s__%s_canary__.*__%s_canary(_[0-9]+)?" namespace ingress service }}\n' +
      'sum(x{route=~"{{ $route }}"}[{{ interval }}])';
    // The declaration prints nothing; the newline after it stays, as in Go.
    expect(render(t)).toBe(
      '\nsum(x{route=~"kube(ew)?_default__myapp-ing_canary__.*__myapp-svc_canary(_[0-9]+)?"}[1m])',
    );
  });

  it('supports pipes, literals and index', () => {
    expect(render('{{ target | printf "%s-canary" }}')).toBe('myapp-canary');
    expect(render('{{ "lit" }} {{ `raw` }} {{ 42 }}')).toBe('lit raw 42');
    expect(render('{{ index variables "cluster" }}/{{ index variables "nope" }}.')).toBe('dev/.');
    expect(render('{{ $v := target }}{{ $v }}{{ $v = "x" }}{{ $v }}')).toBe('myappx');
  });

  it('collapses whitespace as the Prometheus provider does', () => {
    expect(collapseQueryWhitespace('\n\tsum(\n\t\trate(x)\n\t)  * 100')).toBe(
      ' sum( rate(x) ) * 100',
    );
  });
});

describe('builtin queries', () => {
  it.each(observerGolden.map((g) => [g.test, g]))('%s', (_name, golden) => {
    // Fields a Go test leaves out are "" in its MetricTemplateModel.
    const blank: MetricTemplateModel = {
      name: '',
      namespace: '',
      target: '',
      service: '',
      ingress: '',
      route: '',
      interval: '',
      variables: {},
    };
    const m: MetricTemplateModel = Object.assign(blank, golden.model);
    // 'http' is no provider name: kubernetes selects that observer.
    const provider = golden.observer === 'http' ? 'kubernetes' : golden.observer;
    const result = renderBuiltinQuery(provider, golden.metric, m);
    expect(result.ok && collapseQueryWhitespace(result.query)).toBe(golden.expected);
  });

  it('keeps the source texts byte for byte (contour’s trailing comma included)', () => {
    expect(BUILTIN_QUERIES.contour['request-duration']).toContain(
      'envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+",\n',
    );
    expect(BUILTIN_QUERIES.skipper['request-success-rate'].startsWith('{{- $route := printf')).toBe(
      true,
    );
  });

  it.each([
    ['istio', 'istio'],
    ['linkerd', 'linkerd'],
    ['appmesh', 'appmesh'],
    ['appmesh:v1beta2', 'appmesh'],
    ['contour', 'contour'],
    ['gloo', 'gloo'],
    ['nginx', 'nginx'],
    ['kubernetes', 'http'],
    ['gatewayapi:v1', 'http'],
    ['gatewayapi:v1beta1', 'http'],
    ['skipper', 'skipper'],
    ['traefik', 'traefik'],
    ['osm', 'osm'],
    ['kuma', 'kuma'],
    ['apisix', 'apisix'],
    ['knative', 'knative'],
    ['crossover', 'istio'],
    ['smi:v1alpha3', 'istio'],
    ['linkerd:service', 'istio'],
    ['kubernetes:service', 'istio'],
    ['gatewayapi:v1:service', 'http'],
    ['appmesh:service', 'appmesh'],
    ['', 'istio'],
  ])('observerFor(%j) = %s', (provider, observer) => {
    expect(observerFor(provider)).toBe(observer);
  });

  it('picks the metrics provider as runBuiltinMetricChecks does', () => {
    const spec = (provider: string | undefined, kind = 'Deployment', apiVersion = 'apps/v1') =>
      ({
        spec: { provider, targetRef: { apiVersion, kind, name: 'podinfo' }, service: { port: 80 } },
      }) as Pick<Canary, 'spec'>;
    expect(metricsProviderFor(spec(undefined))).toBe('istio');
    expect(metricsProviderFor(spec(undefined), 'smi:crossover')).toBe('crossover');
    expect(metricsProviderFor(spec('nginx'), 'istio')).toBe('nginx');
    expect(metricsProviderFor(spec('nginx'), 'linkerd')).toBe('linkerd');
    expect(metricsProviderFor(spec('kubernetes', 'Service', 'v1'))).toBe('kubernetes:service');
    expect(metricsProviderFor(spec('knative', 'Service', 'serving.knative.dev/v1'))).toBe(
      'knative',
    );
    expect(builtinQuery('kubernetes:service', 'request-duration')).toBe(
      BUILTIN_QUERIES.istio['request-duration'],
    );
  });

  it('reads request-duration in ms, except http (seconds)', () => {
    expect(formatGoDuration(requestDurationFromQueryValue('istio', 512.7))).toBe('512ms');
    expect(formatGoDuration(requestDurationFromQueryValue('http', 0.1))).toBe('100ms');
    expect(formatGoDuration(requestDurationFromQueryValue('nginx', 1500.2))).toBe('1.5s');
  });

  it('builds the template model from a canary (toMetricModel)', () => {
    const result = parseCanary(load(nginxYaml));
    if (!('canary' in result)) throw new Error('parse failed');
    const c = result.canary;
    expect(metricTemplateModel(c, { templateVariables: { a: 'b' } })).toEqual({
      name: 'podinfo',
      namespace: 'test',
      target: 'podinfo',
      service: 'podinfo',
      ingress: 'podinfo',
      route: 'podinfo',
      interval: '1m',
      variables: { a: 'b' },
    });
    expect(metricTemplateModel(c, { interval: '30s' }, 'podinfo-00002').route).toBe(
      'podinfo-00002',
    );
  });
});
