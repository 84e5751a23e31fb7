/**
 * The fleet simulator: Harrier's real domain code (the functions the four handlers call, and the
 * real on-instance agent) against DynamoDB on dynalite, the EC2/SSM stand-in and the GitHub
 * stand-in, all on one virtual clock and one seed. It injects webhook faults (duplicate,
 * reordered, lost `queued`, lost `completed`), capacity errors, throttling and Lambda crashes
 * between steps, and checks the invariants: every job gets a runner, no instance is handed to
 * two jobs, nothing is left behind.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { documentClient } from '../aws/clients';
import { parseConfig } from '../config';
import { TAG } from '../constants';
import type { Deps } from '../domain/deps';
import { processJobMessages } from '../domain/dispatch';
import { onInstanceStateChange } from '../domain/lifecycle';
import { reconcile } from '../domain/reconcile';
import { GitHubClient } from '../github/client';
import { attachAgents } from '../local/agent-host';
import { percentile } from '../local/report';
import { StateStore } from '../state/store';
import { tableDefinition } from '../state/records';
import { AwsStandIn } from '../standins/aws';
import { VirtualClock, settle } from '../standins/clock';
import type { Emulators } from '../standins/emulators';
import { GITHUB_HOOK_SOURCE_IP, GitHubStandIn, type WebhookDelivery } from '../standins/github';
import { seededRandom, type Random } from '../standins/random';
import { METRIC, recordingTelemetry, type MetricName } from '../telemetry';
import { handleWebhook } from '../webhook/handle';
import { VirtualFifoQueue } from './fifo-queue';
import { arrivals, type ArrivalPattern } from './workload';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** EventBridge's schedule for reconcile. */
const RECONCILE_EVERY_MS = MINUTE_MS;
/** EventBridge retries a failed Lambda target; we model a retry a minute later, 3 times. */
const EVENTBRIDGE_RETRIES = 3;
const LAUNCH_TEMPLATE = 'lt-0harriersim';

export interface FaultRates {
  /** A delivery arrives twice. */
  duplicate: number;
  /** A delivery is delayed 10–120 s, so later events of the job can overtake it. */
  reordered: number;
  lostQueued: number;
  lostCompleted: number;
  /** RunInstances/StartInstances fail with InsufficientInstanceCapacity. */
  capacity: number;
  /** Any EC2/SSM call fails with RequestLimitExceeded/ThrottlingException. */
  throttle: number;
  /** A queue-consumer invocation dies at StartInstances (after claiming) or right after RunInstances. */
  crash: number;
}

export const NO_FAULTS: FaultRates = {
  duplicate: 0,
  reordered: 0,
  lostQueued: 0,
  lostCompleted: 0,
  capacity: 0,
  throttle: 0,
  crash: 0,
};

/** The target: 5% duplicate and reordered, 2% lost queued/completed, 5% capacity, throttling on. */
export const TARGET_FAULTS: FaultRates = {
  duplicate: 0.05,
  reordered: 0.05,
  lostQueued: 0.02,
  lostCompleted: 0.02,
  capacity: 0.05,
  throttle: 0.02,
  crash: 0.01,
};

export interface SimulationOptions {
  /** The DynamoDB emulator (a fresh table per run). */
  emulators: Pick<Emulators, 'dynamo'>;
  jobs: number;
  /** @default 1 */
  seed?: number;
  arrival: ArrivalPattern;
  poolSize: number;
  /** @default 0 */
  reuseWindowMinutes?: number;
  faults?: Partial<FaultRates>;
  /** Job run time range, minutes. @default [2, 10] */
  jobMinutes?: [number, number];
  /** On-demand price of the instance type, USD per hour. @default 0.1008 (m7i.large, us-east-1) */
  instancePricePerHour?: number;
  /** Root volume, GB, billed while the instance exists (stopped pool instances too). @default 30 */
  volumeGb?: number;
  /** gp3 price, USD per GB-month. @default 0.08 */
  volumePricePerGbMonth?: number;
  /** Simulated time kept running after the last job completes (timeouts, windows, sweeps). @default 30 min */
  drainMinutes?: number;
  /** Hard stop, simulated hours. @default 48 */
  maxHours?: number;
  progress?: (line: string) => void;
}

