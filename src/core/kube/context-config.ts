/**
 * One context's effective configuration after the merge: what the sidebar shows about
 * it, the problems that make it unusable before any network call, and the client-node
 * KubeConfig the engine talks through.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';
import path from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import type { AuthKind } from '../../shared/api';
import type { ClusterEntry, ContextEntry, MergedKubeconfig, UserEntry } from './kubeconfig-files';

export interface ResolvedContext {
  name: string;
  /** The file whose definition of this context won the merge. */
  file: string;
  context: ContextEntry;
  cluster?: ClusterEntry;
  user?: UserEntry;
  /** The server URL without any user:password part, for display. */
  server?: string;
  namespace: string;
  authKind: AuthKind;
  /** Hash of cluster + user + namespace: when it changes, the connection is redone. */
  fingerprint: string;
  /** A config problem visible without the network (missing user, bad URL...). */
  problem?: string;
}

export function resolveContext(
  merged: MergedKubeconfig,
  name: string,
): ResolvedContext | undefined {
  const defined = merged.contexts.get(name);
  if (!defined) return undefined;
  const context = defined.entry;
  const cluster = context.cluster ? merged.clusters.get(context.cluster)?.entry : undefined;
  const user = context.user ? merged.users.get(context.user)?.entry : undefined;
  const namespace = context.namespace || 'default';
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ context, cluster: cluster ?? null, user: user ?? null, namespace }))
    .digest('hex');
  return {
    name,
    file: defined.file,
    context,
    cluster,
    user,
    server: cluster?.server ? displayServer(cluster.server) : undefined,
    namespace,
    authKind: authKindOf(user),
    fingerprint,
    problem: configProblem(context, cluster, user),
  };
}

/** The primary way a user authenticates, in the order the API server tries them. */
export function authKindOf(user: UserEntry | undefined): AuthKind {
  if (!user) return 'none';
  if (user.exec) return 'exec';
  if (user.authProvider) return user.authProvider.name === 'oidc' ? 'oidc' : 'auth-provider';
  if (user.clientCertificate || user.clientCertificateData) return 'client-certificate';
  if (user.token) return 'token';
  if (user.tokenFile) return 'token-file';
  if (user.username) return 'basic';
  return 'none';
}

/** Secret strings of a user, so messages built from outside text can be scrubbed of them. */
export function secretsOf(user: UserEntry | undefined): string[] {
  if (!user) return [];
  const values = [
    user.token,
    user.password,
    user.clientKeyData,
    ...Object.values(user.authProvider?.config ?? {}),
  ];
  return values.filter((v): v is string => typeof v === 'string' && v.length >= 4);
}

/** Server URLs are shown, but never a user:password embedded in one. */
export function displayServer(server: string): string {
  try {
    const url = new URL(server);
    if (!url.username && !url.password) return server;
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return server;
  }
}

function configProblem(
  context: ContextEntry,
  cluster: ClusterEntry | undefined,
  user: UserEntry | undefined,
): string | undefined {
  if (!context.cluster) return `context "${context.name}" names no cluster`;
  if (!cluster) return `cluster "${context.cluster}" is not defined in any kubeconfig file`;
  if (context.user && !user) return `user "${context.user}" is not defined in any kubeconfig file`;
  if (!cluster.server) return `cluster "${cluster.name}" has no server URL`;
  let url: URL | undefined;
  try {
    url = new URL(cluster.server);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) {
    return `the server URL "${displayServer(cluster.server)}" of cluster "${cluster.name}" is not a valid http(s) URL`;
  }
  if (
    cluster.insecureSkipTlsVerify &&
    (cluster.certificateAuthority || cluster.certificateAuthorityData)
  ) {
    // kubectl refuses this combination rather than guessing which one was meant.
    return `cluster "${cluster.name}" sets both insecure-skip-tls-verify and a certificate authority`;
  }
  if (!user) return undefined;
  const hasCert = Boolean(user.clientCertificate || user.clientCertificateData);
  const hasKey = Boolean(user.clientKey || user.clientKeyData);
  if (hasCert && !hasKey) return `user "${user.name}" has a client certificate but no client key`;
  if (hasKey && !hasCert) return `user "${user.name}" has a client key but no client certificate`;
  if (user.exec) {
    if (!user.exec.command) return `the exec plugin of user "${user.name}" has no command`;
    if (!user.exec.apiVersion) {
      return `the exec plugin of user "${user.name}" has no apiVersion (kubectl requires one)`;
    }
  }
  return undefined;
}

/**
 * Problems in files the context points at (certificates, keys, token file, exec
 * command). Checked before each connection attempt, since files come and go.
 */
