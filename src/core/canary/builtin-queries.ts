/**
 * Flagger's builtin metric queries (pkg/metrics/observers/*.go), copied byte for byte from the
 * Go source (fluxcd/flagger at 15bd6ad5), whitespace included. Whitespace is collapsed before
 * a query is sent (collapseQueryWhitespace), as Flagger's Prometheus provider does.
 * Skipper's queries start with the `{{- $route := printf ... }}` line, as in the source.
 */

export const OBSERVERS = [
  'istio',
  'linkerd',
  'appmesh',
  'nginx',
  'contour',
  'gloo',
  'kuma',
  'knative',
  'osm',
  'skipper',
  'traefik',
  'apisix',
  'http',
] as const;
/** A metrics observer: one set of builtin queries (http serves kubernetes and gatewayapi). */
export type Observer = (typeof OBSERVERS)[number];

export const BUILTIN_QUERIES: Record<
  Observer,
  { 'request-success-rate': string; 'request-duration': string }
> = {
  istio: {
    'request-success-rate': `
	sum(
		rate(
			istio_requests_total{
				reporter="destination",
				destination_workload_namespace="{{ namespace }}",
				destination_workload=~"{{ target }}",
				response_code!~"5.*"
			}[{{ interval }}]
		)
	) 
	/ 
	sum(
		rate(
			istio_requests_total{
				reporter="destination",
				destination_workload_namespace="{{ namespace }}",
				destination_workload=~"{{ target }}"
			}[{{ interval }}]
		)
	) 
	* 100`,
    'request-duration': `
	histogram_quantile(
		0.99,
		sum(
			rate(
				istio_request_duration_milliseconds_bucket{
					reporter="destination",
					destination_workload_namespace="{{ namespace }}",
					destination_workload=~"{{ target }}"
				}[{{ interval }}]
			)
		) by (le)
	)`,
  },
  linkerd: {
    'request-success-rate': `
	sum(
		rate(
			response_total{
				namespace="{{ namespace }}",
				deployment=~"{{ target }}",
				classification!="failure",
				direction="inbound"
			}[{{ interval }}]
		)
	) 
	/ 
	sum(
		rate(
			response_total{
				namespace="{{ namespace }}",
				deployment=~"{{ target }}",
				direction="inbound"
			}[{{ interval }}]
		)
	) 
	* 100`,
    'request-duration': `
	histogram_quantile(
		0.99,
		sum(
			rate(
				response_latency_ms_bucket{
					namespace="{{ namespace }}",
					deployment=~"{{ target }}",
					direction="inbound"
				}[{{ interval }}]
			)
		) by (le)
	)`,
  },
  appmesh: {
    'request-success-rate': `
	sum(
		rate(
			envoy_cluster_upstream_rq{
				kubernetes_namespace="{{ namespace }}",
				kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",
				envoy_response_code!~"5.*"
			}[{{ interval }}]
		)
	) 
	/ 
	sum(
		rate(
			envoy_cluster_upstream_rq{
				kubernetes_namespace="{{ namespace }}",
				kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"
			}[{{ interval }}]
		)
	) 
	* 100`,
    'request-duration': `
	histogram_quantile(
		0.99,
		sum(
			rate(
				envoy_cluster_upstream_rq_time_bucket{
					kubernetes_namespace="{{ namespace }}",
					kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"
				}[{{ interval }}]
			)
		) by (le)
	)`,
  },
  nginx: {
    'request-success-rate': `
	sum(
		rate(
			nginx_ingress_controller_requests{
				namespace="{{ namespace }}",
				ingress="{{ ingress }}",
				canary!="",
				status!~"5.*"
			}[{{ interval }}]
		)
	) 
	/ 
	sum(
		rate(
			nginx_ingress_controller_requests{
				namespace="{{ namespace }}",
				ingress="{{ ingress }}",
				canary!=""
			}[{{ interval }}]
		)
	) 
	* 100`,
    'request-duration': `
	sum(
		rate(
			nginx_ingress_controller_response_duration_seconds_sum{
				namespace="{{ namespace }}",
				ingress="{{ ingress }}",
				canary!=""
			}[{{ interval }}]
		)
	) 
	/ 
	sum(
		rate(
			nginx_ingress_controller_response_duration_seconds_count{
				namespace="{{ namespace }}",
				ingress="{{ ingress }}",
				canary!=""
			}[{{ interval }}]
		)
	) 
	* 1000`,
  },
  contour: {
    'request-success-rate': `
	sum(
		rate(
			envoy_cluster_upstream_rq{
				envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+",
				envoy_response_code!~"5.*"
			}[{{ interval }}]
		)
	) 
	/ 
	sum(
		rate(
			envoy_cluster_upstream_rq{
				envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+",
			}[{{ interval }}]
		)
	) 
	* 100`,
    'request-duration': `
	histogram_quantile(
		0.99,
		sum(
			rate(
				envoy_cluster_upstream_rq_time_bucket{
					envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+",
				}[{{ interval }}]
			)
		) by (le)
	)`,
  },
  gloo: {
    'request-success-rate': `
	sum(
		rate(
			envoy_cluster_upstream_rq{
				envoy_cluster_name=~"{{ namespace }}-{{ target }}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+",
				envoy_response_code!~"5.*"
			}[{{ interval }}]
		)
	) 
	/ 
	sum(
		rate(
			envoy_cluster_upstream_rq{
				envoy_cluster_name=~"{{ namespace }}-{{ target }}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+",
			}[{{ interval }}]
		)
	) 
	* 100`,
    'request-duration': `
	histogram_quantile(
		0.99,
		sum(
			rate(
				envoy_cluster_upstream_rq_time_bucket{
					envoy_cluster_name=~"{{ namespace }}-{{ target }}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+",
				}[{{ interval }}]
			)
		) by (le)
	)`,
  },
  kuma: {
    'request-success-rate': `
	sum(
		rate(
			envoy_cluster_upstream_rq{
				service=~"{{ target }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+",
				envoy_response_code!~"5.*"
			}[{{ interval }}]
		)
	) 
	/ 
	sum(
		rate(
			envoy_cluster_upstream_rq{
				service=~"{{ target }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+",
			}[{{ interval }}]
		)
	) 
	* 100`,
    'request-duration': `
	histogram_quantile(
		0.99,
		sum(
			rate(
				envoy_cluster_upstream_rq_time_bucket{
					service=~"{{ target }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+",
				}[{{ interval }}]
			)
		) by (le)
	)`,
  },
  knative: {
    'request-success-rate': `
	sum(
		rate(
			envoy_cluster_upstream_rq{
				envoy_cluster_name=~"{{ namespace }}/{{ route }}",
				envoy_response_code!~"5.*"
			}[{{ interval }}]
		)
	) 
	/ 
	sum(
		rate(
			envoy_cluster_upstream_rq{
				envoy_cluster_name=~"{{ namespace }}/{{ route }}",
			}[{{ interval }}]
		)
	) 
	* 100`,
    'request-duration': `
	histogram_quantile(
		0.99,
		sum(
			rate(
				envoy_cluster_upstream_rq_time_bucket{
					envoy_cluster_name=~"{{ namespace }}/{{ route }}",
				}[{{ interval }}]
			)
		) by (le)
	)`,
  },
  osm: {
    'request-success-rate': `
    sum(
        rate(
            osm_request_total{
				destination_namespace="{{ namespace }}",
				destination_kind="Deployment",
				destination_name="{{ target }}",
				response_code!~"5.*"
            }[{{ interval }}]
        )
    )
    /
    sum(
        rate(
            osm_request_total{
				destination_namespace="{{ namespace }}",
				destination_kind="Deployment",
				destination_name="{{ target }}"
            }[{{ interval }}]
        )
    )
	* 100`,
    'request-duration': `
	histogram_quantile(
		0.99,
		sum(
		  rate(
			osm_request_duration_ms_bucket{
				destination_namespace="{{ namespace }}",
				destination_kind="Deployment",
				destination_name="{{ target }}"
			}[{{ interval }}]
		  )
		) by (le)
	)`,
  },
  skipper: {
    'request-success-rate': `{{- $route := printf "kube(ew)?_%s__%s_canary__.*__%s_canary(_[0-9]+)?" namespace ingress service }}
	sum(rate(skipper_response_duration_seconds_bucket{route=~"{{ $route }}",code!~"5..",le="+Inf"}[{{ interval }}])) / 
	sum(rate(skipper_response_duration_seconds_bucket{route=~"{{ $route }}",le="+Inf"}[{{ interval }}])) * 100`,
    'request-duration': `{{- $route := printf "kube(ew)?_%s__%s_canary__.*__%s_canary(_[0-9]+)?" namespace ingress service }}
	sum(rate(skipper_serve_route_duration_seconds_sum{route=~"{{ $route }}"}[{{ interval }}])) / 
	sum(rate(skipper_serve_route_duration_seconds_count{route=~"{{ $route }}"}[{{ interval }}])) * 1000`,
  },
  traefik: {
    'request-success-rate': `
	sum(
		rate(
			traefik_service_request_duration_seconds_bucket{
				service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",
				code!~"5..",
				le="+Inf"
			}[{{ interval }}]
		)
	)
	/
	sum(
		rate(
			traefik_service_request_duration_seconds_bucket{
				service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",
				le="+Inf"
			}[{{ interval }}]
		)
	) * 100`,
    'request-duration': `
	histogram_quantile(
		0.99,
		sum(
			rate(
				traefik_service_request_duration_seconds_bucket{
					service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd"
				}[{{ interval }}]
			)
		) by (le)
	) * 1000`,
  },
  apisix: {
    'request-success-rate': `
	sum(
		rate(
			apisix_http_status{
				route=~"{{ namespace }}_{{ route }}-{{ target }}-canary_.+",
				code!~"5.."
			}[{{ interval }}]
		)
	)
	/
	sum(
		rate(
			apisix_http_status{
				route=~"{{ namespace }}_{{ route }}-{{ target }}-canary_.+"
			}[{{ interval }}]
		)
	) * 100`,
    'request-duration': `
	histogram_quantile(
		0.99, 
		sum(
			rate(
				apisix_http_latency_bucket{
					type=~"request",
					route=~"{{ namespace }}_{{ route }}-{{ target }}-canary_.+"
				}[{{ interval }}]
			)
		) by (le)
	)`,
  },
  http: {
    'request-success-rate': `
	sum(
		rate(
			http_request_duration_seconds_count{
				kubernetes_namespace="{{ namespace }}",
				kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",
				status!~"5.*"
			}[{{ interval }}]
		)
	) 
	/ 
	sum(
		rate(
			http_request_duration_seconds_count{
				kubernetes_namespace="{{ namespace }}",
				kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"
			}[{{ interval }}]
		)
	) 
	* 100`,
    'request-duration': `
	histogram_quantile(
		0.99,
		sum(
			rate(
				http_request_duration_seconds_bucket{
					kubernetes_namespace="{{ namespace }}",
					kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"
				}[{{ interval }}]
			)
		) by (le)
	)`,
  },
};
