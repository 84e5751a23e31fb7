/**
 * `queued` → a runner on the way, once per job id.
 *
 * Happy path, sequential remote calls up to StartInstances (a test counts them):
 *   1. PutItem job (conditional, the once-per-job guard) ∥ Query warm (∥ Query idle)
 *   2. UpdateItem claim (conditional on the instance's version)
 *   3. StartInstances ∥ ModifyInstanceAttribute (terminate on shutdown) ∥ generate-jitconfig
 * then 4. PutParameter, 5. CreateTags `harrier:jit`, 6. UpdateItem job `started`. The instance
 * boots (~12 s) while the config is written: its agent waits for the tag, so nothing polls.
 */
import { launchInstance, startInstance, terminateOnShutdown } from '../aws/ec2';
import { errorName } from '../errors';
import type { InstanceRecord, JobRecord } from '../state/records';
import { METRIC } from '../telemetry';
import { JOB_RECORD_RETENTION_SECONDS, type Deps } from './deps';
import { jobFingerprint, poolServes, type JobEvent } from './job-event';
import { deliverJitConfig, registerRunner, runnerTarget } from './runner';

/** Warm candidates read per attempt; more than enough to outlast losing a few races. */
const CLAIM_CANDIDATES = 10;

/** StartInstances failures after which the claim is released and the next instance tried. */
const RELEASE_ON_START_ERRORS = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'IncorrectInstanceState', // still stopping/pending: usable a little later
]);
const GONE_ERRORS = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

export type ScaleUpOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'duplicate'; instanceId?: string }
  | { kind: 'warm' | 'reused' | 'cold' | 'resumed'; instanceId: string };

export async function scaleUp(deps: Deps, event: JobEvent): Promise<ScaleUpOutcome> {
  const { config, store, telemetry } = deps;
  if (!poolServes(config.pool.labels, event.labels)) return { kind: 'ignored', reason: 'labels' };
  const reuse = config.timing.reuseWindowMs > 0;

  const [created, warm, idle] = await Promise.all([
    store.createJob(
      {
        jobId: event.jobId,
        runId: event.runId,
        repo: event.repo,
        workflowName: event.workflowName,
        jobName: event.jobName,
        sender: event.sender,
        labels: event.labels,
        status: 'queued',
        dispatch: 'pending',
        queuedAt: event.createdAt,
      },
      JOB_RECORD_RETENTION_SECONDS,
    ),
    store.instancesIn(config.pool.name, 'warm', { limit: CLAIM_CANDIDATES }),
    reuse ? store.instancesIn(config.pool.name, 'idle') : Promise.resolve([]),
  ]);

  let job = created;
  if (job === undefined) {
    const decision = await decideForKnownJob(deps, event);
    if (decision.kind === 'skip') {
      telemetry.count(METRIC.jobDuplicate);
      return decision.outcome;
    }
    if (decision.kind === 'resume') {
      if (await startClaimed(deps, decision.instance, event)) {
        await markStarted(deps, decision.job, decision.instance.instanceId);
        return { kind: 'resumed', instanceId: decision.instance.instanceId };
      }
      // EC2 could not start it after all (released to warm): claim another like a new job.
    }
    job = decision.job;
  }

  const fingerprint = jobFingerprint(event);
  const candidates = [...idle.filter((i) => i.fingerprint === fingerprint), ...warm];
  for (const candidate of candidates) {
    const wasIdle = candidate.state === 'idle';
    const claimed = await store.updateInstance(candidate, {
      state: 'claimed',
      claimedForJobId: event.jobId,
      repo: wasIdle ? candidate.repo : event.repo,
      reuse: wasIdle,
      // A reuse stays in the same service period; a warm instance starts one now.
      inServiceSince: wasIdle ? candidate.inServiceSince : deps.now(),
      fingerprint: undefined,
      runningJobId: undefined,
    });
    if (claimed === undefined) {
      telemetry.count(METRIC.claimRaceLost);
      continue;
    }
    if (await startClaimed(deps, claimed, event)) {
      telemetry.count(wasIdle ? METRIC.reuseClaims : METRIC.warmClaims);
      await markStarted(deps, job, claimed.instanceId);
      return { kind: wasIdle ? 'reused' : 'warm', instanceId: claimed.instanceId };
    }
  }

  const instanceId = await launchCold(deps, job, event);
  await markStarted(deps, job, instanceId);
  return { kind: 'cold', instanceId };
}

type KnownJobDecision =
  | { kind: 'skip'; outcome: ScaleUpOutcome }
  | { kind: 'resume'; job: JobRecord; instance: InstanceRecord }
  | { kind: 'dispatch'; job: JobRecord };

/**
 * The job record exists: a duplicate delivery, a Lambda retry after a crash, or a re-drive.
 * Only a job still queued on our side with no live runner on the way gets another one.
 */
