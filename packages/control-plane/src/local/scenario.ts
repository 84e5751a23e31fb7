/**
 * The scripted day of `pnpm local`: deploy-time pool fill, a burst bigger than the pool (cold
 * launches), completions, a reuse within the window, a lost `completed` webhook cleaned up by the
 * backstop, a forged webhook refused. Every step waits for what the real system would show, so a
 * broken handler makes the run fail with the step that did not happen.
 */
import { LAUNCH_KIND, TAG } from '../constants';
import type { InstanceState } from '../state/records';
import type { SimJob } from '../standins/github-payloads';
import { GITHUB_HOOK_SOURCE_IP } from '../standins/github';
import type { LocalStack } from './stack';
import type { Timeline } from './report';

/** A step did not happen within its (simulated) bound. */
export class ScenarioStepError extends Error {
  constructor(
    readonly step: string,
    readonly waitedMs: number,
  ) {
    super(`scripted day: "${step}" did not happen within ${Math.round(waitedMs / 1000)} simulated seconds`);
    this.name = 'ScenarioStepError';
  }
}

export type JobPath = 'warm' | 'cold' | 'reuse' | 'none';

export interface JobResult {
  jobId: number;
  label: string;
  repo: string;
  status: string;
  conclusion: string | null;
  runner: string | null;
  path: JobPath;
  /** Simulated ms from `queued` to a runner taking the job. */
  waitMs: number | null;
}

export interface ScenarioResult {
  jobs: JobResult[];
  /** [simulated ms since start, warm + provisioning] samples. */
  poolLevel: [number, number][];
  forged: { status: number; queuedAfter: boolean };
  unsigned: { status: number };
  lostCompleted: { jobId: number; instanceId: string; cleanedBy: string } | undefined;
  reuse: { firstInstance: string; secondInstance: string | null } | undefined;
  leftover: { instances: number; runners: number; parameters: number };
}

const POLL_WALL_MS = 40;
/** How long (simulated) terminations already under way may take before a machine counts as left over. */
const TERMINATION_SETTLE_SIM_MS = 60_000;

export class ScriptedDay {
  private readonly jobs: { job: SimJob; label: string }[] = [];
  /** Instances in the order they took jobs, to tell a reuse from a first job. */
  private readonly jobsByInstance = new Map<string, number[]>();
  private readonly droppedCompleted = new Set<number>();
  readonly poolLevel: [number, number][] = [];

  constructor(
    private readonly stack: LocalStack,
    private readonly timeline: Timeline,
  ) {}

  /** Passed to the stack as its delivery filter: loses the `completed` of chosen jobs. */
  deliveryFilter = (delivery: { action: string; jobId: number }): 'deliver' | 'drop' => {
    if (delivery.action === 'completed' && this.droppedCompleted.has(delivery.jobId)) {
      this.timeline.add(
        'github',
        `job ${delivery.jobId} completed — webhook delivery LOST (never reaches Harrier)`,
      );
      return 'drop';
    }
    return 'deliver';
  };

  /** Records which instance took which job (from the GitHub side, the truth). */
  noteJobStarted(jobId: number, runnerName: string | null): void {
    if (!runnerName) return;
    const list = this.jobsByInstance.get(runnerName) ?? [];
    if (!list.includes(jobId)) list.push(jobId);
    this.jobsByInstance.set(runnerName, list);
  }

