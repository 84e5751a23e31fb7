/**
 * EC2 calls Harrier makes. The launch path is shared by the pool (reconcile) and the cold path
 * (scale-up): one launch template, tags set at launch, next subnet (AZ) on a capacity error.
 */
import type { EC2Client, Tag } from '@aws-sdk/client-ec2';
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeTagsCommand,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { Config } from '../config';
import { TAG, type LaunchKind } from '../constants';
import { errorName, NoCapacityError } from '../errors';

/** Error codes after which another subnet (AZ) may still have room. */
const CAPACITY_ERRORS = new Set(['InsufficientInstanceCapacity', 'InsufficientCapacity', 'Unsupported']);

export interface LaunchedInstance {
  instanceId: string;
  subnetId: string;
}

export interface LaunchOptions {
  kind: LaunchKind;
  /**
   * Idempotency token: a Lambda retried after a crash gets the same instance back instead of a
   * second one. Suffixed per subnet because EC2 refuses one token with different parameters.
   */
  clientToken?: string;
}

/**
 * Launches one instance from the pool's launch template. A cold instance goes straight to its
 * job and must terminate when it shuts down; a pool instance stops itself after its bootstrap,
 * so its shutdown behaviour stays `stop` until it is claimed.
 */
export async function launchInstance(
  ec2: EC2Client,
  config: Config,
  options: LaunchOptions,
): Promise<LaunchedInstance> {
  const attempts: string[] = [];
  const tags: Tag[] = [
    { Key: TAG.stack, Value: config.stackId },
    { Key: TAG.launch, Value: options.kind },
    { Key: TAG.pool, Value: config.pool.name },
    { Key: TAG.name, Value: `harrier-${config.stackId}-${options.kind}` },
  ];
  for (const [index, subnetId] of config.pool.subnetIds.entries()) {
    try {
      const out = await ec2.send(
        new RunInstancesCommand({
          LaunchTemplate: {
            LaunchTemplateId: config.pool.launchTemplateId,
            Version: config.pool.launchTemplateVersion,
          },
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnetId,
          InstanceInitiatedShutdownBehavior: options.kind === 'cold' ? 'terminate' : 'stop',
          TagSpecifications: [
            { ResourceType: 'instance', Tags: tags },
            { ResourceType: 'volume', Tags: tags },
          ],
          ClientToken: options.clientToken === undefined ? undefined : `${options.clientToken}-${index}`,
        }),
      );
      const instanceId = out.Instances?.[0]?.InstanceId;
      if (instanceId === undefined) throw new Error('RunInstances returned no instance');
      return { instanceId, subnetId };
    } catch (error: unknown) {
      if (!CAPACITY_ERRORS.has(errorName(error))) throw error;
      attempts.push(`${subnetId}: ${errorName(error)}`);
    }
  }
  throw new NoCapacityError(attempts);
}

/** A claimed pool instance must terminate, not stop, when its runner is done. */
export async function terminateOnShutdown(ec2: EC2Client, instanceId: string): Promise<void> {
  await ec2.send(
    new ModifyInstanceAttributeCommand({
      InstanceId: instanceId,
      InstanceInitiatedShutdownBehavior: { Value: 'terminate' },
    }),
  );
}

/** Tells the agent (through IMDS metadata tags) that a new JIT config is waiting. */
export async function markJitReady(ec2: EC2Client, instanceId: string, generation: string): Promise<void> {
  await ec2.send(
    new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: TAG.jit, Value: generation }] }),
  );
}

export async function startInstance(ec2: EC2Client, instanceId: string): Promise<void> {
  await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
}

/** Terminates instances; ids EC2 no longer knows are not an error (already gone). */
export async function terminateInstances(ec2: EC2Client, instanceIds: string[]): Promise<void> {
  if (instanceIds.length === 0) return;
  try {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: instanceIds }));
  } catch (error: unknown) {
    if (errorName(error) !== 'InvalidInstanceID.NotFound') throw error;
    if (instanceIds.length === 1) return;
    // One unknown id fails the whole call: fall back to one call per instance.
    for (const id of instanceIds) await terminateInstances(ec2, [id]);
  }
}

/** The instance's tags as a map (state-change events carry none). */
export async function instanceTags(ec2: EC2Client, instanceId: string): Promise<Map<string, string>> {
  const out = await ec2.send(
    new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [instanceId] }] }),
  );
  return new Map((out.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

export interface OwnedInstance {
  instanceId: string;
  state: string;
  launchedAt: number;
}

/** Every not-yet-terminated instance carrying this stack's tag: the orphan sweep's input. */
export async function listOwnedInstances(ec2: EC2Client, stackId: string): Promise<OwnedInstance[]> {
  const owned: OwnedInstance[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${TAG.stack}`, Values: [stackId] },
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
        ],
        NextToken: nextToken,
      }),
    );
    for (const reservation of out.Reservations ?? [])
      for (const instance of reservation.Instances ?? [])
        if (instance.InstanceId !== undefined)
          owned.push({
            instanceId: instance.InstanceId,
            state: instance.State?.Name ?? 'unknown',
            launchedAt: instance.LaunchTime?.getTime() ?? 0,
          });
    nextToken = out.NextToken;
  } while (nextToken !== undefined);
  return owned;
}
