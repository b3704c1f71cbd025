/**
 * Finding, reading and merging kubeconfig files the way kubectl (client-go's
 * clientcmd loading rules) does, so Aviary shows exactly the contexts `kubectl config
 * get-contexts` shows. Where kubectl would refuse to run at all (one broken file in
 * $KUBECONFIG), Aviary marks that one file invalid and keeps the others.
 *
 * The parsed entries hold credentials; they stay in the engine. Only the
 * KubeconfigFileInfo built here crosses to the renderer.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { KubeconfigFileInfo, KubeconfigOrigin } from '../../shared/api';

export interface KubeconfigSource {
  /** Absolute path. */
  path: string;
  origin: KubeconfigOrigin;
}

export interface KubeconfigSourceOptions {
  flagPaths?: string[];
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  addedPaths?: string[];
  playgroundPaths?: string[];
  /** Defaults to process.platform; decides the $KUBECONFIG list separator. */
  platform?: NodeJS.Platform;
  /** Base for relative paths in the flag and $KUBECONFIG (kubectl: the working directory). */
  cwd?: string;
}

/** $KUBECONFIG is a path list: ':' on POSIX, ';' on Windows; empty entries mean nothing. */
export function splitKubeconfigPathList(
  value: string,
  platform: NodeJS.Platform = process.platform,
): string[] {
  const delimiter = platform === 'win32' ? ';' : ':';
  return value.split(delimiter).filter((entry) => entry.length > 0);
}

/**
 * The files to read, in precedence order: --kubeconfig replaces $KUBECONFIG, which
 * replaces ~/.kube/config; Aviary's added files and the playground come after them so
 * the user's own files win every name clash. A path listed twice is read once.
 */
export function kubeconfigSources(options: KubeconfigSourceOptions): KubeconfigSource[] {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const platform = options.platform ?? process.platform;
  const sources: KubeconfigSource[] = [];
  const seen = new Set<string>();
  const add = (file: string, origin: KubeconfigOrigin): void => {
    const absolute = path.resolve(cwd, file);
    if (seen.has(absolute)) return;
    seen.add(absolute);
    sources.push({ path: absolute, origin });
  };

  const flagPaths = (options.flagPaths ?? []).filter((p) => p.length > 0);
  const envList = splitKubeconfigPathList(env.KUBECONFIG ?? '', platform);
  if (flagPaths.length > 0) {
    for (const p of flagPaths) add(p, 'flag');
  } else if (envList.length > 0) {
    for (const p of envList) add(p, 'env');
  } else {
    const home = options.homeDir ?? env.HOME ?? env.USERPROFILE ?? os.homedir();
    add(path.join(home, '.kube', 'config'), 'default');
  }
  for (const p of options.addedPaths ?? []) if (p.length > 0) add(p, 'added');
  for (const p of options.playgroundPaths ?? []) if (p.length > 0) add(p, 'playground');
  return sources;
}

// ---------------------------------------------------------------------------------------
// The parsed shape (kubeconfig v1 field names, paths already resolved)

export interface ClusterEntry {
  name: string;
  server?: string;
  certificateAuthority?: string;
  certificateAuthorityData?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
}

export interface ExecConfig {
  command?: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion?: string;
  installHint?: string;
}

export interface AuthProviderConfig {
  name: string;
  config: Record<string, string>;
}

export interface UserEntry {
  name: string;
  token?: string;
  tokenFile?: string;
  clientCertificate?: string;
  clientCertificateData?: string;
  clientKey?: string;
  clientKeyData?: string;
  username?: string;
  password?: string;
  impersonate?: string;
  exec?: ExecConfig;
  authProvider?: AuthProviderConfig;
}

export interface ContextEntry {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
}

export interface ParsedKubeconfig {
  clusters: ClusterEntry[];
  users: UserEntry[];
  contexts: ContextEntry[];
  currentContext?: string;
}

export type LoadedKubeconfig = KubeconfigSource &
  ({ status: 'ok'; config: ParsedKubeconfig } | { status: 'missing' | 'invalid'; message: string });

/** A config problem with a message safe to show (never a value from the file). */
export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

/** Reads one file; never throws (a bad file is reported, not fatal). */
export async function loadKubeconfigFile(source: KubeconfigSource): Promise<LoadedKubeconfig> {
  let text: string;
  try {
    text = await readFile(source.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { ...source, status: 'missing', message: 'the file does not exist' };
    }
    const reason =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory, not a file'
          : `cannot be read (${code ?? 'unknown error'})`;
    return { ...source, status: 'invalid', message: reason };
  }
  try {
    return { ...source, status: 'ok', config: parseKubeconfig(text, path.dirname(source.path)) };
  } catch (err) {
    // Anything else (e.g. the YAML library's alias-bomb guard) still only spoils this file.
    const message =
      err instanceof KubeconfigError ? err.message : 'the file could not be parsed as a kubeconfig';
    return { ...source, status: 'invalid', message };
  }
}

