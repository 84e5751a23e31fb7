/**
 * DynamoDB record shapes. One table holds two kinds of item, each keyed by `pk`:
 * `instance#<instanceId>` and `job#<jobId>`. Every record carries `stateKey` + `stateSince`,
 * the keys of the `byState` index, so "warm instances of pool X, oldest first" or "jobs still
 * queued" is one Query, and `version`, which every conditional write checks and bumps.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const INSTANCE_STATES = [
  'provisioning',
  'warm',
  'claimed',
  'busy',
  'idle',
  'terminating',
  'terminated',
] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

/** States in which an instance still exists and may serve (or is serving) a job. */
export const LIVE_STATES: readonly InstanceState[] = ['provisioning', 'warm', 'claimed', 'busy', 'idle'];

export interface InstanceRecord {
  pk: string;
  kind: 'instance';
  instanceId: string;
  pool: string;
  launch: 'pool' | 'cold';
  state: InstanceState;
  /** Bumped by every write; a write that expects another version loses the race. */
  version: number;
  stateKey: string;
  /** Epoch ms of the last state change. */
  stateSince: number;
  /** Epoch ms of RunInstances. */
  launchedAt: number;
  /**
   * Epoch ms at which the instance left the warm pool for its first job (unset while warm; cold
   * launches serve from `launchedAt`). The maximum lifetime counts from here, not from the launch:
   * a pool instance may sit stopped for days before a job claims it.
   */
  inServiceSince?: number;
  subnetId?: string;
  /** Job this instance was claimed (or cold-launched) for; the runner may still take another. */
  claimedForJobId?: number;
  /** Claimed as a reuse of an idle instance: its runner registers at repository scope. */
  reuse?: boolean;
  /** Job the runner actually took (from `in_progress`). */
  runningJobId?: number;
  /** `owner/name` of the last job it ran: a reused instance serves only this repository. */
  repo?: string;
  /** Set only while `idle`: repo, workflow, job name and actor of the job it ran. */
  fingerprint?: string;
  /** From the `harrier:runner-version` tag, when the bootstrap set it. */
  runnerVersion?: string;
  /** Value last written to the `harrier:jit` tag. */
  jitGeneration?: string;
  /** Epoch seconds; DynamoDB TTL removes terminated records. */
  expiresAt?: number;
}

export const JOB_STATUSES = ['queued', 'in_progress', 'completed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * Harrier's own progress on a queued job: once `started`, a runner is on the way. There is no
 * `claimed` step on the job: the instance record's `claimedForJobId` says it, which saves a
 * write on the queued→start path (a retry finds the claim through the index).
 */
export type DispatchState = 'pending' | 'started';

export interface JobRecord {
  pk: string;
  kind: 'job';
  jobId: number;
  runId: number;
  /** `owner/name`. */
  repo: string;
  workflowName: string;
  jobName: string;
  sender: string;
  labels: string[];
  status: JobStatus;
  dispatch: DispatchState;
  /** Instance started for this job (it may take another job; counting, not assuming). */
  instanceId?: string;
  /** Runner that took this job, from `in_progress`. */
  runnerName?: string;
  version: number;
  stateKey: string;
  stateSince: number;
  /** Epoch ms Harrier first saw the job. */
  firstSeenAt: number;
  /** Epoch ms GitHub queued the job (payload `created_at`), for queued→start latency. */
  queuedAt: number;
  /** Epoch ms of StartInstances / RunInstances for this job. */
  startedAt?: number;
  expiresAt: number;
}

export type HarrierRecord = InstanceRecord | JobRecord;

export const BY_STATE_INDEX = 'byState';

export const instanceKey = (instanceId: string): string => `instance#${instanceId}`;
export const jobKey = (jobId: number): string => `job#${jobId}`;
export const instanceStateKey = (pool: string, state: InstanceState): string => `instance#${pool}#${state}`;
export const jobStateKey = (status: JobStatus): string => `job#${status}`;

/**
 * The table as infra and the emulators must create it (TTL on `expiresAt` is a separate
 * UpdateTimeToLive call; the emulator ignores it).
 */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'stateKey', AttributeType: 'S' },
      { AttributeName: 'stateSince', AttributeType: 'N' },
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: BY_STATE_INDEX,
        KeySchema: [
          { AttributeName: 'stateKey', KeyType: 'HASH' },
          { AttributeName: 'stateSince', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
