/**
 * Fault injection for the playground, as text commands (the CLI reads them from stdin;
 * tests call applyFaultCommand directly). Each fault is what a real estate does to an
 * operator: an API server failing or slow, watches cut, write conflicts, a cluster gone,
 * Prometheus down, a release that misbehaves.
 */
import type { Playground } from './playground';

export const FAULT_HELP = `fault commands (CLUSTER is a name like "staging" or a context like "playground-staging"):
  api-errors CLUSTER RATE [STATUS] [PATH-PREFIX]   answer a share of API requests with STATUS (default 500)
  api-latency CLUSTER MS                            add latency to every API request
  conflicts CLUSTER RATE                            answer a share of writes with 409 Conflict
  drop-watches CLUSTER                              cut every open watch now
  unreachable CLUSTER on|off                        stop / resume accepting connections
  prometheus CLUSTER down|up                        a Prometheus outage inside the cluster
  misbehave CLUSTER NS/DEPLOYMENT [error-rate=R] [latency-ms=MS] [ready=false]
  behave CLUSTER NS/DEPLOYMENT                      back to the behaviour its pod template says
  release CLUSTER NS/DEPLOYMENT IMAGE               roll the Deployment to a new image
  reset CLUSTER                                     clear the API faults
  help`;

function number(text: string | undefined, what: string, max = Number.POSITIVE_INFINITY): number {
  const n = Number(text);
  if (text === undefined || !Number.isFinite(n) || n < 0 || n > max)
    throw new Error(`${what} must be a number from 0 to ${max}`);
  return n;
}

function workload(text: string | undefined): [string, string] {
  const [ns, name] = (text ?? '').split('/');
  if (!ns || !name) throw new Error('expected NAMESPACE/DEPLOYMENT');
  return [ns, name];
}

/** Applies one command; resolves with a line saying what was done. */
export async function applyFaultCommand(playground: Playground, line: string): Promise<string> {
  const [command, clusterName, ...rest] = line.trim().split(/\s+/);
  if (!command || command === 'help') return FAULT_HELP;
  if (!clusterName) throw new Error(`${command} needs a cluster`);
  const cluster = playground.cluster(clusterName);
  const faults = cluster.api.faults;
  switch (command) {
    case 'api-errors': {
      const rate = number(rest[0], 'RATE', 1);
      const status = rest[1] ? number(rest[1], 'STATUS', 599) : 500;
      faults.setErrors(
        rate > 0 ? { rate, status, ...(rest[2] ? { path: rest[2] } : {}) } : undefined,
      );
      return `${cluster.name}: ${rate * 100}% of API requests answer ${status}`;
    }
    case 'api-latency':
      faults.setLatency(number(rest[0], 'MS', 60_000));
      return `${cluster.name}: API latency +${rest[0]} ms`;
    case 'conflicts':
      faults.setConflicts(number(rest[0], 'RATE', 1));
      return `${cluster.name}: ${Number(rest[0]) * 100}% of writes answer 409`;
    case 'drop-watches':
      return `${cluster.name}: dropped ${faults.dropWatches()} watches`;
    case 'unreachable': {
      const on = rest[0] !== 'off';
      await faults.setUnreachable(on);
      return `${cluster.name}: ${on ? 'unreachable' : 'reachable again'}`;
    }
    case 'prometheus': {
      cluster.prometheusDown = rest[0] !== 'up';
      return `${cluster.name}: Prometheus ${cluster.prometheusDown ? 'down' : 'up'}`;
    }
    case 'misbehave': {
      const [ns, name] = workload(rest[0]);
      const behaviour: { errorRate?: number; latencyMs?: number; ready?: boolean } = {};
      for (const setting of rest.slice(1)) {
        const [key, value] = setting.split('=');
        if (key === 'error-rate') behaviour.errorRate = number(value, 'error-rate', 1);
        else if (key === 'latency-ms') behaviour.latencyMs = number(value, 'latency-ms', 600_000);
        else if (key === 'ready') behaviour.ready = value !== 'false';
        else throw new Error(`unknown setting ${setting}`);
      }
      cluster.sim.setBehaviour(ns, name, behaviour);
      return `${cluster.name}: ${ns}/${name} now ${JSON.stringify(behaviour)}`;
    }
    case 'behave': {
      const [ns, name] = workload(rest[0]);
      cluster.sim.setBehaviour(ns, name, undefined);
      return `${cluster.name}: ${ns}/${name} behaves as its pod template says`;
    }
    case 'release': {
      const [ns, name] = workload(rest[0]);
      if (!rest[1]) throw new Error('release needs an IMAGE');
      if (!cluster.sim.release(ns, name, rest[1])) throw new Error(`no Deployment ${ns}/${name}`);
      return `${cluster.name}: ${ns}/${name} released ${rest[1]}`;
    }
    case 'reset':
      await faults.reset();
      cluster.prometheusDown = false;
      return `${cluster.name}: faults cleared`;
    default:
      throw new Error(`unknown command ${command}`);
  }
}
