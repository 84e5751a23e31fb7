/**
 * Hands a claimed instance its runner: a JIT config from GitHub, stored where only that
 * instance may read it, then the tag that tells its agent to go. Shared by the warm, reuse and
 * cold paths of scale-up.
 */
import { markJitReady } from '../aws/ec2';
import { putJitConfig } from '../aws/ssm';
import { instanceArn } from '../constants';
import { httpStatus } from '../errors';
import type { RunnerTarget } from '../github/client';
import type { InstanceRecord } from '../state/records';
import { splitRepo } from './job-event';
import type { Deps } from './deps';

/**
 * Where the runner registers. A reused instance (it ran a job already) registers at its
 * repository only, so it can never serve another repository's job.
 */
export function runnerTarget(deps: Deps, repo: string, reuse: boolean): RunnerTarget {
  if (deps.config.github.scope === 'org' && !reuse) return { scope: 'org', org: deps.config.github.owner };
  const { owner, name } = splitRepo(repo);
  return { scope: 'repo', owner, repo: name };
}

/**
 * generate-jitconfig with runner name = instance id. A 409 means a registration of that name
 * survived an earlier attempt (a crash after registering): delete it and register again.
 */
export async function registerRunner(
  deps: Deps,
  target: RunnerTarget,
  instanceId: string,
): Promise<{ runnerId: number; encodedJitConfig: string }> {
  const runner = {
    name: instanceId,
    labels: deps.config.pool.labels,
    runnerGroupId: deps.config.github.runnerGroupId,
  };
  try {
    return await deps.github.generateJitConfig(target, runner);
  } catch (error: unknown) {
    if (httpStatus(error) !== 409) throw error;
    const stale = (await deps.github.listRunners(target)).filter((r) => r.name === instanceId);
    for (const registration of stale) await deps.github.deleteRunner(target, registration.id);
    deps.telemetry.log.warn('replaced a stale runner registration', { instanceId });
    return deps.github.generateJitConfig(target, runner);
  }
}

/**
 * Writes the config (tagged with the instance's ARN, which is what lets that instance read it),
 * then the `harrier:jit` tag: the agent may only see the tag once the parameter exists and is its own.
 */
export async function deliverJitConfig(
  deps: Deps,
  instance: InstanceRecord,
  encodedJitConfig: string,
): Promise<string> {
  const owner = instanceArn(deps.config.aws, instance.instanceId);
  const written = await putJitConfig(
    deps.ssm,
    deps.config.stackId,
    instance.instanceId,
    encodedJitConfig,
    owner,
  );
  if (written === 'replaced')
    deps.telemetry.log.warn('replaced a JIT parameter left by an earlier attempt', {
      instanceId: instance.instanceId,
    });
  const generation = deps.newGeneration();
  await markJitReady(deps.ec2, instance.instanceId, generation);
  return generation;
}
