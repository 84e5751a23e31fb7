/** The JIT runner config travels to its instance as one SSM parameter only that instance may read. */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { DeleteParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { jitParameterName } from '../constants';

/**
 * Writes the encoded JIT config. Advanced tier because JIT configs now exceed the standard
 * tier's 4 KB; SecureString so it is encrypted at rest; Overwrite because a reused instance
 * gets a new config under the same name.
 */
export async function putJitConfig(
  ssm: SSMClient,
  stackId: string,
  instanceId: string,
  encodedJitConfig: string,
): Promise<void> {
  await ssm.send(
    new PutParameterCommand({
      Name: jitParameterName(stackId, instanceId),
      Value: encodedJitConfig,
      Type: 'SecureString',
      Tier: 'Advanced',
      Overwrite: true,
      Description: `Harrier JIT runner config for ${instanceId}; the agent deletes it after reading`,
    }),
  );
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
