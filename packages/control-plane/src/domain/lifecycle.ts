/**
 * What happens after a runner is on the way: `in_progress` and `completed` job events, and EC2
 * state changes. Runners are fungible (one started for job A may take job B), so every step
 * keys on the runner's name (= instance id) that GitHub reports, never on the job it was for.
 */
import { instanceTags, terminateInstances } from '../aws/ec2';
import { deleteJitConfig } from '../aws/ssm';
import { BOOTSTRAP_OK, TAG } from '../constants';
import { compareVersions } from '../versions';
import type { InstanceRecord } from '../state/records';
import { METRIC } from '../telemetry';
import { JOB_RECORD_RETENTION_SECONDS, type Deps } from './deps';
import { instanceIdFromRunnerName, jobFingerprint, poolServes, type JobEvent } from './job-event';
import { redriveJob } from './redrive';

export type LifecycleOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'busy' | 'idle' | 'terminating' | 'warm' | 'terminated'; instanceId: string }
  | { kind: 'recorded' };

/** Up to this many conditional-write retries when a record changes under us. */
const WRITE_ATTEMPTS = 3;

/** Records the job's status (creating the record when `queued` was never seen: reordering). */
async function recordJobStatus(
  deps: Deps,
  event: JobEvent,
  status: 'in_progress' | 'completed',
): Promise<void> {
  const { store } = deps;
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const job = await store.getJob(event.jobId);
    if (job === undefined) {
      const created = await store.createJob(
        {
          jobId: event.jobId,
          runId: event.runId,
          repo: event.repo,
          workflowName: event.workflowName,
          jobName: event.jobName,
          sender: event.sender,
          labels: event.labels,
          status,
          dispatch: 'pending',
          queuedAt: event.createdAt,
          runnerName: event.runnerName ?? undefined,
        },
        JOB_RECORD_RETENTION_SECONDS,
      );
      if (created !== undefined) return;
      continue;
    }
    // `completed` is final; an `in_progress` arriving after it changes nothing.
    if (job.status === 'completed' || job.status === status) return;
    const updated = await store.updateJob(job, { status, runnerName: event.runnerName ?? job.runnerName });
    if (updated !== undefined) return;
  }
}

/** Applies `change` to the instance record, re-reading on a lost race; undefined = not ours / no change. */
async function updateInstanceRecord(
  deps: Deps,
  instanceId: string,
  change: (current: InstanceRecord) => Partial<InstanceRecord> | undefined,
): Promise<InstanceRecord | undefined> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const current = await deps.store.getInstance(instanceId);
    if (current === undefined) return undefined;
    const changes = change(current);
    if (changes === undefined) return undefined;
    const next = await deps.store.updateInstance(current, changes);
    if (next !== undefined) return next;
  }
  throw new Error(`instance ${instanceId} kept changing; giving up after ${WRITE_ATTEMPTS} attempts`);
}

export async function onJobInProgress(deps: Deps, event: JobEvent): Promise<LifecycleOutcome> {
  if (!poolServes(deps.config.pool.labels, event.labels)) return { kind: 'ignored', reason: 'labels' };
  await recordJobStatus(deps, event, 'in_progress');
  const instanceId = instanceIdFromRunnerName(event.runnerName);
  if (instanceId === undefined) return { kind: 'ignored', reason: 'not a Harrier runner' };
  let wasClaimedFor: number | undefined;
  const next = await updateInstanceRecord(deps, instanceId, (current) => {
    if (current.state !== 'claimed' && current.state !== 'idle') return undefined;
    wasClaimedFor = current.state === 'claimed' ? current.claimedForJobId : undefined;
    return { state: 'busy', runningJobId: event.jobId, repo: event.repo };
  });
  if (next === undefined) return { kind: 'recorded' };
  if (wasClaimedFor !== undefined && wasClaimedFor !== event.jobId)
    await settleDisplacedJob(deps, event.jobId, instanceId, wasClaimedFor);
  return { kind: 'busy', instanceId };
}

/**
 * The runner on `instanceId`, started for `displacedJobId`, took job `takenJobId` instead
 * (runners are fungible). If a runner was still on the way for the taken job, that one will
 * serve the displaced job: the expectation moves to it, so counting stays right. Otherwise the
 * displaced job is one runner short: send it round again now rather than when reconcile notices
 * (a minute or more later). Every write is a single-item conditional write; losing one means
 * the record moved on, and reconcile's counting still covers whatever is left.
 */
async function settleDisplacedJob(
  deps: Deps,
  takenJobId: number,
  instanceId: string,
  displacedJobId: number,
): Promise<void> {
  const { store, telemetry } = deps;
  const [taken, displaced] = await Promise.all([store.getJob(takenJobId), store.getJob(displacedJobId)]);
  if (displaced?.status !== 'queued') return;
  // Its expectation already points at another runner (moved there earlier): nothing is short.
  if (displaced.instanceId !== undefined && displaced.instanceId !== instanceId) return;

  const otherId =
    taken?.dispatch === 'started' && taken.instanceId !== undefined && taken.instanceId !== instanceId
      ? taken.instanceId
      : undefined;
  const other = otherId === undefined ? undefined : await store.getInstance(otherId);
  // A runner registered at repository scope can only ever take that repository's jobs.
  const canServe = (candidate: InstanceRecord) =>
    (deps.config.github.scope === 'org' && candidate.reuse !== true) || candidate.repo === displaced.repo;
  if (other?.state === 'claimed' && other.claimedForJobId === takenJobId && canServe(other)) {
    const moved = await store.updateInstance(other, { claimedForJobId: displacedJobId });
    if (moved !== undefined) {
      await store.updateJob(displaced, { instanceId: moved.instanceId });
      telemetry.log.info('runner expectation moved', {
        jobId: displacedJobId,
        from: instanceId,
        to: moved.instanceId,
      });
      return;
    }
  }

  // No runner left on the way for it: back to `pending` so scale-up dispatches it again, on
  // the version we read (a concurrent re-dispatch wins and this one stands down).
  const reset = await store.updateJob(displaced, { dispatch: 'pending', instanceId: undefined });
  if (reset === undefined) return;
  // Keyed by the reset's version: a retry of this event sends the same message, and an earlier
  // re-drive of the job in the same de-duplication window does not swallow this one.
  await redriveJob(deps, reset, `v${reset.version}`);
}

