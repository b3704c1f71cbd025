/**
 * Turns the service's events into stream lines: control changes (controlling, standby,
 * flagger, observing, offline) and connection changes of the selected contexts, each
 * printed once per change. Engine log records come through onLog, not from here.
 */
import type { ClusterControl, ContextInfo } from '../../shared/api';
import { connectionLine, controlLine, type StreamLine } from './format';
import type { Headless } from './headless';

export function watchClusterChanges(
  headless: Headless,
  emit: (line: StreamLine) => void,
): () => void {
  const lastControl = new Map<string, string>();
  const lastConnection = new Map<string, string>();
  const now = (): string => new Date(headless.clock.now()).toISOString();

  const onControl = (clusters: ClusterControl[]): void => {
    for (const control of clusters) {
      const text = JSON.stringify([control.mode, control.holder, control.message]);
      if (lastControl.get(control.context) === text) continue;
      lastControl.set(control.context, text);
      emit(controlLine(control, now()));
    }
  };
  const onContexts = (contexts: ContextInfo[]): void => {
    const selected = new Set(headless.selected().map((c) => c.id));
    for (const context of contexts) {
      if (!selected.has(context.id) || context.connection.state === 'connecting') continue;
      const text = JSON.stringify([context.connection.state, context.connection.message]);
      if (lastConnection.get(context.id) === text) continue;
      lastConnection.set(context.id, text);
      emit(connectionLine(context, now()));
    }
  };

  const unsubscribe = headless.service.subscribe((event) => {
    if (event.type === 'clusters.control') onControl(event.clusters);
    else if (event.type === 'contexts.changed') onContexts(event.snapshot.contexts);
  });
  // What happened before the subscription (the first probes may already have answered).
  onContexts(headless.service.catalog.snapshot().contexts);
  onControl(headless.service.fleet.clusters());
  return unsubscribe;
}