export interface SimulationReport {
  options: {
    jobs: number;
    seed: number;
    arrival: string;
    poolSize: number;
    reuseWindowMinutes: number;
    faults: FaultRates;
  };
  simulatedHours: number;
  wallSeconds: number;
  jobs: { total: number; served: number; failed: number; lost: number; doubleClaimed: number };
  /** `redriven` counts every re-drive; the rest were sent at once by lifecycle (a runner lost or displaced). */
  paths: { warm: number; cold: number; reused: number; redriven: number; redrivenByReconcile: number };
  waitSeconds: { p50: number; p95: number; max: number };
  /** Wait by the path Harrier took for the job (a runner is fungible: it may have served another). */
  waitByPath: Record<string, { jobs: number; p50: number; p95: number }>;
  doubleClaims: {
    instanceId: string;
    first: { jobId: number; kind: string; atSeconds: number };
    second: { jobId: number; kind: string; atSeconds: number };
  }[];
  /** Jobs whose runner died mid-job, and whether reconcile had terminated that instance (and why). */
  failedJobs: {
    jobId: number;
    runner: string | null;
    startedAtSeconds: number | null;
    terminatedByReconcile: string | null;
  }[];
  /** Instances reconcile terminated, by reason. */
  terminationReasons: Record<string, number>;
  leftAfterDrain: { instances: number; runnerRegistrations: number; jitParameters: number; warmPool: number };
  faultsInjected: Record<string, number>;
  deadLetters: number;
  awsCalls: Record<string, number>;
  awsErrors: Record<string, number>;
  githubCalls: Record<string, number>;
  githubContractViolations: string[];
  agentFailures: number;
  ec2InstanceHours: number;
  volumeGbHours: number;
  costUsd: number;
  invariantsHeld: boolean;
  breaches: string[];
}

/** A queue consumer died mid-invocation (timeout, out of memory): nothing after this point ran. */
export class SimulatedCrashError extends Error {
  constructor(readonly at: string) {
    super(`simulated Lambda crash at ${at}`);
    this.name = 'SimulatedCrashError';
  }
}

interface ClaimRecord {
  t: number;
  jobId: number;
  instanceId: string;
  kind: string;
}

let tableCounter = 0;