async function decideForKnownJob(deps: Deps, event: JobEvent): Promise<KnownJobDecision> {
  const { store, config } = deps;
  const job = await store.getJob(event.jobId);
  if (job === undefined) throw new Error(`job ${event.jobId} record vanished between put and get`);
  if (job.status !== 'queued') return { kind: 'skip', outcome: { kind: 'duplicate' } };

  const instance =
    job.instanceId !== undefined
      ? await store.getInstance(job.instanceId)
      : (await store.instancesIn(config.pool.name, 'claimed')).find((i) => i.claimedForJobId === job.jobId);

  if (instance?.state === 'claimed' && instance.claimedForJobId === job.jobId) {
    // Claimed for this job: either started already (a duplicate) or a crash left it half done.
    if (job.dispatch === 'started')
      return { kind: 'skip', outcome: { kind: 'duplicate', instanceId: instance.instanceId } };
    return { kind: 'resume', job, instance };
  }
  const runnerAlive = instance !== undefined && ['busy', 'idle'].includes(instance.state);
  if (job.dispatch === 'started' && runnerAlive && event.redrive !== true)
    // Its runner took another job; counting (reconcile) decides whether this one needs a new one.
    return { kind: 'skip', outcome: { kind: 'duplicate', instanceId: instance.instanceId } };
  if (job.dispatch === 'pending') return { kind: 'dispatch', job };

  const reset = await store.updateJob(job, { dispatch: 'pending', instanceId: undefined });
  if (reset === undefined) return { kind: 'skip', outcome: { kind: 'duplicate' } };
  return { kind: 'dispatch', job: reset };
}

/**
 * Starts a claimed instance and hands it its runner. Returns false (after releasing the claim)
 * when EC2 cannot start it now, so the caller tries the next one; other failures throw and the
 * message is retried, which resumes from the claim.
 */
async function startClaimed(deps: Deps, instance: InstanceRecord, event: JobEvent): Promise<boolean> {
  const { ec2, store, telemetry } = deps;
  const target = runnerTarget(deps, instance.repo ?? event.repo, instance.reuse === true);
  if (instance.launch === 'cold') {
    // Resuming a cold launch: it is already running towards its job.
    const jit = await registerRunner(deps, target, instance.instanceId);
    await deliver(deps, instance, jit.encodedJitConfig);
    return true;
  }
  const [started, modified, jit] = await Promise.allSettled([
    instance.reuse === true ? Promise.resolve() : startInstance(ec2, instance.instanceId),
    instance.reuse === true ? Promise.resolve() : terminateOnShutdown(ec2, instance.instanceId),
    registerRunner(deps, target, instance.instanceId),
  ]);
  if (started.status === 'rejected') {
    const name = errorName(started.reason);
    if (!RELEASE_ON_START_ERRORS.has(name) && !GONE_ERRORS.has(name)) throw started.reason;
    if (jit.status === 'fulfilled') await deps.github.deleteRunner(target, jit.value.runnerId);
    if (name.startsWith('Insufficient')) telemetry.count(METRIC.capacityErrors);
    telemetry.log.warn('could not start claimed instance; trying the next one', {
      instanceId: instance.instanceId,
      error: name,
    });
    // Back to warm, unless it is gone; losing this write only means reconcile tidies it.
    await store.updateInstance(
      instance,
      GONE_ERRORS.has(name)
        ? { state: 'terminated', claimedForJobId: undefined }
        : {
            state: 'warm',
            claimedForJobId: undefined,
            repo: undefined,
            reuse: undefined,
            inServiceSince: undefined,
          },
    );
    return false;
  }
  if (modified.status === 'rejected') throw modified.reason;
  if (jit.status === 'rejected') throw jit.reason;
  await deliver(deps, instance, jit.value.encodedJitConfig);
  return true;
}

async function deliver(deps: Deps, instance: InstanceRecord, encodedJitConfig: string): Promise<void> {
  const generation = await deliverJitConfig(deps, instance, encodedJitConfig);
  deps.telemetry.log.info('runner config delivered', { instanceId: instance.instanceId, generation });
}

/** No warm instance: launch one for this job from the launch template (another AZ on capacity errors). */
async function launchCold(deps: Deps, job: JobRecord, event: JobEvent): Promise<string> {
  const { ec2, config, store, telemetry } = deps;
  let launched;
  try {
    launched = await launchInstance(ec2, config, {
      kind: 'cold',
      // Same job record version = same attempt: a retry after a crash gets the same instance back.
      clientToken: `harrier-${job.jobId}-${job.version}`,
    });
  } catch (error: unknown) {
    if (errorName(error) === 'NoCapacityError') telemetry.count(METRIC.capacityErrors);
    throw error;
  }
  telemetry.count(METRIC.coldLaunches);
  const target = runnerTarget(deps, event.repo, false);
  const [record, jit] = await Promise.all([
    store.createInstance({
      instanceId: launched.instanceId,
      pool: config.pool.name,
      launch: 'cold',
      state: 'claimed',
      subnetId: launched.subnetId,
      claimedForJobId: job.jobId,
      repo: event.repo,
    }),
    registerRunner(deps, target, launched.instanceId),
  ]);
  const instance = record ?? (await store.getInstance(launched.instanceId));
  if (instance === undefined) throw new Error(`instance ${launched.instanceId} record missing after create`);
  await deliver(deps, instance, jit.encodedJitConfig);
  return launched.instanceId;
}

async function markStarted(deps: Deps, job: JobRecord, instanceId: string): Promise<void> {
  const now = deps.now();
  // Losing this write is harmless: someone (lifecycle) moved the job on, which is what matters.
  await deps.store.updateJob(job, { dispatch: 'started', instanceId, startedAt: now });
  if (job.queuedAt > 0) deps.telemetry.milliseconds(METRIC.queuedToStartMs, Math.max(0, now - job.queuedAt));
}
