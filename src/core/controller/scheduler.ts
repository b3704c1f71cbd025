/**
 * Flagger's scheduler (pkg/controller/scheduler.go, scheduler_hooks.go, the syncHandler and
 * finalizer of controller.go/finalizer.go): one tick of one canary, `advanceCanary`, with the
 * steps in Flagger's order and Flagger's texts (texts.ts). Every tick starts from the cluster
 * (a GET of the Canary and the ports' reads), so a tick can be cut off at any line and the next
 * one carries on; what must survive is in the Canary status.
 *
 * Go returns errors where the ports throw: a throwing port call is recorded as the warning
 * event Flagger records for that error ("%v") and ends the tick, exactly where Flagger returns.
 */
import type { Clock } from '../../shared/clock';
import {
  analysisThreshold,
  deploymentStrategy,
  maxWeight as maxWeightOf,
  nextStepWeight,
  parseCanary,
  skipAnalysis,
  texts,
  TOTAL_WEIGHT,
  webhooksOfType,
} from '../canary';
import type {
  Canary,
  CanaryPhase,
  CanaryStatus,
  CanaryWebhook,
  FieldError,
  HookType,
} from '../canary';
import type { AlertText } from '../canary/texts';
import type { KubeApi, ObjectRef } from '../kube/api';
import {
  InitializationError,
  ReadinessError,
  type ClusterPorts,
  type EventRecorder,
  type EventType,
  type HookPhase,
  type LogLevel,
  type MetricSample,
  type Routes,
  type ScalerReconciler,
  type TrafficRouter,
  type WorkloadController,
} from './ports';
import { CanaryStatusWriter, type StatusSync } from './status';

/** Flagger's finalizer name (finalizer.go). */
export const FINALIZER = 'finalizer.flagger.app';

export interface CanaryRef {
  name: string;
  namespace: string;
}

export interface SchedulerDeps {
  clock: Clock;
  /** Flagger's `-mesh-provider`, used when spec.provider is empty (Flagger's default: istio). */
  meshProvider?: string;
  /** Log lines that are not events ("Canary %s.%s not found", errors Flagger only logs). */
  log?: (level: LogLevel, message: string) => void;
}

/** What one tick saw and did, for the UI. */
export interface TickObservation {
  /** false when the Canary was not found (or is not a valid Canary). */
  found: boolean;
  /** Field errors of a Canary that does not parse; the tick did nothing. */
  invalid?: FieldError[];
  phase: CanaryPhase | '';
  /**
   * The routing at the end of the tick. Read from the router when the tick got that far,
   * otherwise inferred from status.canaryWeight (an idle tick reads no routes).
   */
  canaryWeight: number;
  primaryWeight: number;
  mirrored: boolean;
  iterations: number;
  failedChecks: number;
  samples: MetricSample[];
  /** The text of the halt ("Halt ... advancement ...") when the tick stopped at a gate or check. */
  halted?: string;
  /** Events recorded in this tick, in order. */
  events: { type: EventType; message: string }[];
  /** How an analysis ended in this tick (Flagger's IncSuccesses / IncFailures). */
  outcome?: { result: 'succeeded' | 'failed'; status: 'completed' | 'skipped' };
  /** Set by the engine: how long the tick took, for flagger_canary_duration_seconds. */
  durationMs?: number;
}

/** An operator action that does not apply to the canary's current state. */
export class OperatorActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorActionError';
  }
}

const ANALYSING: readonly (CanaryPhase | '')[] = [
  'Progressing',
  'Waiting',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
];

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const canaryRef = (ref: CanaryRef, apiVersion = 'flagger.app/v1beta1'): ObjectRef => ({
  apiVersion,
  kind: 'Canary',
  namespace: ref.namespace,
  name: ref.name,
});

/** A copy of the canary whose status carries another phase (events and hooks read it). */
function withPhase(cd: Canary, phase: CanaryPhase): Canary {
  return { ...cd, status: { ...statusOf(cd), phase } };
}

function statusOf(cd: Canary): CanaryStatus {
  return cd.status ?? { phase: '', failedChecks: 0, canaryWeight: 0, iterations: 0 };
}

/** Reads and parses a Canary; undefined when it does not exist. */
async function readCanary(
  kube: KubeApi,
  ref: CanaryRef,
): Promise<{ canary: Canary } | { errors: FieldError[] } | undefined> {
  const raw = await kube.get(canaryRef(ref));
  if (!raw) return undefined;
  const parsed = parseCanary(raw);
  return 'errors' in parsed ? { errors: parsed.errors } : { canary: parsed.canary };
}

/**
 * One canary's state machine for the duration of one tick (or one operator action). Method
 * names follow Flagger's functions so the two can be read side by side.
 */
class Tick {
  readonly writer: CanaryStatusWriter;
  readonly obs: TickObservation;
  private readonly recorder: EventRecorder;
  private readonly log: (level: LogLevel, message: string) => void;
  provider = '';
  workload!: WorkloadController;
  router!: TrafficRouter;
  scaler: ScalerReconciler | undefined;

