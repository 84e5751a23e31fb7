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

const isNotFound = (error: unknown): boolean =>
  error instanceof ParameterNotFound || (error instanceof Error && error.name === 'ParameterNotFound');

/** Reads the SecureString JIT config; a missing or empty parameter is a JitConfigMissingError. */
export async function readJitConfig(ssm: Pick<SSMClient, 'send'>, parameterName: string): Promise<string> {
  let value: string | undefined;
  try {
    const answer = await ssm.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
    value = answer.Parameter?.Value;
  } catch (error: unknown) {
    if (isNotFound(error)) throw new JitConfigMissingError(parameterName);
    throw error;
  }
  if (value === undefined || value === '') throw new JitConfigMissingError(parameterName);
  return value;
}

/**
 * Deletes the parameter once read, so a job on this machine can never read it back (the instance
 * role may read only its own parameter, and after this there is none). Already gone is success:
 * a retried delete whose first answer was lost finds nothing.
 */
export async function deleteJitConfig(ssm: Pick<SSMClient, 'send'>, parameterName: string): Promise<void> {
  try {
    await ssm.send(new DeleteParameterCommand({ Name: parameterName }));
  } catch (error: unknown) {
    if (isNotFound(error)) return;
    // Under the instance policy's tag condition, a parameter that is already gone can answer
    // AccessDenied instead of ParameterNotFound (no tag to match on a missing resource). The
    // delete is there so nothing on this machine can read the config back: if a read is refused
    // too, that is met. A parameter still readable keeps the error (and the step's retries).
    if (isAccessDenied(error) && !(await stillReadable(ssm, parameterName))) return;
    throw error;
  }
}

const isAccessDenied = (error: unknown): boolean =>
  error instanceof Error && error.name === 'AccessDeniedException';

async function stillReadable(ssm: Pick<SSMClient, 'send'>, parameterName: string): Promise<boolean> {
  try {
    await ssm.send(new GetParameterCommand({ Name: parameterName, WithDecryption: false }));
    return true;
  } catch (error: unknown) {
    // Anything but a clear "not there / not yours" counts as readable: keep the delete failing.
    return !(isNotFound(error) || isAccessDenied(error));
  }
}
