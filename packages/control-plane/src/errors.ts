/** Named errors and the one place that decides which AWS/GitHub failures are worth a retry. */

/** No warm instance and no subnet had capacity for a cold launch; SQS retries the job later. */
export class NoCapacityError extends Error {
  constructor(readonly attempts: string[]) {
    super(
      `no capacity for a runner instance in any subnet (${attempts.join('; ')}); the job will be retried`,
    );
    this.name = 'NoCapacityError';
  }
}

/** The GitHub credential secret holds neither a token string nor `{"token": …}`. */
export class CredentialFormatError extends Error {
  constructor(arn: string) {
    super(`the GitHub credential secret ${arn} must be a token string or JSON {"token": "..."}`);
    this.name = 'CredentialFormatError';
  }
}

/** An SQS message that is not a Harrier job event: retrying cannot help, so it is dropped. */
export class MalformedMessageError extends Error {
  constructor(messageId: string, reason: string) {
    super(`SQS message ${messageId} is not a Harrier job event: ${reason}`);
    this.name = 'MalformedMessageError';
  }
}

/** AWS error codes that mean "slow down" or "not right now": the same call later can succeed. */
const RETRYABLE_AWS_ERRORS = new Set([
  'RequestLimitExceeded', // EC2 API throttling
  'ThrottlingException', // SSM, Secrets Manager, DynamoDB control plane
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException', // DynamoDB
  'RequestThrottled',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'Unavailable',
  'InsufficientInstanceCapacity', // every subnet full right now; capacity returns within minutes
  'IncorrectInstanceState', // e.g. a warm instance still `stopping`; the next attempt sees it stopped
]);

export function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error;
}

/** HTTP status of an Octokit RequestError (or anything shaped like one). */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const status = error.status;
    return typeof status === 'number' ? status : undefined;
  }
  return undefined;
}

/**
 * True when retrying the whole message later can succeed: throttling, AWS 5xx, GitHub 5xx and
 * rate limits (403/429), network errors, and our own NoCapacityError. Anything else (a 422 from
 * GitHub, a validation error) would fail the same way again and goes to the dead-letter queue.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof NoCapacityError) return true;
  if (RETRYABLE_AWS_ERRORS.has(errorName(error))) return true;
  const status = httpStatus(error);
  if (status !== undefined) return status >= 500 || status === 429 || status === 403;
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  if (meta?.httpStatusCode !== undefined && meta.httpStatusCode >= 500) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].includes(code);
}
