/** The JIT runner config travels to its instance as one SSM parameter only that instance may read. */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { DeleteParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { JIT_PARAMETER_OWNER_TAG, jitParameterName } from '../constants';
import { errorName } from '../errors';

/**
 * Writes the encoded JIT config, tagged `harrier:instance-arn` = the instance's ARN (the runner
 * policy lets only the instance whose `ec2:SourceInstanceARN` equals it read and delete it).
 * Advanced tier because JIT configs now exceed the standard tier's 4 KB; SecureString so it is
 * encrypted at rest.
 *
 * One call on the hot path: PutParameter creates it with its tag (SSM refuses `Tags` together with
 * `Overwrite`), so it never exists untagged. The agent deletes the parameter after reading it, so
 * it already exists only when an earlier attempt crashed before the `harrier:jit` tag (or, in tests
 * without an agent, a reused instance): then the stale one is deleted and created again, tagged,
 * before the caller sets `harrier:jit`. Delete + create rather than Overwrite + AddTagsToResource
 * keeps the "never untagged" property and needs nothing beyond PutParameter and DeleteParameter.
 */
export async function putJitConfig(
  ssm: SSMClient,
  stackId: string,
  instanceId: string,
  encodedJitConfig: string,
  ownerArn: string,
): Promise<'created' | 'replaced'> {
  // A fresh command per send: a command's middleware stack is not meant to be sent twice.
  const put = (): PutParameterCommand =>
    new PutParameterCommand({
      Name: jitParameterName(stackId, instanceId),
      Value: encodedJitConfig,
      Type: 'SecureString',
      Tier: 'Advanced',
      Description: `Harrier JIT runner config for ${instanceId}; the agent deletes it after reading`,
      Tags: [{ Key: JIT_PARAMETER_OWNER_TAG, Value: ownerArn }],
    });
  try {
    await ssm.send(put());
    return 'created';
  } catch (error: unknown) {
    if (errorName(error) !== 'ParameterAlreadyExists') throw error;
  }
  await deleteJitConfig(ssm, stackId, instanceId);
  // Another ParameterAlreadyExists here means a concurrent writer: thrown, and the message retried.
  await ssm.send(put());
  return 'replaced';
}

/** Removes a config the agent never consumed (instance terminated first); absent is fine. */
export async function deleteJitConfig(ssm: SSMClient, stackId: string, instanceId: string): Promise<void> {
  try {
    await ssm.send(new DeleteParameterCommand({ Name: jitParameterName(stackId, instanceId) }));
  } catch (error: unknown) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return;
    throw error;
  }
}