export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const wallStart = performance.now();
  const seed = options.seed ?? 1;
  const faults: FaultRates = { ...NO_FAULTS, ...options.faults };
  const random: Random = seededRandom(seed * 7919 + 17);
  const clock = new VirtualClock();
  const start = clock.now();
  const progress = options.progress ?? (() => undefined);
  const injected: Record<string, number> = {};
  const inject = (what: string): void => {
    injected[what] = (injected[what] ?? 0) + 1;
  };

  const aws = new AwsStandIn({
    clock,
    seed: seed + 1,
    launchTemplates: [LAUNCH_TEMPLATE],
    faults: { capacityErrorRate: faults.capacity, throttleRate: faults.throttle },
  }).install();
  const webhookSecret = `sim-webhook-secret-${seed}`;
  const token = `ghp_sim${seed}`;
  const github = new GitHubStandIn({ clock, token, webhookSecret, seed: seed + 2, runnerConnectMs: 3_000 });
  const queue = new VirtualFifoQueue({ clock });
  const sqs = queue.client();
  const agents = attachAgents({ aws, github, clock, reuseWindowMinutes: options.reuseWindowMinutes ?? 0 });

  try {
    await github.listen();
    github.warmUp();
    const tableName = `harrier-sim-${process.pid}-${++tableCounter}`;
    await options.emulators.dynamo.send(new CreateTableCommand(tableDefinition(tableName)));
    const config = parseConfig({
      HARRIER_STACK_ID: 'sim',
      TABLE_NAME: tableName,
      JOB_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/harrier-sim-jobs.fifo',
      LAUNCH_TEMPLATE_ID: LAUNCH_TEMPLATE,
      SUBNET_IDS: 'subnet-0a1,subnet-0b2',
      GITHUB_OWNER: github.org.login,
      GITHUB_CREDENTIAL_SECRET_ARN: aws.createSecret('harrier/sim/github', token),
      WEBHOOK_SECRET_ARN: aws.createSecret('harrier/sim/webhook', webhookSecret),
      GITHUB_API_URL: github.url,
      FLEET_SIZE: String(options.poolSize),
      REUSE_WINDOW_MINUTES: String(options.reuseWindowMinutes ?? 0),
      WEBHOOK_IP_ALLOWLIST: 'false',
    });

    // Scale-up outcomes, timestamped, to check that no instance is handed to two jobs.
    const claims: ClaimRecord[] = [];
    const telemetry = recordingTelemetry();
    const info = telemetry.log.info.bind(telemetry.log);
    telemetry.log.info = (message, extra) => {
      const outcome = extra?.outcome as { kind?: string; instanceId?: string } | undefined;
      if (message === 'job event handled' && extra?.action === 'queued' && outcome?.instanceId) {
        claims.push({
          t: clock.now(),
          jobId: Number(extra.jobId),
          instanceId: outcome.instanceId,
          kind: outcome.kind ?? '',
        });
      }
      info(message, extra);
    };

    // A crash kills the invocation: the call that crashes and every later one fail.
    let invocationCrashed: string | undefined;
    let inConsumer = false;
    const crashing = <T extends { send: (command: never) => Promise<unknown> }>(client: T): T =>
      new Proxy(client, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
          return async (command: { constructor: { name: string } }) => {
            const name = command.constructor.name;
            if (invocationCrashed) throw new SimulatedCrashError(invocationCrashed);
            const crashHere =
              inConsumer &&
              (name === 'StartInstancesCommand' || name === 'RunInstancesCommand') &&
              random.chance(faults.crash);
            if (crashHere && name === 'StartInstancesCommand') {
              invocationCrashed = `before ${name}`;
              inject('lambda crash before StartInstances');
              throw new SimulatedCrashError(invocationCrashed);
            }
            const result = await target.send(command as never);
            if (crashHere) {
              // RunInstances succeeded but the record write never happens: an orphan instance.
              invocationCrashed = `after ${name}`;
              inject('lambda crash after RunInstances');
              throw new SimulatedCrashError(invocationCrashed);
            }
            return result;
          };
        },
      });

    const region = { region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } };
    let generation = 0;
    const deps: Deps = {
      config,
      store: new StateStore(documentClient(options.emulators.dynamo), tableName, () => clock.now()),
      ec2: crashing(new EC2Client(region)),
      ssm: crashing(new SSMClient(region)),
      sqs: sqs.client,
      github: new GitHubClient(github.url, () => Promise.resolve(token)),
      telemetry,
      now: () => clock.now(),
      newGeneration: () => `gen-${seed}-${++generation}`,
    };

    // ---- the AWS glue, on the virtual clock ----------------------------------------------------
    const work: (() => Promise<void>)[] = [];
    const later = (ms: number, task: () => Promise<void>): void => {
      clock.setTimer(ms, () => work.push(task));
    };

    const deliver =
      (delivery: WebhookDelivery): (() => Promise<void>) =>
      async () => {
        const response = await handleWebhook(
          { config, sqs: sqs.client, secret: () => Promise.resolve(webhookSecret), telemetry },
          {
            headers: delivery.headers,
            body: delivery.body,
            isBase64Encoded: false,
            sourceIp: GITHUB_HOOK_SOURCE_IP,
          },
        );
        if (response.statusCode >= 300) inject(`webhook answered ${response.statusCode}`);
      };
    github.onDelivery((delivery) => {
      if (delivery.action === 'queued' && random.chance(faults.lostQueued)) return inject('lost queued');
      if (delivery.action === 'completed' && random.chance(faults.lostCompleted))
        return inject('lost completed');
      let delay = 200;
      if (random.chance(faults.reordered)) {
        inject('reordered');
        delay = random.int(10_000, 120_000);
      }
      later(delay, deliver(delivery));
      if (random.chance(faults.duplicate)) {
        inject('duplicate');
        later(delay + random.int(1_000, 60_000), deliver(delivery));
      }
    });

    const lifecycle = (instanceId: string, state: string, attempt: number) => async (): Promise<void> => {
      try {
        await onInstanceStateChange(deps, { instanceId, state });
      } catch {
        if (attempt < EVENTBRIDGE_RETRIES) later(MINUTE_MS, lifecycle(instanceId, state, attempt + 1));
        else inject('lifecycle event dropped after retries');
      }
    };
    // Billing: an instance is charged while pending/running/stopping/shutting-down; its volume until terminated.
    const runningSince = new Map<string, number>();
    const existsSince = new Map<string, number>();
    let instanceMs = 0;
    let volumeMs = 0;
    aws.onStateChange((event) => {
      const id = event.detail['instance-id'];
      const state = event.detail.state;
      const now = clock.now();
      if (!existsSince.has(id)) existsSince.set(id, now);
      if (state === 'pending' && !runningSince.has(id)) runningSince.set(id, now);
      if ((state === 'stopped' || state === 'terminated') && runningSince.has(id)) {
        instanceMs += now - runningSince.get(id)!;
        runningSince.delete(id);
      }
      if (state === 'terminated') {
        volumeMs += now - existsSince.get(id)!;
        existsSince.delete(id);
      }
      work.push(lifecycle(id, state, 1));
    });

    // Why reconcile terminated what it terminated, to explain any job that lost its runner.
    const terminatedBy = new Map<string, string>();
    let redrivenByReconcile = 0;
    const runReconcile = async (): Promise<void> => {
      try {
        const report = await reconcile(deps);
        for (const t of report.terminated) terminatedBy.set(t.instanceId, t.reason);
        redrivenByReconcile += report.redriven.length;
      } catch {
        inject('reconcile failed');
      }
    };
    const reconcileTick = (): void => {
      clock.setTimer(RECONCILE_EVERY_MS, () => {
        work.push(runReconcile);
        reconcileTick();
      });
    };

    const consume = async (): Promise<void> => {
      const batch = queue.receive(10);
      const groups = new Map<string, typeof batch>();
      for (const message of batch)
        groups.set(message.groupId, [...(groups.get(message.groupId) ?? []), message]);
      for (const messages of groups.values()) {
        invocationCrashed = undefined;
        inConsumer = true;
        let failed: Set<string>;
        try {
          const result = await processJobMessages(
            deps,
            messages.map((m) => ({ messageId: m.messageId, body: m.body })),
          );
          failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
        } catch {
          failed = new Set(messages.map((m) => m.messageId));
        } finally {
          inConsumer = false;
        }
        // A crashed invocation acknowledges nothing: every message comes back after the timeout.
        if (invocationCrashed) failed = new Set(messages.map((m) => m.messageId));
        invocationCrashed = undefined;
        for (const m of messages) if (!failed.has(m.messageId)) queue.delete(m.messageId);
      }
    };

    const drain = async (): Promise<void> => {
      for (;;) {
        await settle(2);
        await github.flushDeliveries();
        const task = work.shift();
        if (task) {
          await task();
          continue;
        }
        if (queue.hasVisible()) {
          await consume();
          continue;
        }
        return;
      }
    };

    // ---- the workload ----------------------------------------------------------------------------
    const [minMinutes, maxMinutes] = options.jobMinutes ?? [2, 10];
    const repos = ['web', 'api', 'docs'];
    const times = arrivals(options.arrival, options.jobs, random);
    let arrived = 0;
    times.forEach((t, i) => {
      clock.setTimer(t, () => {
        arrived += 1;
        github.queueJob({
          repo: repos[i % repos.length]!,
          workflowName: 'CI',
          jobName: `job ${i % 7}`,
          sender: ['octocat', 'hubot', 'monalisa'][i % 3],
          labels: ['self-hosted', 'linux'],
          durationMs: random.int(minMinutes * MINUTE_MS, maxMinutes * MINUTE_MS),
        });
      });
    });

    // Deploy: the first reconcile fills the pool, then every minute.
    work.push(runReconcile);
    reconcileTick();

    const drainMs = (options.drainMinutes ?? 30) * MINUTE_MS;
    const hardStop = start + (options.maxHours ?? 48) * HOUR_MS;
    let drainUntil: number | undefined;
    let nextProgress = start + HOUR_MS;
    for (;;) {
      await drain();
      const now = clock.now();
      if (now >= nextProgress) {
        const jobs = github.listJobs();
        progress(
          `  ${String(Math.round((now - start) / HOUR_MS)).padStart(3)} h  jobs ${arrived}/${options.jobs} arrived, ${jobs.filter((j) => j.status === 'completed').length} completed, ${jobs.filter((j) => j.status === 'queued').length} queued; instances ${aws.listInstances().filter((i) => i.state !== 'terminated').length}`,
        );
        nextProgress += HOUR_MS;
      }
      if (drainUntil === undefined && arrived === options.jobs) {
        const all = github.listJobs();
        if (all.length === options.jobs && all.every((j) => j.status === 'completed'))
          drainUntil = now + drainMs;
      }
      if (drainUntil !== undefined && now >= drainUntil) break;
      if (now >= hardStop) break;
      const nextTimer = clock.nextAt();
      const nextVisible = queue.nextVisibleAt();
      if (nextVisible !== undefined && (nextTimer === undefined || nextVisible < nextTimer)) {
        clock.advanceTo(nextVisible);
        continue;
      }
      if (!clock.fireNext(hardStop)) break;
    }
    const end = clock.now();
    for (const [id, since] of runningSince) {
      instanceMs += end - since;
      runningSince.delete(id);
    }
    for (const since of existsSince.values()) volumeMs += end - since;

    // ---- the report ----------------------------------------------------------------------------------
    const jobs = github.listJobs();
    const served = jobs.filter(
      (j) => j.status === 'completed' && j.runnerName !== null && j.conclusion === 'success',
    );
    const failedJobs = jobs.filter((j) => j.status === 'completed' && j.conclusion === 'failure');
    const lost = jobs.filter((j) => j.status !== 'completed' || j.runnerName === null);
    const waits = jobs
      .filter((j) => j.startedAt !== undefined)
      .map((j) => (j.startedAt! - j.createdAt) / 1000);
    const doubleClaimList = doubleClaims(claims, jobs).map((d) => ({
      instanceId: d.instanceId,
      first: { jobId: d.first.jobId, kind: d.first.kind, atSeconds: (d.first.t - start) / 1000 },
      second: { jobId: d.second.jobId, kind: d.second.kind, atSeconds: (d.second.t - start) / 1000 },
    }));
    const doubleClaimed = doubleClaimList.length;
    const failedJobDetails = failedJobs.map((j) => ({
      jobId: j.id,
      runner: j.runnerName,
      startedAtSeconds: j.startedAt === undefined ? null : (j.startedAt - start) / 1000,
      terminatedByReconcile: j.runnerName ? (terminatedBy.get(j.runnerName) ?? null) : null,
    }));
    const terminationReasons: Record<string, number> = {};
    for (const reason of terminatedBy.values())
      terminationReasons[reason] = (terminationReasons[reason] ?? 0) + 1;
    // Wait by the path Harrier took for the job (the runner that took it may have been another's).
    const pathOf = new Map(claims.map((c) => [c.jobId, c.kind]));
    const waitsBy = (kind: string): number[] =>
      jobs
        .filter((j) => j.startedAt !== undefined && pathOf.get(j.id) === kind)
        .map((j) => (j.startedAt! - j.createdAt) / 1000);
    const waitByPath = Object.fromEntries(
      ['warm', 'cold', 'reused', 'resumed'].map((kind) => {
        const list = waitsBy(kind);
        return [kind, { jobs: list.length, p50: percentile(list, 50), p95: percentile(list, 95) }];
      }),
    );
    const instances = aws.listInstances();
    const warmPool = (
      await Promise.all(
        instances
          .filter((i) => i.state === 'stopped')
          .map(async (i) =>
            (await deps.store.getInstance(i.instanceId))?.state === 'warm' && i.tags[TAG.bootstrap] === 'ok'
              ? 1
              : 0,
          ),
      )
    ).reduce<number>((a, b) => a + b, 0);
    const alive = instances.filter((i) => i.state !== 'terminated').length;
    const count = (name: MetricName): number => telemetry.counts.get(name) ?? 0;
    const price = options.instancePricePerHour ?? 0.1008;
    const volumeGb = options.volumeGb ?? 30;
    const volumeGbHours = (volumeMs / HOUR_MS) * volumeGb;
    const costUsd =
      (instanceMs / HOUR_MS) * price + volumeGbHours * ((options.volumePricePerGbMonth ?? 0.08) / 730);
    const left = {
      instances: alive - warmPool,
      runnerRegistrations: github.listRunners().length,
      jitParameters: aws.parameterNames().length,
      warmPool,
    };
    const breaches: string[] = [];
    if (served.length + failedJobs.length !== options.jobs || lost.length > 0)
      breaches.push(`${lost.length} job(s) never got a runner`);
    if (doubleClaimed > 0) breaches.push(`${doubleClaimed} instance(s) handed to two jobs`);
    if (left.instances > 0) breaches.push(`${left.instances} instance(s) left beyond the warm pool`);
    if (left.runnerRegistrations > 0)
      breaches.push(`${left.runnerRegistrations} runner registration(s) left`);
    if (left.jitParameters > 0) breaches.push(`${left.jitParameters} JIT parameter(s) left`);
    const violations = [...github.contractViolations, ...github.responseViolations];
    if (violations.length > 0) breaches.push(`${violations.length} GitHub contract violation(s)`);

    return {
      options: {
        jobs: options.jobs,
        seed,
        arrival: describeArrival(options.arrival),
        poolSize: options.poolSize,
        reuseWindowMinutes: options.reuseWindowMinutes ?? 0,
        faults,
      },
      simulatedHours: (end - start) / HOUR_MS,
      wallSeconds: (performance.now() - wallStart) / 1000,
      jobs: {
        total: jobs.length,
        served: served.length,
        failed: failedJobs.length,
        lost: lost.length,
        doubleClaimed,
      },
      paths: {
        warm: count(METRIC.warmClaims),
        cold: count(METRIC.coldLaunches),
        reused: count(METRIC.reuseClaims),
        redriven: count(METRIC.jobsRedriven),
        redrivenByReconcile,
      },
      waitSeconds: { p50: percentile(waits, 50), p95: percentile(waits, 95), max: percentile(waits, 100) },
      waitByPath,
      doubleClaims: doubleClaimList,
      failedJobs: failedJobDetails,
      terminationReasons,
      leftAfterDrain: left,
      faultsInjected: injected,
      deadLetters: queue.deadLetters.length,
      awsCalls: Object.fromEntries([...aws.calls].sort()),
      awsErrors: Object.fromEntries([...aws.errors].sort()),
      githubCalls: Object.fromEntries([...github.calls].sort()),
      githubContractViolations: violations,
      agentFailures: agents.failures.length,
      ec2InstanceHours: instanceMs / HOUR_MS,
      volumeGbHours,
      costUsd,
      invariantsHeld: breaches.length === 0,
      breaches,
    };
  } finally {
    agents.detach();
    sqs.restore();
    aws.uninstall();
    await github.close();
  }
}

