/**
 * Expected queries from Flagger's own observer tests (pkg/metrics/observers/*_test.go at
 * 15bd6ad5): the rendered query after whitespace collapsing, as Prometheus receives it.
 */
export const observerGolden = [
  {
    observer: 'istio',
    metric: 'request-success-rate',
    test: 'TestIstioObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( istio_requests_total{ reporter="destination", destination_workload_namespace="default", destination_workload=~"podinfo", response_code!~"5.*" }[1m] ) ) / sum( rate( istio_requests_total{ reporter="destination", destination_workload_namespace="default", destination_workload=~"podinfo" }[1m] ) ) * 100',
  },
  {
    observer: 'istio',
    metric: 'request-duration',
    test: 'TestIstioObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( istio_request_duration_milliseconds_bucket{ reporter="destination", destination_workload_namespace="default", destination_workload=~"podinfo" }[1m] ) ) by (le) )',
  },
  {
    observer: 'linkerd',
    metric: 'request-success-rate',
    test: 'TestLinkerdObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( response_total{ namespace="default", deployment=~"podinfo", classification!="failure", direction="inbound" }[1m] ) ) / sum( rate( response_total{ namespace="default", deployment=~"podinfo", direction="inbound" }[1m] ) ) * 100',
  },
  {
    observer: 'linkerd',
    metric: 'request-duration',
    test: 'TestLinkerdObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( response_latency_ms_bucket{ namespace="default", deployment=~"podinfo", direction="inbound" }[1m] ) ) by (le) )',
  },
  {
    observer: 'appmesh',
    metric: 'request-success-rate',
    test: 'TestAppMeshObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( envoy_cluster_upstream_rq{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[1m] ) ) * 100',
  },
  {
    observer: 'appmesh',
    metric: 'request-duration',
    test: 'TestAppMeshObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[1m] ) ) by (le) )',
  },
  {
    observer: 'nginx',
    metric: 'request-success-rate',
    test: 'TestNginxObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'nginx',
      target: 'podinfo',
      ingress: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( nginx_ingress_controller_requests{ namespace="nginx", ingress="podinfo", canary!="", status!~"5.*" }[1m] ) ) / sum( rate( nginx_ingress_controller_requests{ namespace="nginx", ingress="podinfo", canary!="" }[1m] ) ) * 100',
  },
  {
    observer: 'nginx',
    metric: 'request-duration',
    test: 'TestNginxObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'nginx',
      target: 'podinfo',
      ingress: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( nginx_ingress_controller_response_duration_seconds_sum{ namespace="nginx", ingress="podinfo", canary!="" }[1m] ) ) / sum( rate( nginx_ingress_controller_response_duration_seconds_count{ namespace="nginx", ingress="podinfo", canary!="" }[1m] ) ) * 1000',
  },
  {
    observer: 'contour',
    metric: 'request-success-rate',
    test: 'TestContourObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default_podinfo-canary_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default_podinfo-canary_[0-9a-zA-Z-]+", }[1m] ) ) * 100',
  },
  {
    observer: 'contour',
    metric: 'request-success-rate',
    test: 'TestContourObserver_CustomService_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo-service',
      interval: '1m',
    },
    expected:
      ' sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default_podinfo-service-canary_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default_podinfo-service-canary_[0-9a-zA-Z-]+", }[1m] ) ) * 100',
  },
  {
    observer: 'contour',
    metric: 'request-duration',
    test: 'TestContourObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"default_podinfo-canary_[0-9a-zA-Z-]+", }[1m] ) ) by (le) )',
  },
  {
    observer: 'contour',
    metric: 'request-duration',
    test: 'TestContourObserver_CustomService_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo-service',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"default_podinfo-service-canary_[0-9a-zA-Z-]+", }[1m] ) ) by (le) )',
  },
  {
    observer: 'gloo',
    metric: 'request-success-rate',
    test: 'TestGlooObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default-podinfo-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default-podinfo-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+", }[1m] ) ) * 100',
  },
  {
    observer: 'gloo',
    metric: 'request-duration',
    test: 'TestGlooObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"default-podinfo-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+", }[1m] ) ) by (le) )',
  },
  {
    observer: 'kuma',
    metric: 'request-success-rate',
    test: 'TestKumaObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( envoy_cluster_upstream_rq{ service=~"podinfo-canary_default_svc_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ service=~"podinfo-canary_default_svc_[0-9a-zA-Z-]+", }[1m] ) ) * 100',
  },
  {
    observer: 'kuma',
    metric: 'request-duration',
    test: 'TestKumaObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ service=~"podinfo-canary_default_svc_[0-9a-zA-Z-]+", }[1m] ) ) by (le) )',
  },
  {
    observer: 'knative',
    metric: 'request-success-rate',
    test: 'TestKnativeObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      route: 'podinfo-00001',
      interval: '1m',
    },
    expected:
      ' sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default/podinfo-00001", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default/podinfo-00001", }[1m] ) ) * 100',
  },
  {
    observer: 'knative',
    metric: 'request-duration',
    test: 'TestKnativeObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      route: 'podinfo-00001',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"default/podinfo-00001", }[1m] ) ) by (le) )',
  },
  {
    observer: 'osm',
    metric: 'request-success-rate',
    test: 'TestOsmObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( osm_request_total{ destination_namespace="default", destination_kind="Deployment", destination_name="podinfo", response_code!~"5.*" }[1m] ) ) / sum( rate( osm_request_total{ destination_namespace="default", destination_kind="Deployment", destination_name="podinfo" }[1m] ) ) * 100',
  },
  {
    observer: 'osm',
    metric: 'request-duration',
    test: 'TestOsmObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( osm_request_duration_ms_bucket{ destination_namespace="default", destination_kind="Deployment", destination_name="podinfo" }[1m] ) ) by (le) )',
  },
  {
    observer: 'skipper',
    metric: 'request-success-rate',
    test: 'TestSkipperObserver_GetRequestSuccessRate',
    model: {
      namespace: 'skipper',
      service: 'backend',
      ingress: 'skipper-ingress',
      interval: '1m',
    },
    expected:
      ' sum(rate(skipper_response_duration_seconds_bucket{route=~"kube(ew)?_skipper__skipper_ingress_canary__.*__backend_canary(_[0-9]+)?",code!~"5..",le="+Inf"}[1m])) / sum(rate(skipper_response_duration_seconds_bucket{route=~"kube(ew)?_skipper__skipper_ingress_canary__.*__backend_canary(_[0-9]+)?",le="+Inf"}[1m])) * 100',
  },
  {
    observer: 'skipper',
    metric: 'request-duration',
    test: 'TestSkipperObserver_GetRequestDuration',
    model: {
      namespace: 'skipper',
      service: 'backend',
      ingress: 'skipper-ingress',
      interval: '1m',
    },
    expected:
      ' sum(rate(skipper_serve_route_duration_seconds_sum{route=~"kube(ew)?_skipper__skipper_ingress_canary__.*__backend_canary(_[0-9]+)?"}[1m])) / sum(rate(skipper_serve_route_duration_seconds_count{route=~"kube(ew)?_skipper__skipper_ingress_canary__.*__backend_canary(_[0-9]+)?"}[1m])) * 1000',
  },
  {
    observer: 'traefik',
    metric: 'request-success-rate',
    test: 'TestTraefikObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( traefik_service_request_duration_seconds_bucket{ service=~"default-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd", code!~"5..", le="+Inf" }[1m] ) ) / sum( rate( traefik_service_request_duration_seconds_bucket{ service=~"default-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd", le="+Inf" }[1m] ) ) * 100',
  },
  {
    observer: 'traefik',
    metric: 'request-duration',
    test: 'TestTraefikObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( traefik_service_request_duration_seconds_bucket{ service=~"default-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd" }[1m] ) ) by (le) ) * 1000',
  },
  {
    observer: 'apisix',
    metric: 'request-success-rate',
    test: 'TestApisixObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      route: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( apisix_http_status{ route=~"default_podinfo-podinfo-canary_.+", code!~"5.." }[1m] ) ) / sum( rate( apisix_http_status{ route=~"default_podinfo-podinfo-canary_.+" }[1m] ) ) * 100',
  },
  {
    observer: 'apisix',
    metric: 'request-duration',
    test: 'TestApisixObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      route: 'podinfo',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( apisix_http_latency_bucket{ type=~"request", route=~"default_podinfo-podinfo-canary_.+" }[1m] ) ) by (le) )',
  },
  {
    observer: 'http',
    metric: 'request-success-rate',
    test: 'TestHttpObserver_GetRequestSuccessRate',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' sum( rate( http_request_duration_seconds_count{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", status!~"5.*" }[1m] ) ) / sum( rate( http_request_duration_seconds_count{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[1m] ) ) * 100',
  },
  {
    observer: 'http',
    metric: 'request-duration',
    test: 'TestHttpObserver_GetRequestDuration',
    model: {
      name: 'podinfo',
      namespace: 'default',
      target: 'podinfo',
      service: 'podinfo',
      interval: '1m',
    },
    expected:
      ' histogram_quantile( 0.99, sum( rate( http_request_duration_seconds_bucket{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[1m] ) ) by (le) )',
  },
] as const;
