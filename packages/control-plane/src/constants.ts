/**
 * Names and limits shared by the handlers, the on-instance agent, infra and the stand-ins.
 * Tag keys are readable through IMDS metadata tags, which only allow keys made of letters,
 * digits and `+-=._:/@` (no spaces): every key below fits.
 */

/** EC2 tag keys Harrier sets or reads. */
export const TAG = {
  /** Stack id on every instance Harrier launches: the ownership filter. */
  stack: 'harrier:stack',
  /** `pool` or `cold`, set at launch. */
  launch: 'harrier:launch',
  /** Pool name, set at launch. */
  pool: 'harrier:pool',
  /** `ok`, set by the instance itself after its bootstrap self-check. */
  bootstrap: 'harrier:bootstrap',
  /** Opaque generation id set after the JIT parameter is written; the agent waits for a new one. */
  jit: 'harrier:jit',
  /** Optional: the runner version the bootstrap installed (e.g. `2.329.0`), set with `bootstrap`. */
  runnerVersion: 'harrier:runner-version',
  /** Name tag so the console shows what an instance is for. */
  name: 'Name',
} as const;

export const LAUNCH_KIND = { pool: 'pool', cold: 'cold' } as const;
export type LaunchKind = (typeof LAUNCH_KIND)[keyof typeof LAUNCH_KIND];

export const BOOTSTRAP_OK = 'ok';

/** Name of the SSM parameter that carries one instance's JIT runner config. */
export function jitParameterName(stackId: string, instanceId: string): string {
  return `/harrier/${stackId}/jit/${instanceId}`;
}

/**
 * Tag on a JIT parameter naming the one instance that may read it: infra's runner policy allows
 * GetParameter/DeleteParameter only when it equals `${ec2:SourceInstanceARN}` of the caller.
 */
export const JIT_PARAMETER_OWNER_TAG = 'harrier:instance-arn';

/** Where the stack runs; every ARN Harrier builds (the instance ARN above) comes from it. */
export interface AwsAccount {
  partition: string;
  region: string;
  accountId: string;
}

/** `arn:<partition>:ec2:<region>:<account>:instance/<id>`, as IAM reports `ec2:SourceInstanceARN`. */
export function instanceArn(account: AwsAccount, instanceId: string): string {
  return `arn:${account.partition}:ec2:${account.region}:${account.accountId}:instance/${instanceId}`;
}

/** GitHub refuses webhook deliveries larger than 25 MB, but workflow_job payloads are a few KB. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** GitHub's own label every self-hosted runner carries. */
export const SELF_HOSTED_LABEL = 'self-hosted';

/** The workflow_job actions Harrier acts on; `waiting` (environment protection) is ignored. */
export const JOB_ACTIONS = ['queued', 'in_progress', 'completed'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

/** How long terminal records stay readable (for `/status`, audits) before DynamoDB TTL removes them. */
export const RECORD_RETENTION_SECONDS = 24 * 60 * 60;

/** A Lambda's cached secrets are re-read after this long so a rotation takes effect. */
export const SECRET_CACHE_MS = 5 * 60 * 1000;

/** GitHub's webhook source ranges are re-read after this long. */
export const HOOK_RANGES_CACHE_MS = 60 * 60 * 1000;

/** Upper bound on one `GET /meta`: the webhook must answer inside GitHub's 10 s. */
export const HOOK_RANGES_FETCH_TIMEOUT_MS = 2_000;

/** Metric namespace for every Harrier metric. */
export const METRIC_NAMESPACE = 'Harrier';
