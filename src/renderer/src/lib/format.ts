/** Words and short forms the UI shows for contract values. */
import type {
  AuthKind,
  ClusterConnection,
  ConnectionState,
  KubeconfigOrigin,
} from '../../../shared/api';

/**
 * "~" for the home directory. The contract carries no home path, so this recognises the
 * usual home roots (Linux, macOS, Windows); other paths are shown as they are.
 */
export function shortenPath(path: string): string {
  const match = /^(\/home\/[^/]+|\/Users\/[^/]+|\/root|[A-Za-z]:\\Users\\[^\\]+)(?=$|[/\\])/.exec(
    path,
  );
  return match ? '~' + path.slice(match[0].length) : path;
}

/** "~/.kube/" and "config": the name must stay visible when a long folder is cut short. */
export function splitPath(path: string): { dir: string; base: string } {
  const short = shortenPath(path);
  const cut = Math.max(short.lastIndexOf('/'), short.lastIndexOf('\\')) + 1;
  return { dir: short.slice(0, cut), base: short.slice(cut) };
}

export const originLabels: Record<KubeconfigOrigin, { label: string; title: string }> = {
  flag: { label: 'flag', title: 'From the --kubeconfig option' },
  env: { label: '$KUBECONFIG', title: 'From the KUBECONFIG environment variable' },
  default: { label: 'default', title: "kubectl's default file" },
  added: { label: 'added', title: 'Added in Aviary' },
  playground: { label: 'playground', title: "Aviary's simulated clusters" },
};

export const stateWords: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  connected: 'connected',
  unauthorized: 'unauthorized',
  unreachable: 'unreachable',
  invalid: 'invalid',
};

/**
 * "connected v1.32.4", "unreachable", ... The version drops its build suffix
 * (v1.32.4-eks-1234 → v1.32.4) so it fits a sidebar row; the detail shows it whole.
 */
export function connectionLabel(connection: ClusterConnection): string {
  const word = stateWords[connection.state];
  const version = connection.serverVersion?.replace(/^(v\d+\.\d+\.\d+)[-+].*$/, '$1');
  return connection.state === 'connected' && version ? `${word} ${version}` : word;
}

export const authLabels: Record<AuthKind, string> = {
  token: 'Bearer token',
  'token-file': 'Token file',
  'client-certificate': 'Client certificate',
  basic: 'Basic auth',
  exec: 'Exec plugin',
  oidc: 'OIDC',
  'auth-provider': 'Auth provider',
  none: 'None',
};

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}
