import { CreateTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import {
  BOOTSTRAP_OK,
  DEFAULT_JIT_WAIT_SECONDS,
  JIT_POLL_INTERVAL_MS,
  LAUNCH_POOL,
  PATHS,
  RUNNER_USER,
  TAG,
  jitParameterName,
} from './constants';
import type { InstanceMetadata } from './imds';
import { JitConfigMissingError, deleteJitConfig, readJitConfig } from './jit-parameter';
import { retryStep, type RetryDeps } from './retry';
import { runnerEnvironment, type RunRunner } from './runner-process';
import type { ConsumedStore } from './state';

/** A required instance tag is missing: the instance was not launched by Harrier's control plane. */
export class MissingTagError extends Error {
  constructor(readonly key: string) {
    super(`instance tag ${key} is missing; was this instance launched by Harrier's launch template?`);
    this.name = 'MissingTagError';
  }
}

export interface AgentSettings {
  /** Minutes to wait for another job after the runner exits; 0 turns reuse off. @default 0 */
  reuseWindowMinutes: number;
  /** Seconds to wait for the first `harrier:jit` after boot. @default DEFAULT_JIT_WAIT_SECONDS */
  jitWaitSeconds: number;
  /** @default JIT_POLL_INTERVAL_MS */
  pollIntervalMs: number;
  /** @default PATHS.cacheRoot */
  cacheRoot: string;
  /** @default PATHS.runnerScript */
  runnerScript: string;
  /** @default PATHS.runnerDir */
  runnerDir: string;
  /** The runner user's ids; undefined runs the runner as the agent's own user (tests). */
  runnerUid?: number;
  runnerGid?: number;
  /** @default '/home/runner' */
  runnerHome: string;
}

export const DEFAULT_AGENT_SETTINGS: AgentSettings = {
  reuseWindowMinutes: 0,
  jitWaitSeconds: DEFAULT_JIT_WAIT_SECONDS,
  pollIntervalMs: JIT_POLL_INTERVAL_MS,
  cacheRoot: PATHS.cacheRoot,
  runnerScript: PATHS.runnerScript,
  runnerDir: PATHS.runnerDir,
  runnerHome: `/home/${RUNNER_USER}`,
};

export interface AgentDeps {
  metadata: InstanceMetadata;
  ssm: Pick<SSMClient, 'send'>;
  ec2: Pick<EC2Client, 'send'>;
  runRunner: RunRunner;
  /** Powers the machine off: a stop for a pool instance, a termination once scale-up set that behaviour. */
  powerOff: () => Promise<void>;
  consumed: ConsumedStore;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  log: (event: string, fields?: Record<string, unknown>) => void;
  settings: AgentSettings;
  /**
   * Jitter source for retry back-offs, in [0, 1). The entry point passes Math.random.
   * @default () => 0.5 (no jitter, so seeded simulations repeat exactly)
   */
  random?: () => number;
}

/** How a boot ended, for logs and tests. */
export type AgentOutcome =
  { kind: 'bootstrapped' } | { kind: 'no-config'; jobsRun: number } | { kind: 'done'; jobsRun: number };

/**
 * One boot of a Harrier instance. A pool instance's first boot reports its bootstrap and stops;
 * every other boot waits for a config generation it has not consumed, runs the runner with it, and
 * repeats within the reuse window, then powers off (terminating: scale-up set that behaviour).
 */
export async function runAgent(deps: AgentDeps): Promise<AgentOutcome> {
  const { metadata, log, settings } = deps;
  const instanceId = await metadata.instanceId();
  const stack = await metadata.tag(TAG.stack);
  if (stack === undefined) throw new MissingTagError(TAG.stack);

  const launch = await metadata.tag(TAG.launch);
  const bootstrap = await metadata.tag(TAG.bootstrap);
  if (launch === LAUNCH_POOL && bootstrap !== BOOTSTRAP_OK) {
    // Only an instance whose self-check passed reaches this line (the unit runs after it), so the
    // tag is the report lifecycle waits for before it moves the instance from provisioning to warm.
    await retryStep(retryDeps(deps), 'report-bootstrap', () =>
      deps.ec2.send(
        new CreateTagsCommand({
          Resources: [instanceId],
          Tags: [{ Key: TAG.bootstrap, Value: BOOTSTRAP_OK }],
        }),
      ),
    );
    log('bootstrap-reported', { instanceId });
    await deps.powerOff();
    return { kind: 'bootstrapped' };
  }

  let jobsRun = 0;
  let waitMs = settings.jitWaitSeconds * 1000;
  for (;;) {
    const generation = await waitForNewGeneration(deps, waitMs);
    if (generation === undefined) {
      log('no-config', { instanceId, waitedMs: waitMs, jobsRun });
      await deps.powerOff();
      return { kind: 'no-config', jobsRun };
    }
    // Recorded before reading, so a crash or reboot never makes the agent wait for this one again.
    await deps.consumed.write(generation);
    // Read, then delete before the runner starts; each step retried on its own, so a delete whose
    // answer was lost cannot turn into a "missing" read of the config already in hand.
    const parameterName = jitParameterName(stack, instanceId);
    const jitConfig = await retryStep(
      retryDeps(deps),
      'read-jit-config',
      () => readJitConfig(deps.ssm, parameterName),
      (error) => error instanceof JitConfigMissingError,
    );
    await retryStep(retryDeps(deps), 'delete-jit-config', () => deleteJitConfig(deps.ssm, parameterName));
    log('runner-starting', { instanceId, generation });
    const exitCode = await deps.runRunner({
      command: settings.runnerScript,
      args: [],
      cwd: settings.runnerDir,
      env: runnerEnvironment({
        jitConfig,
        cacheRoot: settings.cacheRoot,
        user: RUNNER_USER,
        home: settings.runnerHome,
      }),
      ...(settings.runnerUid === undefined ? {} : { uid: settings.runnerUid }),
      ...(settings.runnerGid === undefined ? {} : { gid: settings.runnerGid }),
    });
    jobsRun += 1;
    log('runner-exited', { instanceId, generation, exitCode });
    if (settings.reuseWindowMinutes <= 0) {
      await deps.powerOff();
      return { kind: 'done', jobsRun };
    }
    waitMs = settings.reuseWindowMinutes * 60_000;
  }
}

function retryDeps(deps: AgentDeps): RetryDeps {
  return { sleep: deps.sleep, log: deps.log, random: deps.random ?? (() => 0.5) };
}

/** Polls `harrier:jit` through IMDS until it holds a generation not consumed yet, or the time is up. */
async function waitForNewGeneration(deps: AgentDeps, waitMs: number): Promise<string | undefined> {
  const deadline = deps.now() + waitMs;
  const consumed = await deps.consumed.read();
  for (;;) {
    let generation: string | undefined;
    try {
      generation = await deps.metadata.tag(TAG.jit);
    } catch (error: unknown) {
      // A failed IMDS read is retried at the next poll; only the deadline ends the wait.
      deps.log('imds-read-failed', { error: error instanceof Error ? error.message : String(error) });
    }
    if (generation !== undefined && generation !== '' && generation !== consumed) return generation;
    if (deps.now() >= deadline) return undefined;
    await deps.sleep(Math.min(deps.settings.pollIntervalMs, Math.max(0, deadline - deps.now())));
  }
}