  async run(): Promise<ScenarioResult> {
    const { stack, timeline } = this;
    const fleetSize = Number(stack.env.FLEET_SIZE);
    const sampler = setInterval(() => void this.samplePool(), 250);
    try {
      // 1. Deploy: the first reconcile fills the pool; each instance bootstraps and stops itself.
      timeline.add(
        'deploy',
        `stack deployed: fleetSize=${fleetSize}, reuse window ${stack.env.REUSE_WINDOW_MINUTES} min`,
      );
      await stack.fleet.reconcileNow();
      await this.until(
        'pool filled (warm instances)',
        5 * 60_000,
        async () => (await this.count('warm')) >= fleetSize,
      );
      timeline.add('pool', `${fleetSize} instances warm (stopped, bootstrapped)`);

      // 2. A burst bigger than the pool: warm starts for the first, cold launches for the rest.
      const burst = [
        { repo: 'web', jobName: 'build' },
        { repo: 'web', jobName: 'lint' },
        { repo: 'api', jobName: 'test (1)' },
        { repo: 'api', jobName: 'test (2)' },
        { repo: 'docs', jobName: 'site' },
      ];
      timeline.add('burst', `${burst.length} jobs queued at once (pool holds ${fleetSize})`);
      const burstJobs = burst.map((b, i) => this.queue(b.repo, b.jobName, 'CI', (2 + i * 0.5) * 60_000));
      await this.until('burst jobs all running', 6 * 60_000, () =>
        burstJobs.every((j) => this.status(j) !== 'queued'),
      );

      // 3. Reuse: the same repo + workflow + job + actor, queued while its machine waits in its window.
      const first = burstJobs[0]!;
      await this.until('first burst job completed', 10 * 60_000, () => this.status(first) === 'completed');
      const firstInstance = this.runnerOf(first)!;
      await this.until(
        `${firstInstance} idle in its reuse window`,
        2 * 60_000,
        async () => (await this.instanceState(firstInstance)) === 'idle',
      );
      timeline.add('reuse', `same job again (acme/web CI build by octocat) while ${firstInstance} is idle`);
      const again = this.queue('web', 'build', 'CI', 60_000);
      await this.until('burst jobs all completed', 10 * 60_000, () =>
        burstJobs.every((j) => this.status(j) === 'completed'),
      );
      await this.until('reused job completed', 6 * 60_000, () => this.status(again) === 'completed');
      const secondInstance = this.runnerOf(again);
      timeline.add(
        'reuse',
        secondInstance === firstInstance
          ? `served by the same machine ${firstInstance} (no boot)`
          : `served by ${secondInstance ?? 'nobody'}`,
      );

      // 4. A lost `completed`: the agent powers off after its window, which terminates the machine.
      const lost = this.queue('api', 'deploy-preview', 'Preview', 60_000, true);
      await this.until(
        'job with the lost completed finished on GitHub',
        6 * 60_000,
        () => this.status(lost) === 'completed',
      );
      const lostInstance = this.runnerOf(lost)!;
      const windowMs = Number(stack.env.REUSE_WINDOW_MINUTES) * 60_000;
      await this.until(
        `${lostInstance} terminated by the backstop`,
        windowMs + 5 * 60_000,
        async () => (await this.instanceState(lostInstance)) === 'terminated',
      );
      timeline.add(
        'backstop',
        `${lostInstance} shut itself down after its window; record closed without the webhook`,
      );

      // 5. A forged webhook (wrong secret) and an unsigned one: 401, nothing queued.
      const forgedBody = JSON.stringify({
        action: 'queued',
        workflow_job: { id: 1, labels: ['self-hosted'] },
      });
      const jobsBefore = stack.github.listJobs().length;
      const forged = await stack.fleet.postWebhook(
        {
          'content-type': 'application/json',
          'x-github-event': 'workflow_job',
          'x-github-delivery': '00000000-0000-4000-8000-00000000f04d',
          'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
        },
        forgedBody,
        GITHUB_HOOK_SOURCE_IP,
      );
      timeline.add('forged', `webhook signed with the wrong secret → ${forged.status}`);
      const unsigned = await stack.fleet.postWebhook(
        { 'content-type': 'application/json', 'x-github-event': 'workflow_job', 'x-github-delivery': 'x' },
        forgedBody,
        GITHUB_HOOK_SOURCE_IP,
      );
      timeline.add('forged', `unsigned webhook → ${unsigned.status}`);
      await stack.fleet.idle();
      const queuedAfter =
        (await stack.store.jobsIn('queued')).length > 0 || stack.github.listJobs().length !== jobsBefore;

      // 6. Drain: idle machines time out, the pool stays full.
      await this.until(
        'idle machines drained',
        windowMs + 5 * 60_000,
        async () => (await this.count('idle')) === 0 && (await this.count('busy')) === 0,
      );
      await this.until('pool back to full', 5 * 60_000, async () => (await this.count('warm')) >= fleetSize);
      timeline.add('drained', `no busy or idle machines; ${fleetSize} warm`);
      await this.samplePool();

      // Left over = an instance still up that is not part of the pool (warm, or provisioning to refill
      // it). A machine whose idle window just ended may still be shutting down: give terminations
      // in flight their time (EC2 takes seconds), then count what is really left.
      const leftoverNow = async (): Promise<number> => {
        const records = await Promise.all(
          stack.aws
            .listInstances()
            .filter((i) => i.state !== 'terminated')
            .map(async (i) => (await stack.store.getInstance(i.instanceId))?.state),
        );
        return records.filter((state) => state !== 'warm' && state !== 'provisioning').length;
      };
      await this.until(
        'terminations settled',
        TERMINATION_SETTLE_SIM_MS,
        async () => (await leftoverNow()) === 0,
      ).catch((error: unknown) => {
        if (!(error instanceof ScenarioStepError)) throw error;
      });
      const leftover = await leftoverNow();
      return {
        jobs: this.jobs.map(({ job, label }) => this.result(job, label)),
        poolLevel: this.poolLevel,
        forged: { status: forged.status, queuedAfter },
        unsigned: { status: unsigned.status },
        lostCompleted: {
          jobId: lost.id,
          instanceId: lostInstance,
          cleanedBy: 'agent shutdown → EC2 terminated event → lifecycle',
        },
        reuse: { firstInstance, secondInstance: secondInstance ?? null },
        leftover: {
          instances: leftover,
          runners: stack.github.listRunners().length,
          parameters: stack.aws.parameterNames().length,
        },
      };
    } finally {
      clearInterval(sampler);
    }
  }