  constructor(
    readonly ports: ClusterPorts,
    readonly cd: Canary,
    readonly deps: SchedulerDeps,
  ) {
    this.writer = new CanaryStatusWriter(ports.kube, deps.clock);
    this.log = deps.log ?? (() => undefined);
    const s = statusOf(cd);
    this.obs = {
      found: true,
      phase: s.phase,
      canaryWeight: s.canaryWeight,
      primaryWeight: TOTAL_WEIGHT - s.canaryWeight,
      mirrored: false,
      iterations: s.iterations,
      failedChecks: s.failedChecks,
      samples: [],
      events: [],
    };
    // The recorder handed to the analysis port, so its "Halt ..." events are observed too.
    this.recorder = {
      info: (c, m) => this.event('Normal', c, m),
      warning: (c, m) => this.event('Warning', c, m),
      error: (c, m) => this.event('Warning', c, m, true),
    };
    this.provider = cd.spec.provider || deps.meshProvider || 'istio';
  }

  bind(): void {
    this.workload = this.ports.workload(this.cd);
    this.router = this.ports.router(this.cd);
    this.scaler = this.cd.spec.autoscalerRef ? this.ports.scaler(this.cd) : undefined;
  }

  // --- events, alerts, status -----------------------------------------------------------------

  /** recordEvent*: never fails the tick (Flagger's recorder does not return errors). */
  private async event(type: EventType, c: Canary, message: string, error = false): Promise<void> {
    this.obs.events.push({ type, message });
    if (type === 'Warning' && message.startsWith('Halt ')) this.obs.halted = message;
    try {
      if (error) await this.ports.events.error(c, message);
      else if (type === 'Warning') await this.ports.events.warning(c, message);
      else await this.ports.events.info(c, message);
    } catch (err) {
      this.log('error', `event can't be recorded: ${errorText(err)}`);
    }
  }

  info(c: Canary, message: string): Promise<void> {
    return this.event('Normal', c, message);
  }
  warning(c: Canary, message: string): Promise<void> {
    return this.event('Warning', c, message);
  }
  error(c: Canary, message: string): Promise<void> {
    return this.event('Warning', c, message, true);
  }

  async alert(c: Canary, alert: AlertText): Promise<void> {
    try {
      await this.ports.notifier.alert(c, alert.message, alert.metadata, alert.severity);
    } catch (err) {
      this.log('error', `alert can't be sent: ${errorText(err)}`);
    }
  }

  /** Runs a port call; on error records Flagger's "%v" warning and returns false. */
  async attempt(c: Canary, call: () => Promise<unknown>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (err) {
      await this.warning(c, texts.errorEvent(errorText(err)));
      return false;
    }
  }

  private observe(status: CanaryStatus): void {
    this.obs.phase = status.phase;
    this.obs.iterations = status.iterations;
    this.obs.failedChecks = status.failedChecks;
  }

  async syncStatus(c: Canary, sync: StatusSync): Promise<void> {
    const revision = await this.workload.revision(c);
    this.observe(await this.writer.syncStatus(c, sync, revision));
  }
  async setStatusPhase(c: Canary, phase: CanaryPhase): Promise<void> {
    this.observe(await this.writer.setStatusPhase(c, phase));
  }
  async setStatusWeight(c: Canary, weight: number): Promise<void> {
    this.observe(await this.writer.setStatusWeight(c, weight));
  }
  async setStatusIterations(c: Canary, iterations: number): Promise<void> {
    this.observe(await this.writer.setStatusIterations(c, iterations));
  }
  async setStatusFailedChecks(c: Canary, failedChecks: number): Promise<void> {
    this.observe(await this.writer.setStatusFailedChecks(c, failedChecks));
  }

  async setRoutes(primaryWeight: number, canaryWeight: number, mirrored: boolean): Promise<void> {
    await this.router.setRoutes(this.cd, { primaryWeight, canaryWeight, mirrored });
    this.obs.primaryWeight = primaryWeight;
    this.obs.canaryWeight = canaryWeight;
    this.obs.mirrored = mirrored;
  }

  // --- hooks (scheduler_hooks.go) -------------------------------------------------------------

  private hooks(c: Canary, type: Exclude<HookType, ''>): CanaryWebhook[] {
    return webhooksOfType(c, type);
  }

