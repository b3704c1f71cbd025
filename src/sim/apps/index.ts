/**
 * Which program a pod runs, by its first container's image, with one instance per
 * workload (so the loadtester's gates outlive a single request but not a redeploy of a
 * different image).
 */
import type { Pod } from '../kube';
import { workloadOf } from '../kube';
import type { App, AppKind } from './app';
import { mainContainer, parseImage } from './behaviour';
import { genericApp, httpEchoApp, httpsEchoApp } from './echo';
import { loadtesterApp } from './loadtester';
import { podinfoApp } from './podinfo';

/** Known images first; the generic app matches everything. */
export const appKinds: readonly AppKind[] = [
  podinfoApp,
  loadtesterApp,
  httpsEchoApp,
  httpEchoApp,
  genericApp,
];

export class AppInstances {
  private readonly instances = new Map<string, App>();

  constructor(private readonly kinds: readonly AppKind[] = appKinds) {}

  kindOf(image: string): AppKind {
    const { repository } = parseImage(image);
    return this.kinds.find((k) => k.matches(repository)) ?? genericApp;
  }

  /** The app serving this pod (one instance per namespace, workload and app kind). */
  forPod(pod: Pod): App {
    const kind = this.kindOf(mainContainer(pod)?.image ?? '');
    const key = `${pod.metadata.namespace ?? ''}/${workloadOf(pod).name}/${kind.name}`;
    let app = this.instances.get(key);
    if (!app) {
      app = kind.create();
      this.instances.set(key, app);
    }
    return app;
  }
}