  private queue(
    repo: string,
    jobName: string,
    workflowName: string,
    durationMs: number,
    loseCompleted = false,
  ): SimJob {
    const job = this.stack.github.queueJob({
      repo,
      jobName,
      workflowName,
      labels: ['self-hosted', 'linux'],
      durationMs,
    });
    if (loseCompleted) this.droppedCompleted.add(job.id);
    const label = `acme/${repo} ${workflowName} / ${jobName}`;
    this.jobs.push({ job, label });
    this.timeline.add(
      'github',
      `job ${job.id} queued (${label})${loseCompleted ? ' — its completed webhook will be lost' : ''}`,
    );
    return job;
  }

  private status(job: SimJob): string {
    return this.stack.github.job(job.id)?.status ?? 'unknown';
  }

  private runnerOf(job: SimJob): string | undefined {
    return this.stack.github.job(job.id)?.runnerName ?? undefined;
  }

  private async count(state: InstanceState): Promise<number> {
    return (await this.stack.store.instancesIn('default', state)).length;
  }

  private async instanceState(instanceId: string): Promise<InstanceState | undefined> {
    return (await this.stack.store.getInstance(instanceId))?.state;
  }

  private async samplePool(): Promise<void> {
    const level = (await this.count('warm')) + (await this.count('provisioning'));
    const last = this.poolLevel[this.poolLevel.length - 1];
    if (last?.[1] !== level) this.poolLevel.push([this.timeline.elapsed(), level]);
  }

  private result(job: SimJob, label: string): JobResult {
    const now = this.stack.github.job(job.id) ?? job;
    const instance = now.runnerName ? this.stack.aws.instance(now.runnerName) : undefined;
    const order = now.runnerName ? (this.jobsByInstance.get(now.runnerName) ?? []) : [];
    let path: JobPath = 'none';
    if (instance) {
      if (order.indexOf(job.id) > 0) path = 'reuse';
      else path = instance.tags[TAG.launch] === LAUNCH_KIND.cold ? 'cold' : 'warm';
    }
    return {
      jobId: job.id,
      label,
      repo: job.repo.fullName,
      status: now.status,
      conclusion: now.conclusion,
      runner: now.runnerName,
      path,
      waitMs: now.startedAt === undefined ? null : now.startedAt - now.createdAt,
    };
  }

  private async until(
    step: string,
    maxSimMs: number,
    predicate: () => boolean | Promise<boolean>,
  ): Promise<void> {
    const started = this.stack.clock.now();
    for (;;) {
      if (await predicate()) return;
      if (this.stack.clock.now() - started > maxSimMs) throw new ScenarioStepError(step, maxSimMs);
      await new Promise((resolve) => setTimeout(resolve, POLL_WALL_MS));
    }
  }
}