export async function onJobCompleted(deps: Deps, event: JobEvent): Promise<LifecycleOutcome> {
  if (!poolServes(deps.config.pool.labels, event.labels)) return { kind: 'ignored', reason: 'labels' };
  await recordJobStatus(deps, event, 'completed');
  const instanceId = instanceIdFromRunnerName(event.runnerName);
  // A job cancelled while queued has no runner; the runner sent for it takes another job or
  // is terminated by reconcile's claim timeout.
  if (instanceId === undefined) return { kind: 'recorded' };
  const reuse = deps.config.timing.reuseWindowMs > 0;
  const next = await updateInstanceRecord(deps, instanceId, (current) => {
    // `claimed` too: its in_progress may have been lost, the job still ran on it.
    if (current.state !== 'busy' && current.state !== 'claimed') return undefined;
    return reuse
      ? { state: 'idle', fingerprint: jobFingerprint(event), repo: event.repo, runningJobId: undefined }
      : { state: 'terminating' };
  });
  if (next === undefined) return { kind: 'recorded' };
  if (next.state === 'idle') {
    deps.telemetry.count(METRIC.instancesIdled);
    return { kind: 'idle', instanceId };
  }
  await terminateInstances(deps.ec2, [instanceId]);
  deps.telemetry.count(METRIC.instancesTerminated);
  return { kind: 'terminating', instanceId };
}

/** The part of EventBridge's `EC2 Instance State-change Notification` Harrier reads. */
export interface InstanceStateChange {
  instanceId: string;
  state: string;
}

export async function onInstanceStateChange(
  deps: Deps,
  change: InstanceStateChange,
): Promise<LifecycleOutcome> {
  const record = await deps.store.getInstance(change.instanceId);
  // State-change events carry no tags: an instance without a record is not Harrier's.
  if (record === undefined) return { kind: 'ignored', reason: 'unknown instance' };
  if (change.state === 'stopped') return onStopped(deps, record);
  if (change.state === 'terminated' || change.state === 'shutting-down') return onTerminated(deps, record);
  return { kind: 'ignored', reason: `state ${change.state}` };
}

/** A pool instance stops itself after bootstrapping; only a reported success makes it warm. */
async function onStopped(deps: Deps, record: InstanceRecord): Promise<LifecycleOutcome> {
  if (record.state !== 'provisioning') return { kind: 'ignored', reason: `stopped while ${record.state}` };
  const tags = await instanceTags(deps.ec2, record.instanceId);
  const runnerVersion = tags.get(TAG.runnerVersion);
  const healthy =
    tags.get(TAG.bootstrap) === BOOTSTRAP_OK &&
    (runnerVersion === undefined || compareVersions(runnerVersion, deps.config.minRunnerVersion) >= 0);
  if (!healthy) {
    deps.telemetry.log.warn('instance stopped without a successful bootstrap; terminating it', {
      instanceId: record.instanceId,
      bootstrap: tags.get(TAG.bootstrap) ?? null,
      runnerVersion: runnerVersion ?? null,
    });
    const next = await deps.store.updateInstance(record, { state: 'terminating' });
    if (next !== undefined) await terminateInstances(deps.ec2, [record.instanceId]);
    return { kind: 'terminating', instanceId: record.instanceId };
  }
  const next = await deps.store.updateInstance(record, { state: 'warm', runnerVersion });
  return next === undefined
    ? { kind: 'ignored', reason: 'record changed' }
    : { kind: 'warm', instanceId: record.instanceId };
}

/**
 * Gone: close the record, drop an unread JIT parameter, and if it died on the way to a job
 * that is still queued, send that job round again now rather than at the next reconcile.
 */
async function onTerminated(deps: Deps, record: InstanceRecord): Promise<LifecycleOutcome> {
  const wasOnTheWay = record.state === 'claimed' ? record.claimedForJobId : undefined;
  const next = await updateInstanceRecord(deps, record.instanceId, (current) =>
    current.state === 'terminated' ? undefined : { state: 'terminated' },
  );
  await deleteJitConfig(deps.ssm, deps.config.stackId, record.instanceId);
  if (wasOnTheWay !== undefined) {
    const job = await deps.store.getJob(wasOnTheWay);
    if (job?.status === 'queued' && job.instanceId === record.instanceId) await redriveJob(deps, job);
  }
  return next === undefined
    ? { kind: 'ignored', reason: 'already terminated' }
    : { kind: 'terminated', instanceId: record.instanceId };
}
