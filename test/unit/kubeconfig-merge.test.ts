/**
 * kubectl's kubeconfig rules: which files, in which order, and how they merge. A few
 * cases are checked against `kubectl config view --merge` itself on the same files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  authKindOf,
  localFileProblem,
  resolveContext,
  secretsOf,
} from '../../src/core/kube/context-config';
import {
  kubeconfigSources,
  loadKubeconfigFile,
  mergeKubeconfigs,
  parseKubeconfig,
  splitKubeconfigPathList,
  type KubeconfigSource,
  type MergedKubeconfig,
} from '../../src/core/kube/kubeconfig-files';

const root = mkdtempSync(path.join(os.tmpdir(), 'aviary-merge-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(relative: string, text: string): string {
  const file = path.join(root, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

async function mergeFiles(files: string[]): Promise<MergedKubeconfig> {
  const sources: KubeconfigSource[] = files.map((p) => ({ path: p, origin: 'env' }));
  return mergeKubeconfigs(await Promise.all(sources.map((s) => loadKubeconfigFile(s))));
}

// Two files that overlap on every kind of name; b's context "dev" uses a's user.
const fileA = write(
  'a/config',
  `apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster:
    server: https://a.example:6443
    certificate-authority: pki/ca.crt
- name: only-a
  cluster: {server: "https://only-a.example"}
users:
- name: admin
  user:
    client-certificate: pki/admin.crt
    client-key: /abs/admin.key
- name: deployer
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/creds
- name: from-path
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: gke-gcloud-auth-plugin
contexts:
- name: prod
  context: {cluster: shared, user: admin, namespace: shop}
- name: staging
  context: {cluster: only-a, user: deployer}
`,
);
write(
  'a/pki/ca.crt',
  '-----BEGIN CERTIFICATE-----\nYXZpYXJ5LXRlc3QtY2E=\n-----END CERTIFICATE-----\n',
);

const fileB = write(
  'b/config',
  `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: shared
  cluster: {server: "https://b.example:6443"}
- name: only-b
  cluster: {server: "https://only-b.example"}
users:
- name: admin
  user: {token: b-admin-token-value}
- name: reader
  user: {tokenFile: tokens/reader}
contexts:
- name: prod
  context: {cluster: only-b, user: reader}
- name: dev
  context: {cluster: only-b, user: deployer}
`,
);

const fileC = write(
  'c/config',
  `current-context: prod
contexts:
- name: late
  context: {cluster: only-a, user: reader}
`,
);

describe('which files kubectl reads', () => {
  it('splits $KUBECONFIG on the platform separator, dropping empty entries', () => {
    expect(splitKubeconfigPathList('/a::/b:', 'linux')).toEqual(['/a', '/b']);
    expect(splitKubeconfigPathList('C:\\a;;D:\\b;', 'win32')).toEqual(['C:\\a', 'D:\\b']);
    expect(splitKubeconfigPathList('', 'linux')).toEqual([]);
  });

  it('uses $KUBECONFIG in order, once per path, then added and playground files', () => {
    const sources = kubeconfigSources({
      env: { KUBECONFIG: '/k/one::/k/two:/k/one:/k/missing' },
      homeDir: '/home/u',
      addedPaths: ['/k/two', '/k/added'],
      playgroundPaths: ['/k/sim'],
      platform: 'linux',
    });
    expect(sources).toEqual([
      { path: '/k/one', origin: 'env' },
      { path: '/k/two', origin: 'env' },
      { path: '/k/missing', origin: 'env' },
      { path: '/k/added', origin: 'added' },
      { path: '/k/sim', origin: 'playground' },
    ]);
  });

  it('lets --kubeconfig replace $KUBECONFIG, and falls back to ~/.kube/config', () => {
    expect(
      kubeconfigSources({
        flagPaths: ['/f/config'],
        env: { KUBECONFIG: '/k/one' },
        homeDir: '/home/u',
      }),
    ).toEqual([{ path: '/f/config', origin: 'flag' }]);
    expect(kubeconfigSources({ env: { KUBECONFIG: '' }, homeDir: '/home/u' })).toEqual([
      { path: '/home/u/.kube/config', origin: 'default' },
    ]);
    expect(kubeconfigSources({ env: { KUBECONFIG: ':', HOME: '/home/v' } })).toEqual([
      { path: '/home/v/.kube/config', origin: 'default' },
    ]);
  });

  it('resolves relative list entries against the working directory', () => {
    expect(kubeconfigSources({ env: { KUBECONFIG: 'rel/config' }, cwd: '/work' })).toEqual([
      { path: '/work/rel/config', origin: 'env' },
    ]);
  });
});

describe('merging', () => {
  it('lets the first file that defines a name win, and lists later ones as shadowed', async () => {
    const merged = await mergeFiles([fileA, fileB]);
    expect(merged.clusters.get('shared')).toMatchObject({
      file: fileA,
      entry: { server: 'https://a.example:6443' },
    });
    expect(merged.users.get('admin')?.file).toBe(fileA);
    expect(merged.contexts.get('prod')).toMatchObject({
      file: fileA,
      entry: { cluster: 'shared', user: 'admin' },
    });
    expect([...merged.contexts.keys()]).toEqual(['prod', 'staging', 'dev']);
    expect(merged.files.map((f) => [f.contextIds, f.shadowed])).toEqual([
      [['prod', 'staging'], []],
      [['dev'], ['cluster/shared', 'user/admin', 'context/prod']],
    ]);
  });

  it('takes current-context from the first file that sets one', async () => {
    expect((await mergeFiles([fileA, fileB, fileC])).currentContext).toBe('dev');
    expect((await mergeFiles([fileC, fileB])).currentContext).toBe('prod');
  });

  it('resolves a context against users and clusters of other files', async () => {
    const merged = await mergeFiles([fileA, fileB, fileC]);
    const dev = resolveContext(merged, 'dev');
    expect(dev).toMatchObject({
      file: fileB,
      namespace: 'default',
      authKind: 'exec',
      problem: undefined,
    });
    expect(dev?.user?.name).toBe('deployer');
    const late = resolveContext(merged, 'late');
    expect(late).toMatchObject({
      file: fileC,
      server: 'https://only-a.example',
      authKind: 'token-file',
    });
    const prod = resolveContext(merged, 'prod');
    expect(prod).toMatchObject({
      namespace: 'shop',
      authKind: 'client-certificate',
      server: 'https://a.example:6443',
    });
  });

  it('resolves relative paths against the directory of the file that defines them', async () => {
    const merged = await mergeFiles([fileA, fileB]);
    expect(merged.clusters.get('shared')?.entry.certificateAuthority).toBe(
      path.join(root, 'a/pki/ca.crt'),
    );
    expect(merged.users.get('admin')?.entry).toMatchObject({
      clientCertificate: path.join(root, 'a/pki/admin.crt'),
      clientKey: '/abs/admin.key',
    });
    // An exec command with a slash is a path; a bare name is looked up in PATH.
    expect(merged.users.get('deployer')?.entry.exec?.command).toBe(path.join(root, 'a/bin/creds'));
    expect(merged.users.get('from-path')?.entry.exec?.command).toBe('gke-gcloud-auth-plugin');
    expect(merged.users.get('reader')?.entry.tokenFile).toBe(path.join(root, 'b/tokens/reader'));
  });

  it('reports missing and broken files and keeps the rest', async () => {
    const broken = write('broken/config', 'contexts:\n- name: x\n  context: {cluster: a\n');
    const merged = await mergeFiles([path.join(root, 'nope/config'), broken, fileA]);
    expect(merged.files[0]).toMatchObject({
      status: 'missing',
      message: 'the file does not exist',
    });
    expect(merged.files[1]?.status).toBe('invalid');
    expect(merged.files[1]?.message).toMatch(/^YAML error at line 4, column 1: /);
    expect([...merged.contexts.keys()]).toEqual(['prod', 'staging']);
  });

  it('rejects what kubectl rejects: a name twice in one file, a YAML 1.1 boolean as a name', () => {
    expect(() =>
      parseKubeconfig(
        'contexts:\n- {name: a, context: {cluster: c}}\n- {name: a, context: {cluster: d}}\n',
        root,
      ),
    ).toThrow('duplicate context name "a" in contexts');
    expect(() => parseKubeconfig('contexts:\n- {name: y, context: {cluster: c}}\n', root)).toThrow(
      /contexts\[0\]\.name must be a string/,
    );
    expect(parseKubeconfig('', root)).toEqual({ clusters: [], users: [], contexts: [] });
    expect(() => parseKubeconfig('- a\n- b\n', root)).toThrow('not a mapping');
  });

  it('never quotes file content in a parse error', () => {
    let message = '';
    try {
      parseKubeconfig('users:\n- name: u\n  user: {token: s3cr3t-token-value\n', root);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^YAML error at line \d+/);
    expect(message).not.toContain('s3cr3t');
  });
});

describe('context problems and auth kinds', () => {
  const configFile = write(
    'problems/config',
    `clusters:
- {name: ok, cluster: {server: "https://ok.example"}}
- {name: no-server, cluster: {}}
- {name: bad-url, cluster: {server: "ftp://x"}}
- {name: with-ca, cluster: {server: "https://ok.example", certificate-authority: missing-ca.crt}}
users:
- {name: half-cert, user: {client-certificate-data: "QUJD"}}
- {name: ghost-plugin, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: aviary-no-such-plugin, installHint: "install it with brew"}}}
- {name: oidc, user: {auth-provider: {name: oidc, config: {id-token: "header.payload.sig", client-id: aviary}}}}
- {name: basic, user: {username: u, password: pw-value}}
contexts:
- {name: no-cluster, context: {cluster: nowhere, user: basic}}
- {name: no-user, context: {cluster: ok, user: nobody}}
- {name: no-server, context: {cluster: no-server}}
- {name: bad-url, context: {cluster: bad-url}}
- {name: half-cert, context: {cluster: ok, user: half-cert}}
- {name: ghost-plugin, context: {cluster: ok, user: ghost-plugin}}
- {name: missing-ca, context: {cluster: with-ca}}
- {name: anonymous, context: {cluster: ok}}
`,
  );

  it('explains why a context cannot be used before any request', async () => {
    const merged = await mergeFiles([configFile]);
    const problem = (name: string): string | undefined => {
      const resolved = resolveContext(merged, name);
      return resolved && (resolved.problem ?? localFileProblem(resolved, { PATH: '/nonexistent' }));
    };
    expect(problem('no-cluster')).toBe('cluster "nowhere" is not defined in any kubeconfig file');
    expect(problem('no-user')).toBe('user "nobody" is not defined in any kubeconfig file');
    expect(problem('no-server')).toBe('cluster "no-server" has no server URL');
    expect(problem('bad-url')).toBe(
      'the server URL "ftp://x" of cluster "bad-url" is not a valid http(s) URL',
    );
    expect(problem('half-cert')).toBe(
      'user "half-cert" has a client certificate but no client key',
    );
    expect(problem('ghost-plugin')).toBe(
      'the exec plugin of user "ghost-plugin": "aviary-no-such-plugin" was not found in PATH (install it with brew)',
    );
    expect(problem('missing-ca')).toBe(
      `the certificate-authority file of cluster "with-ca" ${path.join(root, 'problems/missing-ca.crt')} does not exist`,
    );
    expect(problem('anonymous')).toBeUndefined();
    expect(resolveContext(merged, 'anonymous')?.authKind).toBe('none');
  });

  it('names the auth kind and knows the secrets to keep out of messages', async () => {
    const merged = await mergeFiles([configFile]);
    const user = (name: string) => merged.users.get(name)?.entry;
    expect(authKindOf(user('oidc'))).toBe('oidc');
    expect(authKindOf(user('basic'))).toBe('basic');
    expect(authKindOf(user('ghost-plugin'))).toBe('exec');
    expect(authKindOf({ name: 'x', authProvider: { name: 'gcp', config: {} } })).toBe(
      'auth-provider',
    );
    expect(secretsOf(user('basic'))).toEqual(['pw-value']);
  });
});

// ---------------------------------------------------------------------------------------
// The same files through kubectl

const KUBECTL = '/usr/bin/kubectl';

function kubectl(args: string[], kubeconfig: string): unknown {
  const result = spawnSync(KUBECTL, args, {
    env: { PATH: '/usr/bin:/bin', HOME: root, KUBECONFIG: kubeconfig },
    encoding: 'utf8',
    cwd: os.tmpdir(),
    timeout: 10_000,
  });
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

interface KubectlView {
  'current-context'?: string;
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[];
  users: { name: string }[];
  contexts: { name: string; context: { cluster: string; user?: string; namespace?: string } }[];
}

describe.runIf(existsSync(KUBECTL))('agreement with kubectl config view --merge', () => {
  it('merges the same names, servers, users and current-context', async () => {
    const list = [fileA, '', path.join(root, 'nope/config'), fileB, fileC, fileA].join(':');
    const view = kubectl(['config', 'view', '--merge', '-o', 'json'], list) as KubectlView;
    const sources = kubeconfigSources({ env: { KUBECONFIG: list }, platform: 'linux' });
    const merged = mergeKubeconfigs(await Promise.all(sources.map((s) => loadKubeconfigFile(s))));

    expect(merged.currentContext).toBe(view['current-context']);
    const ours = [...merged.contexts.values()].map(({ entry }) => ({
      name: entry.name,
      cluster: entry.cluster,
      user: entry.user || undefined,
      namespace: entry.namespace,
    }));
    const theirs = view.contexts.map((c) => ({
      name: c.name,
      cluster: c.context.cluster,
      user: c.context.user,
      namespace: c.context.namespace,
    }));
    const byName = (a: { name: string }, b: { name: string }): number =>
      a.name.localeCompare(b.name);
    expect(ours.sort(byName)).toEqual(theirs.sort(byName));
    expect(
      [...merged.clusters.values()]
        .map(({ entry }) => ({ name: entry.name, server: entry.server }))
        .sort(byName),
    ).toEqual(view.clusters.map((c) => ({ name: c.name, server: c.cluster.server })).sort(byName));
    expect([...merged.users.keys()].sort()).toEqual(view.users.map((u) => u.name).sort());
  });

  it('resolves a relative certificate-authority to the same file kubectl inlines', async () => {
    write('flat/pki/ca.crt', 'flat-ca-bytes');
    const file = write(
      'flat/config',
      `clusters:
- {name: c, cluster: {server: "https://c.example", certificate-authority: pki/ca.crt}}
contexts:
- {name: flat, context: {cluster: c}}
current-context: flat
`,
    );
    // Run from another directory so a cwd-relative resolution would fail.
    const view = kubectl(['config', 'view', '--flatten', '-o', 'json'], file) as KubectlView;
    const inlined = view.clusters[0]?.cluster['certificate-authority-data'];
    const merged = await mergeFiles([file]);
    const ca = merged.clusters.get('c')?.entry.certificateAuthority ?? '';
    expect(ca).toBe(path.join(root, 'flat/pki/ca.crt'));
    expect(inlined).toBe(readFileSync(ca).toString('base64'));
  });
});
