/**
 * The agent's SSM and EC2 clients. Throttling, 5xx and network errors are retried by the SDK's own
 * strategy (exponential back-off with jitter, a longer base for throttling, client-side rate
 * limiting in `adaptive` mode) with more attempts than its default 3: a runner machine that gives up
 * powers itself off, so a burst of throttling at the start of many jobs must not cost the jobs.
 * The agent's own outer retry (retry.ts) adds a longer window on top for outages beyond one call.
 */
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';

/** Attempts per SDK call, the first included (SDK default 3). */
export const AWS_MAX_ATTEMPTS = 8;

export const AWS_RETRY = { maxAttempts: AWS_MAX_ATTEMPTS, retryMode: 'adaptive' } as const;

export interface AgentAwsClients {
  ssm: SSMClient;
  ec2: EC2Client;
}

/** `extra` is for tests (a local endpoint and dummy credentials); on an instance only the region is given. */
export function agentAwsClients(
  region: string,
  extra: Partial<Pick<SSMClientConfig & EC2ClientConfig, 'endpoint' | 'credentials'>> = {},
): AgentAwsClients {
  return {
    ssm: new SSMClient({ region, ...AWS_RETRY, ...extra }),
    ec2: new EC2Client({ region, ...AWS_RETRY, ...extra }),
  };
}