/**
 * Parses a kubeconfig document. kubectl reads YAML 1.1 (go-yaml v2): `yes`, `on`, `y`
 * are booleans there, so a context named `y` is an error for kubectl and for us alike.
 * Relative paths resolve against `baseDir` (the file's directory), as clientcmd does.
 */
export function parseKubeconfig(text: string, baseDir: string): ParsedKubeconfig {
  const doc = parseDocument(text, { version: '1.1' });
  const yamlError = doc.errors[0];
  if (yamlError) {
    // The library's message ends with a code frame quoting the file: keep only the reason.
    const reason = (yamlError.message.split('\n')[0] ?? '').replace(
      / at line \d+, column \d+:?$/,
      '',
    );
    const pos = yamlError.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : 'unknown position';
    throw new KubeconfigError(`YAML error at ${where}: ${reason}`);
  }
  const root: unknown = doc.toJS({ maxAliasCount: 100 });
  if (root === null || root === undefined) return { clusters: [], users: [], contexts: [] };
  if (!isRecord(root)) throw new KubeconfigError('not a kubeconfig: the document is not a mapping');

  const resolve = (p: string | undefined): string | undefined =>
    p === undefined || p === '' ? undefined : path.resolve(baseDir, p);

  const clusters = namedList(root, 'clusters', 'cluster', (body, where, name): ClusterEntry => ({
    name,
    server: optString(body, 'server', where),
    certificateAuthority: resolve(optString(body, 'certificate-authority', where)),
    certificateAuthorityData: optBase64(body, 'certificate-authority-data', where),
    insecureSkipTlsVerify: optBool(body, 'insecure-skip-tls-verify', where) ?? false,
    tlsServerName: optString(body, 'tls-server-name', where),
    proxyUrl: optString(body, 'proxy-url', where),
  }));

  const users = namedList(root, 'users', 'user', (body, where, name): UserEntry => {
    const exec =
      body.exec === undefined || body.exec === null
        ? undefined
        : parseExec(body.exec, `${where}.exec`);
    if (exec?.command !== undefined && exec.command.includes(path.sep)) {
      // kubectl resolves the command only when it is a path, not a name looked up in PATH.
      exec.command = path.resolve(baseDir, exec.command);
    }
    return {
      name,
      token: optString(body, 'token', where),
      tokenFile: resolve(optString(body, 'tokenFile', where)),
      clientCertificate: resolve(optString(body, 'client-certificate', where)),
      clientCertificateData: optBase64(body, 'client-certificate-data', where),
      clientKey: resolve(optString(body, 'client-key', where)),
      clientKeyData: optBase64(body, 'client-key-data', where),
      username: optString(body, 'username', where),
      password: optString(body, 'password', where),
      impersonate: optString(body, 'as', where),
      exec,
      authProvider:
        body['auth-provider'] === undefined || body['auth-provider'] === null
          ? undefined
          : parseAuthProvider(body['auth-provider'], `${where}.auth-provider`),
    };
  });

  const contexts = namedList(root, 'contexts', 'context', (body, where, name): ContextEntry => ({
    name,
    cluster: optString(body, 'cluster', where) ?? '',
    user: optString(body, 'user', where) ?? '',
    namespace: optString(body, 'namespace', where),
  }));

  const current = root['current-context'];
  if (current !== undefined && current !== null && typeof current !== 'string') {
    throw new KubeconfigError('current-context must be a string');
  }
  return { clusters, users, contexts, currentContext: current || undefined };
}

type Body = Record<string, unknown>;

