/**
 * A Gateway API demo for the playground: a GatewayClass and a shared Gateway `gateway` in
 * `gateway-system` (any implementation would do: the playground's gateway follows HTTPRoutes
 * itself), and podinfo `catalog` in `gateway-demo` with a progressive canary as in Flagger's
 * "Gateway API Canary Deployments" tutorial. Users reach it at catalog.example.com.
 */
import type { KubeObject } from '../store';
import { canaryYaml, demoAppYaml, loadTestWebhook, namespaceYaml, parseManifests } from './common';

export interface GatewayApiDemoOptions {
  namespace?: string;
  name?: string;
  host?: string;
  /** gatewayapi:v1 (default) or gatewayapi:v1beta1. */
  provider?: 'gatewayapi:v1' | 'gatewayapi:v1beta1';
  /** Include the GatewayClass and Gateway (gateway-system); a cluster needs them once. */
  gateway?: boolean;
}

export function gatewayInstallYaml(): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: playground
spec:
  controllerName: playground.aviary.dev/gateway-controller
---
${namespaceYaml('gateway-system')}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
  namespace: gateway-system
spec:
  gatewayClassName: playground
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      allowedRoutes:
        namespaces: { from: All }
`;
}

export function gatewayApiDemoYaml(options: GatewayApiDemoOptions = {}): string {
  const ns = options.namespace ?? 'gateway-demo';
  const name = options.name ?? 'catalog';
  const host = options.host ?? `${name}.example.com`;
  const provider = options.provider ?? 'gatewayapi:v1';
  const install = options.gateway === false ? '' : `${gatewayInstallYaml()}---\n`;
  return (
    install +
    [
      demoAppYaml(ns, name, { hpa: false }),
      canaryYaml({
        ns,
        name,
        provider,
        autoscaler: false,
        service: `    port: 9898
    targetPort: 9898
    hosts: [${host}]
    gatewayRefs:
      - name: gateway
        namespace: gateway-system
`,
        durationInterval: '30s',
        webhooks: `      - name: smoke-test
        type: pre-rollout
        url: http://flagger-loadtester.${ns}/
        timeout: 15s
        metadata:
          type: bash
          cmd: "curl -s http://${name}-canary.${ns}:9898/healthz"
${loadTestWebhook(ns, `-host ${host} http://${host}/`, { duration: '2m' })}`,
      }),
    ].join('---\n')
  );
}

/** The manifests of the Gateway API demo (GatewayClass and Gateway included unless told otherwise). */
export function gatewayApiDemo(options: GatewayApiDemoOptions = {}): KubeObject[] {
  return parseManifests(gatewayApiDemoYaml(options));
}
