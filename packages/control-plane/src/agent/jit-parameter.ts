import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterNotFound,
  type SSMClient,
} from '@aws-sdk/client-ssm';

/** The JIT parameter the tag announced is not there (already consumed, or never written). */
export class JitConfigMissingError extends Error {
  constructor(readonly parameterName: string) {
    super(`JIT runner config ${parameterName} does not exist; it was consumed already or never written`);
    this.name = 'JitConfigMissingError';
  }
}

/**
 * Reads the SecureString JIT config and deletes it before returning, so a job on this machine can
 * never read it back (the instance role may read only its own parameter, and after this there is none).
 */
export async function takeJitConfig(ssm: Pick<SSMClient, 'send'>, parameterName: string): Promise<string> {
  let value: string | undefined;
  try {
    const answer = await ssm.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
    value = answer.Parameter?.Value;
  } catch (error: unknown) {
    if (
      error instanceof ParameterNotFound ||
      (error instanceof Error && error.name === 'ParameterNotFound')
    ) {
      throw new JitConfigMissingError(parameterName);
    }
    throw error;
  }
  if (value === undefined || value === '') throw new JitConfigMissingError(parameterName);
  await ssm.send(new DeleteParameterCommand({ Name: parameterName }));
  return value;
}
