/**
 * Entry point of the playground's Kubernetes API: start one server per simulated cluster,
 * then write one kubeconfig for all of them.
 *
 *   const staging = await startClusterApiServer({ name: 'staging', token: 'secret' });
 *   await writeKubeconfig(path, [{ name: 'staging', url: staging.url, token: 'secret', caPem: staging.caPem }]);
 */
import type { Clock } from '../../shared/clock';
import type { ClusterStore } from '../store';
import type { ApiFaults } from './faults';
import { MemoryClusterStore, formatTimestamp } from './memory-store';
import type { ServiceProxyHandler } from './api-server';
import { ClusterApiServer } from './api-server';
import { playgroundCertificates } from './tls';

export interface StartClusterApiServerOptions {
  /** Cluster name, e.g. "staging" (node names and the kubeconfig context derive from it). */
  name: string;
  /** The bearer token clients must send. */
  token: string;
  /** 0 or absent: a random free port. */
  port?: number;
  clock?: Clock;
  /** An existing store (e.g. restored from a snapshot); a fresh one otherwise. */
  store?: MemoryClusterStore;
  serviceProxy?: ServiceProxyHandler;
  /** Fake nodes to register when the store has none (default 3). */
  nodes?: number;
  bookmarkIntervalMs?: number;
}

export interface RunningClusterApiServer {
  name: string;
  url: string;
  port: number;
  store: MemoryClusterStore;
  faults: ApiFaults;
  /** PEM of the CA that signed the server certificate (the kubeconfig's certificate-authority-data). */
  caPem: string;
  server: ClusterApiServer;
  setServiceProxy(handler: ServiceProxyHandler | undefined): void;
  close(): Promise<void>;
}

export async function startClusterApiServer(
  options: StartClusterApiServerOptions,
): Promise<RunningClusterApiServer> {
  const certs = await playgroundCertificates();
  const store =
    options.store ?? new MemoryClusterStore(options.clock ? { clock: options.clock } : {});
  seedCluster(store, options.name, options.nodes ?? 3);
  const server = new ClusterApiServer({
    store,
    token: options.token,
    tls: { certPem: certs.certPem, keyPem: certs.keyPem },
    ...(options.serviceProxy ? { serviceProxy: options.serviceProxy } : {}),
    ...(options.bookmarkIntervalMs ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
  });
  const port = await server.listen(options.port ?? 0);
  return {
    name: options.name,
    url: `https://127.0.0.1:${port}`,
    port,
    store,
    faults: server.faults,
    caPem: certs.caPem,
    server,
    setServiceProxy: (handler) => server.setServiceProxy(handler),
    close: () => server.close(),
  };
}

const NAMESPACES = { group: '', resource: 'namespaces' };
const SERVICE_ACCOUNTS = { group: '', resource: 'serviceaccounts' };
const CONFIG_MAPS = { group: '', resource: 'configmaps' };

/**
 * What a fresh kind/minikube cluster has and clients expect: nodes, the `kubernetes`
 * service, and in every namespace a `default` ServiceAccount and the kube-root-ca.crt
 * ConfigMap (the controllers that make those are simulated by a store subscription).
 */
export function seedCluster(store: MemoryClusterStore, cluster: string, nodes: number): void {
  const nodeRef = { group: '', resource: 'nodes' };
  if (store.list(nodeRef).length === 0) {
    for (let i = 1; i <= nodes; i++) store.create(nodeRef, fakeNode(cluster, i, store.clock.now()));
  }
  const services = { group: '', resource: 'services' };
  if (!store.get(services, 'default', 'kubernetes')) {
    store.create(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { component: 'apiserver', provider: 'kubernetes' },
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.1',
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
      },
    });
  }
  const populate = (namespace: string) => {
    if (!store.get(SERVICE_ACCOUNTS, namespace, 'default')) {
      store.create(SERVICE_ACCOUNTS, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default', namespace },
      });
    }
    if (!store.get(CONFIG_MAPS, namespace, 'kube-root-ca.crt')) {
      store.create(CONFIG_MAPS, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'kube-root-ca.crt',
          namespace,
          annotations: {
            'kubernetes.io/description':
              'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
          },
        },
        data: { 'ca.crt': '' },
      });
    }
  };
  for (const ns of store.list(NAMESPACES))
    if (!ns.metadata.deletionTimestamp) populate(ns.metadata.name);
  store.subscribe((event) => {
    if (event.type === 'ADDED' && event.ref.group === '' && event.ref.resource === 'namespaces')
      populate(event.object.metadata.name);
  });
}

function fakeNode(cluster: string, index: number, now: number) {
  const name = `${cluster}-node-${index}`;
  const time = formatTimestamp(now);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': `${cluster}-${String.fromCharCode(96 + (((index - 1) % 3) + 1))}`,
        ...(index === 1 ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
      },
    },
    spec: { podCIDR: `10.244.${index}.0/24` },
    status: {
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '16Gi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: time,
          lastTransitionTime: time,
        },
      ],
      addresses: [
        { type: 'InternalIP', address: `172.18.0.${index + 1}` },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.4',
        kubeProxyVersion: 'v1.32.4',
        osImage: 'Aviary Playground',
        kernelVersion: '6.1.0',
        containerRuntimeVersion: 'containerd://1.7.24',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export { MemoryClusterStore } from './memory-store';
export type {
  DeleteOptions,
  ListPage,
  MemoryClusterStoreOptions,
  StoreSnapshot,
  StoredChange,
  WriteOptions,
} from './memory-store';
export { ClusterApiServer } from './api-server';
export type { ServiceProxyHandler, ServiceProxyRequest, ServiceProxyResponse } from './api-server';
export { ApiFaults } from './faults';
export type { ErrorFault } from './faults';
export { contextName, kubeconfigYaml, writeKubeconfig } from './kubeconfig';
export type { KubeconfigCluster } from './kubeconfig';
export { defineCrd, preinstalledCrds } from './crds/index';
export { playgroundCertificates } from './tls';
export type { ClusterStore };
