/**
 * Every minute: make the records, EC2 and GitHub agree again. Each step runs on its own so one
 * failing (GitHub down) does not stop the others (the pool still gets topped up). This is the
 * backstop that keeps jobs from staying queued forever and instances from being orphaned.
 */
import { launchInstance, listOwnedInstances, terminateInstances } from '../aws/ec2';
import { errorName } from '../errors';
import type { QueuedJob } from '../github/client';
import { LIVE_STATES, type InstanceRecord, type InstanceState, type JobRecord } from '../state/records';
import { METRIC } from '../telemetry';
import { compareVersions } from '../versions';
import type { Deps } from './deps';
import { instanceIdFromRunnerName, poolServes, splitRepo } from './job-event';
import { redriveJob, type RedriveSource } from './redrive';
import { runnerTarget } from './runner';

const MINUTE_MS = 60_000;
/** A pool instance's first boot (bootstrap + self-check) takes ~75 s; 30 min means it hung. */
export const PROVISIONING_TIMEOUT_MS = 30 * MINUTE_MS;
/** An instance must be this old before the orphan sweep may touch it (launch → record write). */
export const ORPHAN_GRACE_MS = 10 * MINUTE_MS;
/** A `terminating` instance still listed by EC2 after this long gets TerminateInstances again. */
export const TERMINATING_RETRY_MS = 10 * MINUTE_MS;
/** A busy runner GitHub no longer lists after this long is gone (ephemeral runners deregister). */
export const UNKNOWN_TO_GITHUB_MS = 10 * MINUTE_MS;
/** Jobs younger than this are left to the webhook path (a delivery may be in flight). */
export const REDRIVE_GRACE_MS = 2 * MINUTE_MS;
/** Repositories with a job record changed within this window are polled for queued jobs. */
export const RECENT_REPO_WINDOW_MS = 24 * 60 * MINUTE_MS;
/** Bounds on one run, so a big backlog is worked off over several minutes within rate limits. */
export const MAX_POOL_LAUNCHES_PER_RUN = 10;
export const MAX_REPOS_POLLED_PER_RUN = 10;
/** Stop polling GitHub when fewer calls than this remain in the hour (scale-up needs them more). */
export const MIN_RATE_LIMIT_REMAINING = 500;

export type TerminationReason =
  | 'idle-expired'
  | 'claim-timeout'
  | 'bootstrap-timeout'
  | 'warm-too-old'
  | 'runner-outdated'
  | 'max-lifetime'
  | 'unknown-to-github';

export interface ReconcileReport {
  terminated: { instanceId: string; reason: TerminationReason | 'orphan' | 'stuck-terminating' }[];
  markedGone: string[];
  launched: string[];
  poolLevel: number;
  runnersDeleted: string[];
  redriven: number[];
  errors: string[];
}

type Snapshot = Map<InstanceState, InstanceRecord[]>;

/** Which live instances must go, and why. Pure: the rules in one place, tested directly. */
export function planTerminations(
  snapshot: Snapshot,
  config: Deps['config'],
  now: number,
): { record: InstanceRecord; reason: TerminationReason }[] {
  const plan: { record: InstanceRecord; reason: TerminationReason }[] = [];
  const { timing } = config;
  for (const record of snapshot.get('idle') ?? [])
    if (record.stateSince <= now - timing.reuseWindowMs) plan.push({ record, reason: 'idle-expired' });
  for (const record of snapshot.get('claimed') ?? [])
    if (record.stateSince <= now - timing.claimTimeoutMs) plan.push({ record, reason: 'claim-timeout' });
  for (const record of snapshot.get('provisioning') ?? [])
    if (record.stateSince <= now - PROVISIONING_TIMEOUT_MS)
      plan.push({ record, reason: 'bootstrap-timeout' });
  for (const record of snapshot.get('warm') ?? []) {
    if (record.launchedAt <= now - timing.maxWarmAgeMs) plan.push({ record, reason: 'warm-too-old' });
    else if (
      record.runnerVersion !== undefined &&
      compareVersions(record.runnerVersion, config.minRunnerVersion) < 0
    )
      plan.push({ record, reason: 'runner-outdated' });
  }
  const planned = new Set(plan.map((p) => p.record.instanceId));
  for (const state of ['claimed', 'busy', 'idle'] as const)
    for (const record of snapshot.get(state) ?? [])
      if (
        !planned.has(record.instanceId) &&
        (record.inServiceSince ?? record.launchedAt) <= now - timing.maxLifetimeMs
      )
        plan.push({ record, reason: 'max-lifetime' });
  return plan;
}