/**
 * An instance claimed for job B while still claimed for job A: legitimate only when its runner
 * ran a job in between (a reuse). Runners are fungible, so "ran a job" is any job, not A.
 */
export function countDoubleClaims(
  claims: ClaimRecord[],
  jobs: { runnerName: string | null; startedAt: number | undefined }[],
): number {
  return doubleClaims(claims, jobs).length;
}

/** The double claims themselves: instance, the two jobs and when, for investigation. */
export function doubleClaims(
  claims: ClaimRecord[],
  jobs: { runnerName: string | null; startedAt: number | undefined }[],
): { instanceId: string; first: ClaimRecord; second: ClaimRecord }[] {
  const found: { instanceId: string; first: ClaimRecord; second: ClaimRecord }[] = [];
  const byInstance = new Map<string, ClaimRecord[]>();
  for (const claim of claims)
    byInstance.set(claim.instanceId, [...(byInstance.get(claim.instanceId) ?? []), claim]);
  for (const [instanceId, list] of byInstance) {
    list.sort((a, b) => a.t - b.t);
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1]!;
      const current = list[i]!;
      if (previous.jobId === current.jobId) continue;
      const ranBetween = jobs.some(
        (j) =>
          j.runnerName === instanceId &&
          j.startedAt !== undefined &&
          j.startedAt >= previous.t &&
          j.startedAt <= current.t,
      );
      if (!ranBetween) found.push({ instanceId, first: previous, second: current });
    }
  }
  return found;
}

function describeArrival(arrival: ArrivalPattern): string {
  return arrival.kind === 'burst'
    ? `burst over ${arrival.minutes} min`
    : `day profile (${arrival.perHour.join(',')} weights per hour)`;
}
