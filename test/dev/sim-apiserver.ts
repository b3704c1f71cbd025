/**
 * Dev script: start playground API servers and write a kubeconfig, then poke them with kubectl.
 *   npx tsx test/dev/sim-apiserver.ts [kubeconfig-path] [cluster...]
 *   kubectl --kubeconfig /tmp/aviary-playground.kubeconfig get canaries -A
 */
import { startClusterApiServer, writeKubeconfig } from '../../src/sim/apiserver/index';

const [path = '/tmp/aviary-playground.kubeconfig', ...names] = process.argv.slice(2);
const clusters = names.length ? names : ['staging', 'eu', 'us'];
const servers = await Promise.all(
  clusters.map((name) => startClusterApiServer({ name, token: `token-${name}` })),
);
await writeKubeconfig(
  path,
  servers.map((s) => ({ name: s.name, url: s.url, token: `token-${s.name}`, caPem: s.caPem })),
);
for (const s of servers) console.log(`${s.name}: ${s.url}`);
console.log(`kubeconfig: ${path} (Ctrl-C to stop)`);