export async function reconcile(deps: Deps): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    terminated: [],
    markedGone: [],
    launched: [],
    poolLevel: 0,
    runnersDeleted: [],
    redriven: [],
    errors: [],
  };
  const step = async (name: string, run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (error: unknown) {
      deps.telemetry.count(METRIC.failures);
      report.errors.push(`${name}: ${errorName(error)}: ${error instanceof Error ? error.message : ''}`);
      deps.telemetry.log.error('reconcile step failed', { step: name, error: errorName(error) });
    }
  };

  // Re-read between steps: each step's conditional writes bump the versions the next one needs.
  let snapshot = await loadSnapshot(deps);
  await step('expire', () => expire(deps, snapshot, report));
  snapshot = await loadSnapshot(deps);
  await step('orphans', () => sweepOrphans(deps, snapshot, report));
  snapshot = await loadSnapshot(deps);
  await step('pool', () => topUpPool(deps, snapshot, report));
  await step('runners', () => tidyRunnerRegistrations(deps, snapshot, report));
  await step('redrive', () => redriveQueuedJobs(deps, snapshot, report));

  deps.telemetry.gauge(METRIC.poolLevel, report.poolLevel);
  deps.telemetry.log.info('reconcile done', { ...report });
  return report;
}

async function loadSnapshot(deps: Deps): Promise<Snapshot> {
  const states: InstanceState[] = [...LIVE_STATES, 'terminating'];
  const lists = await Promise.all(
    states.map((state) => deps.store.instancesIn(deps.config.pool.name, state)),
  );
  return new Map(states.map((state, index) => [state, lists[index] ?? []]));
}

/** Moves each record to `terminating` (conditional: a record that just changed is left alone) and terminates. */
async function terminate(
  deps: Deps,
  items: { record: InstanceRecord; reason: TerminationReason }[],
  report: ReconcileReport,
): Promise<void> {
  const won: string[] = [];
  for (const { record, reason } of items) {
    const next = await deps.store.updateInstance(record, { state: 'terminating' });
    if (next === undefined) continue;
    won.push(record.instanceId);
    report.terminated.push({ instanceId: record.instanceId, reason });
  }
  await terminateInstances(deps.ec2, won);
  deps.telemetry.count(METRIC.instancesTerminated, won.length);
}

async function expire(deps: Deps, snapshot: Snapshot, report: ReconcileReport): Promise<void> {
  await terminate(deps, planTerminations(snapshot, deps.config, deps.now()), report);
}

/**
 * EC2 and the records must list the same instances: one tagged for this stack with no live
 * record (a crash between RunInstances and the record write) is terminated, and a live record
 * whose instance EC2 no longer lists (a lost `terminated` event) is closed.
 */
async function sweepOrphans(deps: Deps, snapshot: Snapshot, report: ReconcileReport): Promise<void> {
  const now = deps.now();
  const owned = await listOwnedInstances(deps.ec2, deps.config.stackId);
  const ownedIds = new Set(owned.map((o) => o.instanceId));
  const live = new Map<string, InstanceRecord>();
  for (const state of LIVE_STATES) for (const r of snapshot.get(state) ?? []) live.set(r.instanceId, r);
  const terminating = new Map((snapshot.get('terminating') ?? []).map((r) => [r.instanceId, r]));

  const orphans: string[] = [];
  for (const instance of owned) {
    if (live.has(instance.instanceId) || instance.launchedAt > now - ORPHAN_GRACE_MS) continue;
    const stuck = terminating.get(instance.instanceId);
    if (stuck !== undefined) {
      if (stuck.stateSince <= now - TERMINATING_RETRY_MS) {
        orphans.push(instance.instanceId);
        report.terminated.push({ instanceId: instance.instanceId, reason: 'stuck-terminating' });
      }
      continue;
    }
    // The index may lag: read the record itself before terminating anything.
    const record = await deps.store.getInstance(instance.instanceId);
    if (record !== undefined && LIVE_STATES.includes(record.state)) continue;
    orphans.push(instance.instanceId);
    report.terminated.push({ instanceId: instance.instanceId, reason: 'orphan' });
  }
  await terminateInstances(deps.ec2, orphans);
  deps.telemetry.count(METRIC.orphansTerminated, orphans.length);

  for (const record of [...live.values(), ...terminating.values()]) {
    if (ownedIds.has(record.instanceId) || record.launchedAt > now - ORPHAN_GRACE_MS) continue;
    const next = await deps.store.updateInstance(record, { state: 'terminated' });
    if (next !== undefined) report.markedGone.push(record.instanceId);
  }
}

/** Keeps warm + provisioning at the fleet size, through the same launch code as the cold path. */
async function topUpPool(deps: Deps, snapshot: Snapshot, report: ReconcileReport): Promise<void> {
  const level = (snapshot.get('warm')?.length ?? 0) + (snapshot.get('provisioning')?.length ?? 0);
  const deficit = Math.min(Math.max(0, deps.config.pool.fleetSize - level), MAX_POOL_LAUNCHES_PER_RUN);
  report.poolLevel = level;
  const minute = Math.floor(deps.now() / MINUTE_MS);
  const results = await Promise.allSettled(
    Array.from({ length: deficit }, async (_, index) => {
      // A retried reconcile in the same minute gets the same instances back, not more.
      const launched = await launchInstance(deps.ec2, deps.config, {
        kind: 'pool',
        clientToken: `harrier-pool-${minute}-${index}`,
      });
      await deps.store.createInstance({
        instanceId: launched.instanceId,
        pool: deps.config.pool.name,
        launch: 'pool',
        state: 'provisioning',
        subnetId: launched.subnetId,
      });
      return launched.instanceId;
    }),
  );
  for (const result of results) {
    if (result.status === 'fulfilled') report.launched.push(result.value);
    else report.errors.push(`pool launch: ${errorName(result.reason)}`);
  }
  report.poolLevel = level + report.launched.length;
  deps.telemetry.count(METRIC.poolLaunches, report.launched.length);
}