export function localFileProblem(
  resolved: ResolvedContext,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const { cluster, user } = resolved;
  const files: [string | undefined, string][] = [
    [cluster?.certificateAuthority, `certificate-authority file of cluster "${cluster?.name}"`],
    [user?.clientCertificate, `client-certificate file of user "${user?.name}"`],
    [user?.clientKey, `client-key file of user "${user?.name}"`],
    [user?.tokenFile, `tokenFile of user "${user?.name}"`],
  ];
  for (const [file, what] of files) {
    if (!file) continue;
    const problem = readableFileProblem(file);
    if (problem) return `the ${what} ${file} ${problem}`;
  }
  const command = user?.exec?.command;
  if (user && command && !findExecutable(command, env)) {
    const hint = user.exec?.installHint?.split('\n')[0]?.trim();
    const where = path.isAbsolute(command)
      ? `${command} does not exist or is not executable`
      : `"${command}" was not found in PATH`;
    return `the exec plugin of user "${user.name}": ${where}${hint ? ` (${hint})` : ''}`;
  }
  return undefined;
}

function readableFileProblem(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return 'is not a file';
    accessSync(file, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? 'does not exist'
      : 'cannot be read (permission denied)';
  }
}

/** Looks a command up the way a shell does: a path as is, a bare name through PATH. */
export function findExecutable(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const windows = process.platform === 'win32';
  const extensions = windows ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  const isExecutable = (candidate: string): boolean => {
    try {
      if (!statSync(candidate).isFile()) return false;
      if (!windows) accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const candidates = (base: string): string[] => extensions.map((ext) => base + ext);
  if (command.includes('/') || (windows && command.includes('\\'))) {
    return candidates(command).find(isExecutable);
  }
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter((d) => d.length > 0);
  for (const dir of dirs) {
    const found = candidates(path.join(dir, command)).find(isExecutable);
    if (found) return found;
  }
  return undefined;
}

/**
 * A client-node KubeConfig holding only this context. client-node's authenticators
 * (exec, OIDC, token file) keep their caches on this object, so callers should reuse it.
 */
export function buildKubeConfig(resolved: ResolvedContext, env: NodeJS.ProcessEnv): KubeConfig {
  const { cluster, user, context } = resolved;
  if (!cluster?.server) throw new Error(`context "${resolved.name}" has no usable cluster`);
  const kcCluster: Cluster = {
    name: cluster.name,
    server: cluster.server.replace(/\/$/, ''),
    caData: cluster.certificateAuthorityData,
    caFile: cluster.certificateAuthority,
    // client-node refuses plain http unless TLS verification is off; kubectl allows
    // http servers, and there is no TLS to verify on them anyway.
    skipTLSVerify: cluster.insecureSkipTlsVerify || cluster.server.startsWith('http:'),
    tlsServerName: cluster.tlsServerName,
    proxyUrl: cluster.proxyUrl,
  };
  const users: User[] = [];
  if (user) {
    let exec: User['exec'];
    if (user.exec?.command) {
      // Resolve through our env's PATH so the plugin we checked is the plugin that runs.
      exec = { ...user.exec, command: findExecutable(user.exec.command, env) ?? user.exec.command };
    }
    let authProvider: User['authProvider'] = user.authProvider
      ? { name: user.authProvider.name, config: { ...user.authProvider.config } }
      : undefined;
    if (!authProvider && !exec && !user.token && user.tokenFile) {
      authProvider = { name: TOKEN_FILE_PROVIDER, config: { path: user.tokenFile } };
    }
    users.push({
      name: user.name,
      token: user.token,
      certData: user.clientCertificateData,
      certFile: user.clientCertificate,
      keyData: user.clientKeyData,
      keyFile: user.clientKey,
      username: user.username,
      password: user.password,
      impersonateUser: user.impersonate,
      exec,
      authProvider,
    });
  }
  const kcContext: Context = {
    name: resolved.name,
    cluster: cluster.name,
    user: user ? user.name : '',
    namespace: resolved.namespace,
  };
  const kc = new KubeConfig();
  kc.addAuthenticator(new TokenFileAuthenticator());
  kc.loadFromOptions({
    clusters: [kcCluster],
    users,
    contexts: [kcContext],
    currentContext: context.name,
  });
  return kc;
}

const TOKEN_FILE_PROVIDER = 'aviary-token-file';
const TOKEN_FILE_REREAD_MS = 60_000;

/**
 * kubectl's `tokenFile`: client-go trims the file and re-reads it every minute.
 * client-node's own FileAuth sends the bytes raw, and the trailing newline most token
 * files end with makes Node reject the Authorization header, so Aviary brings its own.
 */
class TokenFileAuthenticator {
  private token: string | undefined;
  private readAt = 0;

  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: unknown } | undefined)?.name === TOKEN_FILE_PROVIDER;
  }

  async applyAuthentication(user: User, opts: RequestOptions): Promise<void> {
    const file = (user.authProvider as { config: { path: string } }).config.path;
    if (this.token === undefined || Date.now() - this.readAt > TOKEN_FILE_REREAD_MS) {
      this.token = (await readFile(file, 'utf8')).trim();
      this.readAt = Date.now();
    }
    const headers = (opts.headers ??= {}) as OutgoingHttpHeaders;
    headers.Authorization = `Bearer ${this.token}`;
  }
}