function isRecord(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** clientcmd turns each list into a map and rejects a name used twice in one file. */
function namedList<T>(
  root: Body,
  key: string,
  bodyKey: string,
  build: (body: Body, where: string, name: string) => T,
): T[] {
  const list = root[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new KubeconfigError(`${key} must be a list`);
  const names = new Set<string>();
  return list.map((item: unknown, i) => {
    const where = `${key}[${i}]`;
    if (!isRecord(item)) throw new KubeconfigError(`${where} must be a mapping`);
    const name = item.name;
    if (typeof name !== 'string') {
      throw new KubeconfigError(
        name === undefined
          ? `${where}.name is missing`
          : `${where}.name must be a string (quote it: YAML 1.1 reads y/yes/on as booleans)`,
      );
    }
    if (names.has(name)) throw new KubeconfigError(`duplicate ${bodyKey} name "${name}" in ${key}`);
    names.add(name);
    const body = item[bodyKey] ?? {};
    if (!isRecord(body)) throw new KubeconfigError(`${where}.${bodyKey} must be a mapping`);
    return build(body, `${where}.${bodyKey}`, name);
  });
}

function optString(body: Body, key: string, where: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new KubeconfigError(`${where}.${key} must be a string`);
  return value;
}

function optBool(body: Body, key: string, where: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean')
    throw new KubeconfigError(`${where}.${key} must be true or false`);
  return value;
}

/** kubectl decodes the -data fields when loading; bad base64 makes the file unreadable. */
function optBase64(body: Body, key: string, where: string): string | undefined {
  const value = optString(body, key, where);
  if (value !== undefined && !/^[A-Za-z0-9+/=\s]*$/.test(value)) {
    throw new KubeconfigError(`${where}.${key} is not valid base64`);
  }
  return value === '' ? undefined : value;
}

function parseExec(value: unknown, where: string): ExecConfig {
  if (!isRecord(value)) throw new KubeconfigError(`${where} must be a mapping`);
  const args = value.args;
  if (
    args !== undefined &&
    args !== null &&
    (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
  ) {
    throw new KubeconfigError(`${where}.args must be a list of strings`);
  }
  const env = value.env;
  let envList: { name: string; value: string }[] | undefined;
  if (env !== undefined && env !== null) {
    if (!Array.isArray(env)) throw new KubeconfigError(`${where}.env must be a list`);
    envList = env.map((e: unknown, i) => {
      if (!isRecord(e) || typeof e.name !== 'string' || typeof e.value !== 'string') {
        throw new KubeconfigError(`${where}.env[${i}] must have a string name and value`);
      }
      return { name: e.name, value: e.value };
    });
  }
  return {
    command: optString(value, 'command', where),
    args: (args as string[] | null | undefined) ?? undefined,
    env: envList,
    apiVersion: optString(value, 'apiVersion', where),
    installHint: optString(value, 'installHint', where),
  };
}

function parseAuthProvider(value: unknown, where: string): AuthProviderConfig {
  if (!isRecord(value)) throw new KubeconfigError(`${where} must be a mapping`);
  const name = optString(value, 'name', where) ?? '';
  const config: Record<string, string> = {};
  const raw = value.config;
  if (raw !== undefined && raw !== null) {
    if (!isRecord(raw)) throw new KubeconfigError(`${where}.config must be a mapping`);
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== 'string') throw new KubeconfigError(`${where}.config.${k} must be a string`);
      config[k] = v;
    }
  }
  return { name, config };
}

// ---------------------------------------------------------------------------------------
// Merge

/** An entry and the file whose definition won. */
export interface Defined<T> {
  entry: T;
  file: string;
}

export interface MergedKubeconfig {
  files: KubeconfigFileInfo[];
  clusters: Map<string, Defined<ClusterEntry>>;
  users: Map<string, Defined<UserEntry>>;
  /** In file order, then the order within the file. */
  contexts: Map<string, Defined<ContextEntry>>;
  currentContext?: string;
  /** The origin of every file, for the playground flag. */
  origins: Map<string, KubeconfigOrigin>;
}

/**
 * kubectl's merge: for clusters, users and contexts the first file that defines a name
 * wins whole (no field-wise merge); current-context comes from the first file setting
 * one. A later definition is listed as shadowed on its file ("context/NAME").
 */
export function mergeKubeconfigs(loaded: LoadedKubeconfig[]): MergedKubeconfig {
  const merged: MergedKubeconfig = {
    files: [],
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    origins: new Map(),
  };
  for (const file of loaded) {
    merged.origins.set(file.path, file.origin);
    const info: KubeconfigFileInfo = {
      path: file.path,
      origin: file.origin,
      status: file.status,
      contextIds: [],
      shadowed: [],
      removable: file.origin === 'added',
    };
    merged.files.push(info);
    if (file.status !== 'ok') {
      info.message = file.message;
      continue;
    }
    const { config } = file;
    const claim = <T extends { name: string }>(
      kind: string,
      map: Map<string, Defined<T>>,
      entries: T[],
    ): void => {
      for (const entry of entries) {
        if (map.has(entry.name)) info.shadowed.push(`${kind}/${entry.name}`);
        else map.set(entry.name, { entry, file: file.path });
      }
    };
    claim('cluster', merged.clusters, config.clusters);
    claim('user', merged.users, config.users);
    for (const ctx of config.contexts) {
      if (merged.contexts.has(ctx.name)) info.shadowed.push(`context/${ctx.name}`);
      else {
        merged.contexts.set(ctx.name, { entry: ctx, file: file.path });
        info.contextIds.push(ctx.name);
      }
    }
    if (merged.currentContext === undefined && config.currentContext) {
      merged.currentContext = config.currentContext;
    }
  }
  return merged;
}