/**
 * Deletes offline registrations of Harrier runners whose instance is gone, and terminates busy
 * instances GitHub no longer lists (org scope only: reused runners register per repository).
 */
async function tidyRunnerRegistrations(
  deps: Deps,
  snapshot: Snapshot,
  report: ReconcileReport,
): Promise<void> {
  if (deps.config.github.scope !== 'org') return;
  const target = runnerTarget(deps, '', false);
  const runners = await deps.github.listRunners(target);
  const names = new Set(runners.map((r) => r.name));
  for (const runner of runners) {
    const instanceId = instanceIdFromRunnerName(runner.name);
    if (instanceId === undefined || runner.status !== 'offline' || runner.busy) continue;
    const record = await deps.store.getInstance(instanceId);
    if (record !== undefined && LIVE_STATES.includes(record.state)) continue;
    await deps.github.deleteRunner(target, runner.id);
    report.runnersDeleted.push(runner.name);
  }
  deps.telemetry.count(METRIC.runnersDeleted, report.runnersDeleted.length);

  const now = deps.now();
  const unknown = (snapshot.get('busy') ?? []).filter(
    (r) => r.reuse !== true && !names.has(r.instanceId) && r.stateSince <= now - UNKNOWN_TO_GITHUB_MS,
  );
  await terminate(
    deps,
    unknown.map((record) => ({ record, reason: 'unknown-to-github' as const })),
    report,
  );
}

/**
 * Jobs GitHub still shows queued with no runner on the way get sent round again. Counting, not
 * assuming: a runner still `claimed` for a queued job covers it; one claimed for a job that is no
 * longer queued (another runner took it, or it was cancelled) is spare and covers one more job —
 * any polled repository's at org scope, only its own repository's when it registered there.
 */
async function redriveQueuedJobs(deps: Deps, snapshot: Snapshot, report: ReconcileReport): Promise<void> {
  const now = deps.now();
  const since = now - RECENT_REPO_WINDOW_MS;
  const recent = (
    await Promise.all(
      (['queued', 'in_progress', 'completed'] as const).map((status) =>
        deps.store.jobsIn(status, { changedAfter: since }),
      ),
    )
  ).flat();
  const records = new Map<number, JobRecord>(recent.map((j) => [j.jobId, j]));
  // Most recently active repositories first.
  const repos = [...new Set(recent.sort((a, b) => b.stateSince - a.stateSince).map((j) => j.repo))].slice(
    0,
    MAX_REPOS_POLLED_PER_RUN,
  );

  const queued: (QueuedJob & { repo: string })[] = [];
  const polled = new Set<string>();
  for (const repo of repos) {
    const remaining = deps.github.rateLimitRemaining;
    if (remaining !== undefined && remaining < MIN_RATE_LIMIT_REMAINING) {
      deps.telemetry.log.warn('rate limit low; re-drive paused', { remaining });
      break;
    }
    const { owner, name } = splitRepo(repo);
    for (const job of await deps.github.listQueuedJobs(owner, name))
      if (
        poolServes(deps.config.pool.labels, job.labels) &&
        Date.parse(job.createdAt) <= now - REDRIVE_GRACE_MS
      )
        queued.push({ ...job, repo });
    polled.add(repo);
  }

  const claimed = (snapshot.get('claimed') ?? []).filter((i) => i.repo !== undefined && polled.has(i.repo));
  const queuedIds = new Set(queued.map((job) => job.id));
  const coveredIds = new Set(claimed.map((instance) => instance.claimedForJobId));
  const uncovered = queued.filter((job) => !coveredIds.has(job.id));
  const orgWide = (instance: InstanceRecord) => deps.config.github.scope === 'org' && instance.reuse !== true;
  // Repository-bound spares first, so org-wide ones are left for what only they can serve.
  const spares = claimed
    .filter((instance) => !queuedIds.has(instance.claimedForJobId ?? -1))
    .sort((a, b) => Number(orgWide(a)) - Number(orgWide(b)));
  for (const spare of spares) {
    const index = uncovered.findIndex((job) => orgWide(spare) || job.repo === spare.repo);
    if (index >= 0) uncovered.splice(index, 1);
  }
  for (const job of uncovered) {
    await redriveJob(deps, redriveSource(job, job.repo, records.get(job.id)));
    report.redriven.push(job.id);
  }
}

function redriveSource(job: QueuedJob, repo: string, record: JobRecord | undefined): RedriveSource {
  return (
    record ?? {
      jobId: job.id,
      runId: job.runId,
      repo,
      workflowName: job.workflowName,
      jobName: job.name,
      // The queued job list does not name the actor; reuse matching needs it, first runs do not.
      sender: '',
      labels: job.labels,
      queuedAt: Date.parse(job.createdAt),
    }
  );
}