  async callHook(c: Canary, hook: CanaryWebhook, phase: HookPhase): Promise<Error | undefined> {
    try {
      await this.ports.webhooks.call(c, hook, phase);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  async runConfirmTrafficIncreaseHooks(c: Canary): Promise<boolean> {
    for (const hook of this.hooks(c, 'confirm-traffic-increase')) {
      if (await this.callHook(c, hook, 'Progressing')) {
        await this.warning(c, texts.haltWaitingTrafficIncreaseApproval(c, hook.name));
        if (!hook.muteAlert) await this.alert(c, texts.alertWaitingTrafficIncreaseApproval());
        return false;
      }
      await this.info(c, texts.confirmTrafficIncreasePassed(hook.name));
    }
    return true;
  }

  async runConfirmRolloutHooks(c: Canary): Promise<boolean> {
    const phase = statusOf(c).phase;
    for (const hook of this.hooks(c, 'confirm-rollout')) {
      if (await this.callHook(c, hook, phase)) {
        if (phase !== 'Waiting') {
          try {
            await this.setStatusPhase(c, 'Waiting');
          } catch (err) {
            this.log('error', errorText(err));
          }
          await this.warning(c, texts.haltWaitingApproval(c, hook.name));
          if (!hook.muteAlert) await this.alert(c, texts.alertWaitingApproval());
        } else {
          // Flagger records nothing while it keeps waiting; the UI still shows why.
          this.obs.halted = texts.haltWaitingApproval(c, hook.name);
        }
        return false;
      }
      await this.info(c, texts.confirmRolloutPassed(hook.name));
    }
    return true;
  }

  async runConfirmPromotionHooks(c: Canary): Promise<boolean> {
    for (const hook of this.hooks(c, 'confirm-promotion')) {
      if (await this.callHook(c, hook, 'Progressing')) {
        if (statusOf(c).phase !== 'WaitingPromotion') {
          try {
            await this.setStatusPhase(c, 'WaitingPromotion');
          } catch (err) {
            this.log('error', errorText(err));
          }
          await this.warning(c, texts.haltWaitingPromotionApproval(c, hook.name));
          if (!hook.muteAlert) await this.alert(c, texts.alertWaitingPromotionApproval());
        } else {
          this.obs.halted = texts.haltWaitingPromotionApproval(c, hook.name);
          await this.attempt(c, () =>
            this.setStatusIterations(c, (c.spec.analysis?.iterations ?? 0) - 1),
          );
        }
        return false;
      }
      await this.info(c, texts.confirmPromotionPassed(hook.name));
    }
    return true;
  }

  async runPreRolloutHooks(c: Canary): Promise<boolean> {
    for (const hook of this.hooks(c, 'pre-rollout')) {
      const err = await this.callHook(c, hook, 'Progressing');
      if (err) {
        await this.warning(c, texts.haltPreRolloutCheck(c, hook.name, err));
        return false;
      }
      await this.info(c, texts.preRolloutPassed(hook.name));
    }
    return true;
  }

  async runPostRolloutHooks(c: Canary, phase: CanaryPhase): Promise<boolean> {
    for (const hook of this.hooks(c, 'post-rollout')) {
      const err = await this.callHook(c, hook, phase);
      if (err) {
        await this.warning(c, texts.postRolloutFailed(hook.name, err));
        return false;
      }
      await this.info(c, texts.postRolloutPassed(hook.name));
    }
    return true;
  }

  /** A rollback hook that succeeds asks for a rollback; one that fails does not. */
  async runRollbackHooks(c: Canary, phase: HookPhase): Promise<boolean> {
    for (const hook of this.hooks(c, 'rollback')) {
      if (await this.callHook(c, hook, phase)) {
        await this.info(c, texts.rollbackHookNotSignaling(hook.name));
      } else {
        await this.warning(c, texts.rollbackCheckPassed(hook.name));
        return true;
      }
    }
    return false;
  }

  // --- rollback, failed promotion ---------------------------------------------------------------

  async rollback(): Promise<void> {
    const cd = this.cd;
    const s = statusOf(cd);
    if (s.failedChecks >= analysisThreshold(cd)) {
      await this.warning(cd, texts.rollingBackFailedChecks(cd, s.failedChecks));
      await this.alert(cd, texts.alertFailedChecksThreshold(s.failedChecks));
    }
    if (!(await this.attempt(cd, () => this.setRoutes(TOTAL_WEIGHT, 0, false)))) return;
    this.obs.outcome = { result: 'failed', status: 'completed' };
    await this.warning(withPhase(cd, 'Failed'), texts.canaryFailed(cd));
    const scaler = this.scaler;
    if (scaler && !(await this.attempt(cd, () => scaler.pauseTargetScaler(cd)))) return;
    if (!(await this.attempt(cd, () => this.workload.scaleToZero(cd)))) return;
    try {
      await this.syncStatus(cd, { phase: 'Failed', canaryWeight: 0 });
    } catch (err) {
      this.log('error', errorText(err));
      return;
    }
    await this.runPostRolloutHooks(cd, 'Failed');
  }

  /** The primary is not ready while promoting: keep traffic on the canary, the healthy copy. */
  async handleFailedPromotion(err: unknown): Promise<void> {
    const cd = this.cd;
    await this.warning(cd, texts.promotionFailedPrimaryNotReady(cd, errorText(err)));
    await this.alert(cd, texts.alertPromotionFailed(errorText(err)));
    if (!(await this.attempt(cd, () => this.setRoutes(0, TOTAL_WEIGHT, false)))) return;
    try {
      await this.syncStatus(cd, { phase: 'Failed', canaryWeight: TOTAL_WEIGHT });
    } catch (e) {
      this.log('error', errorText(e));
      return;
    }
    await this.runPostRolloutHooks(cd, 'Failed');
  }

  // --- advanceCanary --------------------------------------------------------------------------

  async advance(): Promise<void> {
    const cd = this.cd;
    const initializing = (): boolean => {
      const p = statusOf(cd).phase;
      return p === '' || p === 'Initializing';
    };

    // 2. suspend
    if (cd.spec.suspend) {
      await this.info(cd, texts.suspended());
      return;
    }
    // 3-4. provider, target metadata
    this.bind();
    if (!(await this.attempt(cd, () => this.workload.getMetadata(cd)))) return;
    // 6. the ClusterIP services
    if (!(await this.attempt(cd, () => this.ports.services.initialize(cd)))) return;
    // 7. metric providers
    if (!skipAnalysis(cd) && initializing()) {
      let problem: string | undefined;
      try {
        problem = await this.ports.analysis.checkProviders(cd);
      } catch (err) {
        problem = errorText(err);
      }
      if (problem !== undefined) await this.error(cd, texts.errorCheckingMetricProviders(problem));
      else await this.info(cd, texts.metricProvidersAvailable());
    }
    // 8. App Mesh needs its virtual nodes before the primary exists
    const appMesh = this.provider.startsWith('appmesh');
    if (appMesh && !(await this.attempt(cd, () => this.router.reconcile(cd)))) return;
    // 9. the primary workload
    try {
      await this.workload.initialize(cd);
    } catch (err) {
      await this.warning(cd, texts.errorEvent(errorText(err)));
      if (err instanceof InitializationError && !err.retriable) await this.rollback();
      return;
    }
    // 10. scalers
    const scaler = this.scaler;
    if (scaler) {
      if (!(await this.attempt(cd, () => scaler.reconcilePrimaryScaler(cd, true)))) return;
      if (initializing() && !(await this.attempt(cd, () => scaler.pauseTargetScaler(cd)))) return;
    }
    // 11. apex service → primary pods
    if (!(await this.attempt(cd, () => this.ports.services.reconcile(cd)))) return;
    // 12. scale the target down once the apex points at the primary
    if (initializing()) {
      this.log(
        'info',
        `Scaling down ${cd.spec.targetRef.kind} ${cd.spec.targetRef.name}.${cd.metadata.namespace}`,
      );
      try {
        await this.workload.scaleToZero(cd);
      } catch (err) {
        await this.warning(cd, texts.scalingDownCanaryFailed(cd, errorText(err)));
        return;
      }
    }
    // 13. take over the mesh/ingress objects
    if (!appMesh && !(await this.attempt(cd, () => this.router.reconcile(cd)))) return;
    // 14. setPhaseInitialized
    if (initializing()) {
      try {
        const revision = await this.workload.revision(cd);
        this.observe(await this.writer.syncStatus(cd, { phase: 'Initialized' }, revision));
        // shouldAdvance compares with the revision just stored (Flagger re-reads the canary).
        cd.status = {
          ...statusOf(cd),
          phase: 'Initialized',
          lastAppliedSpec: revision.hash,
          trackedConfigs: { ...revision.trackedConfigs },
        };
      } catch (err) {
        await this.warning(
          cd,
          texts.errorEvent(
            `failed to sync canary ${cd.metadata.name}.${cd.metadata.namespace} status: ${errorText(err)}`,
          ),
        );
        return;
      }
      await this.info(cd, texts.initializationDone(cd));
      await this.alert(cd, texts.alertInitialized(cd.spec.targetRef.kind));
    }
    // 15. shouldAdvance
    let advance: boolean;
    try {
      advance = await this.shouldAdvance();
    } catch (err) {
      await this.warning(cd, texts.errorEvent(errorText(err)));
      return;
    }
    if (!advance) return;
    const maxWeight = maxWeightOf(cd);

    // 16. primary readiness
    if (!skipAnalysis(cd)) {
      try {
        await this.workload.isPrimaryReady(cd);
      } catch (err) {
        await this.warning(cd, texts.errorEvent(errorText(err)));
        if (err instanceof ReadinessError && !err.retriable) {
          const phase = statusOf(cd).phase;
          if (phase === 'Promoting' || phase === 'Finalising')
            await this.handleFailedPromotion(err);
          else await this.rollback();
        }
        return;
      }
    }
    // 17. routes
    let routes: Routes;
    try {
      routes = await this.router.getRoutes(cd);
    } catch (err) {
      await this.warning(cd, texts.errorEvent(errorText(err)));
      return;
    }
    this.obs.primaryWeight = routes.primaryWeight;
    this.obs.canaryWeight = routes.canaryWeight;
    this.obs.mirrored = routes.mirrored;
    const { primaryWeight, canaryWeight, mirrored } = routes;

    // 18. start the analysis (next tick) or carry on
    if (!(await this.checkCanaryStatus())) return;

    // 19. a new revision during the analysis restarts it
    if (await this.hasCanaryRevisionChanged()) {
      await this.info(cd, texts.newRevisionRestartingAnalysis(cd));
      if (!(await this.attempt(cd, () => this.setRoutes(TOTAL_WEIGHT, 0, false)))) return;
      await this.attempt(cd, () =>
        this.syncStatus(cd, { phase: 'Progressing', canaryWeight: 0, failedChecks: 0 }),
      );
      return;
    }

    // 20. canary readiness. When IsCanaryReady returns without error Flagger's `retriable` is
    // true, so the progress-deadline branches of steps 21 and 25 cannot fire; they are kept
    // to match Flagger line for line.
    const retriable = true as boolean;
    const readinessError: unknown = undefined;
    try {
      await this.workload.isCanaryReady(cd);
    } catch (err) {
      await this.warning(cd, texts.errorEvent(errorText(err)));
      if (err instanceof ReadinessError && !err.retriable) await this.rollback();
      return;
    }

    // 21. skipAnalysis
    if (await this.shouldSkipAnalysis(retriable, readinessError)) return;

    const phase = statusOf(cd).phase;
    // 22. rollback hooks
    if (phase === 'Progressing' || phase === 'Waiting' || phase === 'WaitingPromotion') {
      if (await this.runRollbackHooks(cd, phase)) {
        await this.warning(cd, texts.rollingBackManualWebhook(cd));
        await this.alert(cd, texts.alertRollingBackManualWebhook());
        await this.rollback();
        return;
      }
    }
    // 23. promotion: shift traffic back to the (now updated) primary
    if (phase === 'Promoting') {
      if (scaler && !(await this.attempt(cd, () => scaler.reconcilePrimaryScaler(cd, false))))
        return;
      await this.runPromotionTrafficShift(canaryWeight, primaryWeight);
      return;
    }
    // 24. finalising: scale the canary down
    if (phase === 'Finalising') {
      if (scaler && !(await this.attempt(cd, () => scaler.pauseTargetScaler(cd)))) return;
      if (!(await this.attempt(cd, () => this.workload.scaleToZero(cd)))) return;
      if (!(await this.attempt(cd, () => this.setStatusPhase(cd, 'Succeeded')))) return;
      this.obs.outcome = { result: 'succeeded', status: 'completed' };
      const succeeded = withPhase(cd, 'Succeeded');
      await this.runPostRolloutHooks(succeeded, 'Succeeded');
      await this.info(succeeded, texts.promotionCompleted(cd));
      await this.alert(succeeded, texts.alertPromotionFinished());
      return;
    }
    // 25. failed checks threshold (or a progress deadline)
    const s = statusOf(cd);
    if (
      (phase === 'Progressing' || phase === 'WaitingPromotion') &&
      (!retriable || s.failedChecks >= analysisThreshold(cd))
    ) {
      if (!retriable) {
        await this.warning(cd, texts.rollingBackProgressDeadline(cd, errorText(readinessError)));
        await this.alert(cd, texts.alertProgressDeadlineExceeded(errorText(readinessError)));
      }
      await this.rollback();
      return;
    }

    // 27. the first step runs the pre-rollout hooks, the others the analysis
    const analysis = cd.spec.analysis;
    if (canaryWeight === 0 && s.iterations === 0 && !(analysis?.mirror === true && mirrored)) {
      await this.info(cd, texts.startingCanaryAnalysis(cd));
      if (!(await this.runPreRolloutHooks(cd))) {
        await this.attempt(cd, () => this.setStatusFailedChecks(cd, s.failedChecks + 1));
        return;
      }
    } else if (!(await this.runAnalysis())) {
      await this.attempt(cd, () => this.setStatusFailedChecks(cd, s.failedChecks + 1));
      return;
    }

    // 28. the kubernetes provider cannot shift traffic: blue/green, in memory only
    if (this.provider === 'kubernetes' && analysis) {
      if ((analysis.match?.length ?? 0) > 0) {
        await this.warning(cd, texts.abTestingNotSupported());
        analysis.match = undefined;
      }
      if ((analysis.iterations ?? 0) < 1) {
        await this.warning(cd, texts.progressiveTrafficNotSupported());
        await this.warning(cd, texts.settingIterationsTo10());
        analysis.iterations = 10;
      }
    }

    // 29. strategy
    switch (deploymentStrategy(cd)) {
      case 'ab-testing':
        await this.runAB();
        return;
      case 'blue-green':
        await this.runBlueGreen(mirrored);
        return;
      default:
    }
    if (nextStepWeight(cd, canaryWeight) > 0) {
      const p = statusOf(cd).phase;
      if (!mirrored && p !== 'Promoting' && p !== 'WaitingPromotion' && p !== 'Finalising') {
        if (!(await this.runConfirmTrafficIncreaseHooks(cd))) return;
      }
      await this.runCanary(mirrored, canaryWeight, primaryWeight, maxWeight);
    }
  }

  /**
   * shouldAdvance. Flagger syncs a Failed canary's status before comparing revisions; the
   * comparison reads the status as the tick started, so Aviary compares first and syncs the
   * Failed status only when nothing changed: the same decision, and a tick cut off right after
   * the sync cannot hide a new revision from the next one.
   */
  private async shouldAdvance(): Promise<boolean> {
    const cd = this.cd;
    const s = statusOf(cd);
    if (ANALYSING.includes(s.phase)) return true;
    const changed =
      (await this.workload.hasTargetChanged(cd)) ||
      (await this.workload.haveDependenciesChanged(cd));
    if (!changed && s.phase === 'Failed') {
      try {
        await this.syncStatus(cd, {
          phase: 'Failed',
          canaryWeight: s.canaryWeight,
          failedChecks: s.failedChecks,
          iterations: s.iterations,
        });
      } catch (err) {
        this.log('error', errorText(err));
        throw err;
      }
    }
    return changed;
  }

  /** checkCanaryStatus: false ends the tick (the analysis starts on the next one). */
  private async checkCanaryStatus(): Promise<boolean> {
    const phase = statusOf(this.cd).phase;
    if (
      phase === 'Progressing' ||
      phase === 'WaitingPromotion' ||
      phase === 'Promoting' ||
      phase === 'Finalising'
    )
      return true;
    // Flagger reads the canary again before the gate.
    let fresh: Canary;
    try {
      const read = await readCanary(this.ports.kube, this.cd.metadata);
      if (!read || 'errors' in read)
        throw new Error(texts.canaryNotFound(this.cd.metadata.name, this.cd.metadata.namespace));
      fresh = read.canary;
    } catch (err) {
      this.log('error', errorText(err));
      return false;
    }
    if (!(await this.runConfirmRolloutHooks(fresh))) return false;
    const progressing = withPhase(fresh, 'Progressing');
    await this.info(progressing, texts.newRevisionScalingUp(fresh));
    await this.alert(progressing, texts.alertNewRevision());
    const scaler = this.scaler;
    if (scaler && !(await this.attempt(fresh, () => scaler.resumeTargetScaler(fresh))))
      return false;
    try {
      await this.workload.scaleFromZero(fresh);
    } catch (err) {
      await this.error(fresh, texts.errorEvent(errorText(err)));
      return false;
    }
    try {
      await this.syncStatus(fresh, { phase: 'Progressing' });
    } catch (err) {
      this.log('error', errorText(err));
    }
    return false;
  }

  private async hasCanaryRevisionChanged(): Promise<boolean> {
    const phase = statusOf(this.cd).phase;
    if (phase !== 'Progressing' && phase !== 'WaitingPromotion') return false;
    // Flagger ignores the errors here.
    const safe = (p: Promise<boolean>) => p.catch(() => false);
    return (
      (await safe(this.workload.hasTargetChanged(this.cd))) ||
      (await safe(this.workload.haveDependenciesChanged(this.cd)))
    );
  }

  private async shouldSkipAnalysis(retriable: boolean, err: unknown): Promise<boolean> {
    const cd = this.cd;
    if (!skipAnalysis(cd)) return false;
    if (!retriable) {
      await this.warning(cd, texts.rollingBackProgressDeadline(cd, errorText(err)));
      await this.alert(cd, texts.alertProgressDeadlineExceeded(errorText(err)));
      await this.rollback();
      return true;
    }
    if (!(await this.attempt(cd, () => this.setRoutes(TOTAL_WEIGHT, 0, false)))) return true;
    await this.info(cd, texts.copyingTemplateSpecSkippingAnalysis(cd));
    if (!(await this.attempt(cd, () => this.workload.promote(cd)))) return true;
    const scaler = this.scaler;
    if (scaler) {
      if (!(await this.attempt(cd, () => scaler.reconcilePrimaryScaler(cd, false)))) return true;
      if (!(await this.attempt(cd, () => scaler.pauseTargetScaler(cd)))) return true;
    }
    if (!(await this.attempt(cd, () => this.workload.scaleToZero(cd)))) return true;
    if (!(await this.attempt(cd, () => this.setStatusPhase(cd, 'Succeeded')))) return true;
    this.obs.outcome = { result: 'succeeded', status: 'skipped' };
    const succeeded = withPhase(cd, 'Succeeded');
    await this.runPostRolloutHooks(succeeded, 'Succeeded');
    await this.info(succeeded, texts.promotionCompletedAnalysisSkipped(cd));
    await this.alert(succeeded, texts.alertAnalysisSkipped());
    return true;
  }

  /** runAnalysis: rollout hooks, then the metric checks (builtin, then templates). */
  private async runAnalysis(): Promise<boolean> {
    const cd = this.cd;
    for (const hook of this.hooks(cd, 'rollout')) {
      const err = await this.callHook(cd, hook, 'Progressing');
      if (err) {
        await this.warning(cd, texts.haltExternalCheck(cd, hook.name, err));
        return false;
      }
    }
    try {
      const result = await this.ports.analysis.runMetricChecks(cd, this.recorder);
      this.obs.samples = result.samples;
      return result.passed;
    } catch (err) {
      // A check that cannot run counts as failed, as Flagger's failed queries do.
      await this.warning(cd, texts.errorEvent(errorText(err)));
      return false;
    }
  }

  private async runPromotionTrafficShift(canaryWeight: number, primaryWeight: number) {
    const cd = this.cd;
    if (this.provider === 'kubernetes') {
      await this.attempt(cd, () => this.setStatusPhase(cd, 'Finalising'));
      return;
    }
    const step = cd.spec.analysis?.stepWeightPromotion ?? 0;
    if (step === 0) {
      await this.info(cd, texts.routingAllTrafficToPrimary());
      if (!(await this.attempt(cd, () => this.setRoutes(TOTAL_WEIGHT, 0, false)))) return;
      await this.attempt(cd, () => this.setStatusPhase(cd, 'Finalising'));
      return;
    }
    if (canaryWeight > 0) {
      const primary = Math.min(TOTAL_WEIGHT, primaryWeight + step);
      const canary = Math.max(0, canaryWeight - step);
      if (!(await this.attempt(cd, () => this.setRoutes(primary, canary, false)))) return;
      await this.info(cd, texts.advancePrimaryWeight(cd, primary));
      if (primary === TOTAL_WEIGHT)
        await this.attempt(cd, () => this.setStatusPhase(cd, 'Finalising'));
      else await this.attempt(cd, () => this.setStatusWeight(cd, canary));
    }
  }

  private async runCanary(
    mirroredNow: boolean,
    canaryWeightNow: number,
    primaryWeightNow: number,
    maxWeight: number,
  ): Promise<void> {
    const cd = this.cd;
    if (canaryWeightNow < maxWeight) {
      let mirrored = mirroredNow;
      let primaryWeight = primaryWeightNow;
      let canaryWeight = canaryWeightNow;
      const step = nextStepWeight(cd, canaryWeight);
      // Mirror mode: one step of mirroring (all traffic to primary, copies to canary) first.
      if (cd.spec.analysis?.mirror === true && canaryWeight === 0) {
        if (!mirrored) {
          mirrored = true;
          primaryWeight = TOTAL_WEIGHT;
          canaryWeight = 0;
        } else {
          mirrored = false;
          primaryWeight = TOTAL_WEIGHT - step;
          canaryWeight = step;
        }
        this.log('info', `Running mirror step ${primaryWeight}/${canaryWeight}/${mirrored}`);
      } else {
        primaryWeight = Math.max(0, primaryWeight - step);
        canaryWeight = Math.min(TOTAL_WEIGHT, canaryWeight + step);
      }
      const m = mirrored;
      const [p, c] = [primaryWeight, canaryWeight];
      if (!(await this.attempt(cd, () => this.setRoutes(p, c, m)))) return;
      if (!(await this.attempt(cd, () => this.setStatusWeight(cd, c)))) return;
      await this.info(cd, texts.advanceCanaryWeight(cd, c));
      return;
    }
    if (!(await this.runConfirmPromotionHooks(cd))) return;
    await this.promoteToPrimary();
  }

  /** "Copying ... template spec", Promote, Promoting: the end of every strategy's analysis. */
  async promoteToPrimary(): Promise<void> {
    const cd = this.cd;
    await this.info(cd, texts.copyingTemplateSpec(cd));
    if (!(await this.attempt(cd, () => this.workload.promote(cd)))) return;
    await this.attempt(cd, () => this.setStatusPhase(cd, 'Promoting'));
  }

  private async runAB(): Promise<void> {
    const cd = this.cd;
    const total = cd.spec.analysis?.iterations ?? 0;
    const done = statusOf(cd).iterations;
    if (total > done) {
      if (!(await this.attempt(cd, () => this.setRoutes(0, TOTAL_WEIGHT, false)))) return;
      if (!(await this.attempt(cd, () => this.setStatusIterations(cd, done + 1)))) return;
      await this.info(cd, texts.advanceCanaryIteration(cd, done + 1, total));
      return;
    }
    if (!(await this.runConfirmPromotionHooks(cd))) return;
    if (total === done) await this.promoteToPrimary();
  }

  private async runBlueGreen(mirrored: boolean): Promise<void> {
    const cd = this.cd;
    const total = cd.spec.analysis?.iterations ?? 0;
    const done = statusOf(cd).iterations;
    const kubernetes = this.provider === 'kubernetes';
    if (total > done) {
      if (!kubernetes && cd.spec.analysis?.mirror === true && !mirrored) {
        await this.attempt(cd, () => this.setRoutes(TOTAL_WEIGHT, 0, true));
        this.log('info', 'Start traffic mirroring');
      }
      if (!(await this.attempt(cd, () => this.setStatusIterations(cd, done + 1)))) return;
      await this.info(cd, texts.advanceCanaryIteration(cd, done + 1, total));
      return;
    }
    if (!(await this.runConfirmPromotionHooks(cd))) return;
    if (total === done) {
      // The extra tick: all traffic to the canary before the primary is updated.
      if (!kubernetes) {
        await this.info(
          cd,
          cd.spec.analysis?.mirror === true
            ? texts.stopMirroringRouteAllToCanary()
            : texts.routingAllTrafficToCanary(),
        );
        if (!(await this.attempt(cd, () => this.setRoutes(0, TOTAL_WEIGHT, false)))) return;
      }
      await this.attempt(cd, () => this.setStatusIterations(cd, done + 1));
      return;
    }
    if (total < done) await this.promoteToPrimary();
  }

  // --- controller.go syncHandler and finalizer.go ---------------------------------------------

  /**
   * The parts of Flagger's syncHandler that write: the Initializing phase of a new canary, the
   * finalizer of revertOnDeletion, and finalizing a deleted canary. Returns true when the
   * canary is being deleted (the tick stops there).
   */
  async syncHandler(): Promise<boolean> {
    const cd = this.cd;
    const finalizers = cd.metadata.finalizers ?? [];
    const hasFinalizer = finalizers.includes(FINALIZER);
    if (cd.spec.revertOnDeletion && cd.metadata.deletionTimestamp) {
      if (!hasFinalizer) return true;
      if (statusOf(cd).phase !== 'Terminated') await this.finalize();
      await this.updateFinalizers(finalizers.filter((f) => f !== FINALIZER));
      await this.info(cd, texts.terminatedCanary(cd));
      return true;
    }
    if (!cd.status?.conditions || cd.status.conditions.length === 0) {
      this.observe(await this.writer.setPhaseInitializing(cd));
      cd.status = { ...this.writer.current(cd) };
    }
    if (cd.spec.revertOnDeletion && !hasFinalizer)
      await this.updateFinalizers([...finalizers, FINALIZER]);
    else if (!cd.spec.revertOnDeletion && hasFinalizer && !cd.metadata.deletionTimestamp)
      // "opting out, deleting finalizers"
      await this.updateFinalizers(finalizers.filter((f) => f !== FINALIZER));
    return false;
  }

  private async updateFinalizers(finalizers: string[]): Promise<void> {
    await this.ports.kube.mergePatch(canaryRef(this.cd.metadata, this.cd.apiVersion), {
      metadata: {
        finalizers: finalizers.length > 0 ? finalizers : null,
        // After this tick's status writes, not as read: the finalizers must not race a writer.
        resourceVersion: this.writer.resourceVersion(this.cd),
      },
    });
  }

  /** finalize (finalizer.go): revert the target, the services and the mesh objects. */
  private async finalize(): Promise<void> {
    const cd = this.cd;
    this.bind();
    if (statusOf(cd).phase !== 'Terminating') {
      await this.setStatusPhase(cd, 'Terminating');
      await this.info(cd, texts.terminatingCanary(cd));
    }
    if (this.scaler) await this.scaler.resumeTargetScaler(cd);
    await this.workload.finalize(cd);
    this.log(
      'info',
      `${cd.metadata.name}.${cd.metadata.namespace} kind ${cd.spec.targetRef.kind} reverted`,
    );
    // Flagger waits for the reverted target with a backoff; a later tick retries instead.
    await this.workload.isCanaryReady(cd);
    await this.workload.getMetadata(cd);
    await this.ports.services.finalize(cd);
    await this.router.finalize(cd);
    this.log('info', `Finalization complete for ${cd.metadata.name}.${cd.metadata.namespace}`);
  }
}

function notFound(): TickObservation {
  return {
    found: false,
    phase: '',
    canaryWeight: 0,
    primaryWeight: TOTAL_WEIGHT,
    mirrored: false,
    iterations: 0,
    failedChecks: 0,
    samples: [],
    events: [],
  };
}

/** Reads the canary for a tick or an action; an observation when there is nothing to work on. */
async function load(
  ports: ClusterPorts,
  ref: CanaryRef,
  deps: SchedulerDeps,
): Promise<Tick | TickObservation> {
  const read = await readCanary(ports.kube, ref);
  if (!read) {
    deps.log?.('error', texts.canaryNotFound(ref.name, ref.namespace));
    return notFound();
  }
  if ('errors' in read) return { ...notFound(), invalid: read.errors };
  return new Tick(ports, read.canary, deps);
}

/**
 * One tick of Flagger's advanceCanary for the canary `ref`, preceded by the writes of
 * Flagger's syncHandler (Initializing, finalizers). Throws only when the Canary cannot be read
 * or a syncHandler write fails; everything else is recorded as Flagger records it.
 */
export async function advanceCanary(
  ports: ClusterPorts,
  ref: CanaryRef,
  deps: SchedulerDeps,
): Promise<TickObservation> {
  const tick = await load(ports, ref, deps);
  if (!(tick instanceof Tick)) return tick;
  if (await tick.syncHandler()) return tick.obs;
  await tick.advance();
  return tick.obs;
}

/**
 * Operator promote: skip the remaining steps. Through the confirm-promotion gate unless
 * `force`, then "Copying ... template spec", Promote and Promoting; the next ticks route the
 * traffic to the primary and finish as Flagger does.
 */
export async function promoteCanary(
  ports: ClusterPorts,
  ref: CanaryRef,
  deps: SchedulerDeps,
  options: { force?: boolean } = {},
): Promise<TickObservation> {
  const tick = await loadForAction(
    ports,
    ref,
    deps,
    ['Progressing', 'WaitingPromotion'],
    'promote',
  );
  tick.bind();
  if (!options.force && !(await tick.runConfirmPromotionHooks(tick.cd))) return tick.obs;
  await tick.promoteToPrimary();
  return tick.obs;
}

/**
 * Operator rollback: Flagger's rollback(), whose first write routes all traffic to the
 * primary, then Failed. Allowed where Flagger's rollback hooks are (Progressing, Waiting,
 * WaitingPromotion).
 */
export async function rollbackCanary(
  ports: ClusterPorts,
  ref: CanaryRef,
  deps: SchedulerDeps,
): Promise<TickObservation> {
  const tick = await loadForAction(
    ports,
    ref,
    deps,
    ['Progressing', 'Waiting', 'WaitingPromotion'],
    'roll back',
  );
  tick.bind();
  await tick.rollback();
  return tick.obs;
}

/**
 * Operator retry of a Failed canary (Flagger has none): the phase becomes Waiting, so the next
 * tick goes through confirm-rollout, "New revision detected! Scaling up" and a fresh analysis of
 * the same revision, as if it had just been approved.
 */
export async function retryCanary(
  ports: ClusterPorts,
  ref: CanaryRef,
  deps: SchedulerDeps,
): Promise<TickObservation> {
  const tick = await loadForAction(ports, ref, deps, ['Failed'], 'retry');
  await tick.setStatusPhase(tick.cd, 'Waiting');
  return tick.obs;
}

async function loadForAction(
  ports: ClusterPorts,
  ref: CanaryRef,
  deps: SchedulerDeps,
  phases: readonly (CanaryPhase | '')[],
  verb: string,
): Promise<Tick> {
  const tick = await load(ports, ref, deps);
  if (!(tick instanceof Tick))
    throw new OperatorActionError(
      tick.invalid
        ? `cannot ${verb} ${ref.name}.${ref.namespace}: the canary is invalid`
        : texts.canaryNotFound(ref.name, ref.namespace),
    );
  const phase = statusOf(tick.cd).phase;
  if (!phases.includes(phase))
    throw new OperatorActionError(
      `cannot ${verb} ${ref.name}.${ref.namespace} in phase ${phase || '(none)'}; allowed: ${phases.join(', ')}`,
    );
  return tick;
}
