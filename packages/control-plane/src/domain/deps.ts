/** Everything the domain functions need, passed in: handlers build it from real clients, tests from emulators. */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Config } from '../config';
import type { GitHubClient } from '../github/client';
import type { Clock, StateStore } from '../state/store';
import type { Telemetry } from '../telemetry';

export interface Deps {
  config: Config;
  store: StateStore;
  ec2: EC2Client;
  ssm: SSMClient;
  sqs: SQSClient;
  github: GitHubClient;
  telemetry: Telemetry;
  now: Clock;
  /** New `harrier:jit` tag values; injectable so the simulator stays deterministic. */
  newGeneration: () => string;
}

/** How long a job record lives (DynamoDB TTL) while its job may still be queued. */
export const JOB_RECORD_RETENTION_SECONDS = 3 * 24 * 60 * 60;
