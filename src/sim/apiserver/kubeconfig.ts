/**
 * The playground kubeconfig: one context per simulated cluster (playground-<name>), each
 * with the playground CA as certificate-authority-data, https://127.0.0.1:PORT and a
 * bearer token, namespace default. kubectl and client-node read it unchanged.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigCluster {
  /** Short cluster name, e.g. "staging"; the context is "playground-staging". */
  name: string;
  url: string;
  token: string;
  caPem: string;
}

export function contextName(cluster: string): string {
  return `playground-${cluster}`;
}

export function kubeconfigYaml(clusters: KubeconfigCluster[], currentContext?: string): string {
  const first = clusters[0];
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: clusters.map((c) => ({
      name: contextName(c.name),
      cluster: {
        server: c.url,
        'certificate-authority-data': Buffer.from(c.caPem).toString('base64'),
      },
    })),
    users: clusters.map((c) => ({
      name: `${contextName(c.name)}-admin`,
      user: { token: c.token },
    })),
    contexts: clusters.map((c) => ({
      name: contextName(c.name),
      context: {
        cluster: contextName(c.name),
        user: `${contextName(c.name)}-admin`,
        namespace: 'default',
      },
    })),
    'current-context': currentContext ?? (first ? contextName(first.name) : ''),
  };
  return stringify(doc);
}

/** Writes the kubeconfig (mode 0600: it holds tokens) and returns its path. */
export async function writeKubeconfig(
  path: string,
  clusters: KubeconfigCluster[],
  currentContext?: string,
): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, kubeconfigYaml(clusters, currentContext), { mode: 0o600 });
  return path;
}
