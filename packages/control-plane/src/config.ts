/**
 * Every Lambda's configuration, read from the environment once and validated as a whole: a
 * deployment with three mistakes gets one error naming all three, not three deploys.
 * Infra sets the same variables on all four functions; secrets arrive as ARNs, never values.
 */
import { SELF_HOSTED_LABEL, type AwsAccount } from './constants';

export type RunnerScope = 'org' | 'repo';

export interface PoolConfig {
  /** Pool name, tagged on its instances. @default 'default' */
  name: string;
  /** Labels the pool's runners carry, lower-cased, always including `self-hosted`. */
  labels: string[];
  /** Instances kept `warm` + `provisioning`. @default 2 */
  fleetSize: number;
  launchTemplateId: string;
  /** @default '$Default' */
  launchTemplateVersion: string;
  /** At least two subnets in different AZs: a capacity error in one AZ falls back to the next. */
  subnetIds: string[];
}

export interface GitHubConfig {
  /** @default 'https://api.github.com' (the local stand-in sets its 127.0.0.1 URL) */
  apiUrl: string;
  /** Organization that owns the repositories (and the runners when scope is `org`). */
  owner: string;
  /** Where a fresh runner registers; a reused one always registers at its repository. @default 'org' */
  scope: RunnerScope;
  /** GitHub answers 422 to generate-jitconfig without it. @default 1 (the Default group) */
  runnerGroupId: number;
  credentialSecretArn: string;
  webhookSecretArn: string;
}

export interface TimingConfig {
  /** 0 = never reuse an instance. @default 0 */
  reuseWindowMs: number;
  /** A claimed instance that has not picked up a job after this long is terminated. @default 15 min */
  claimTimeoutMs: number;
  /** Any instance older than this is terminated (GitHub's own job limit is 6 h). @default 7 h */
  maxLifetimeMs: number;
  /** Warm instances older than this are replaced so their runner stays current. @default 7 days */
  maxWarmAgeMs: number;
}

export interface Config {
  stackId: string;
  /**
   * Partition, region and account of the stack, read from `GITHUB_CREDENTIAL_SECRET_ARN` (infra
   * creates that secret in the stack's own account and region), so instance ARNs need no API call.
   */
  aws: AwsAccount;
  tableName: string;
  /** FIFO queue carrying every accepted workflow_job event (grouped by job id). */
  jobQueueUrl: string;
  pool: PoolConfig;
  github: GitHubConfig;
  timing: TimingConfig;
  /** Warm instances whose runner reports an older version are replaced. @default '2.327.1' */
  minRunnerVersion: string;
  /** Refuse webhook sources outside GitHub's published `hooks` ranges. @default true */
  webhookIpAllowList: boolean;
}

/** Documentation of every variable, also used to list them in errors and the README. */
export const ENV_VARS = {
  HARRIER_STACK_ID: 'required; lower-case letters, digits and dashes; tagged on every instance',
  TABLE_NAME: 'required; DynamoDB table (pk string, GSI byState, TTL expiresAt)',
  JOB_QUEUE_URL: 'required; SQS FIFO queue URL (ends in .fifo)',
  POOL_NAME: "optional; default 'default'",
  RUNNER_LABELS: "optional; comma-separated; default 'self-hosted,linux,x64' (self-hosted always added)",
  FLEET_SIZE: 'optional; integer >= 0; default 2',
  LAUNCH_TEMPLATE_ID: 'required; lt-…',
  LAUNCH_TEMPLATE_VERSION: "optional; default '$Default'",
  SUBNET_IDS: 'required; comma-separated, at least two (different AZs)',
  RUNNER_SCOPE: "optional; 'org' or 'repo'; default 'org'",
  GITHUB_OWNER: 'required; organization login',
  RUNNER_GROUP_ID: 'optional; integer >= 1; default 1',
  REUSE_WINDOW_MINUTES: 'optional; integer >= 0; default 0 (no reuse)',
  CLAIM_TIMEOUT_MINUTES: 'optional; integer >= 1; default 15',
  MAX_LIFETIME_MINUTES: 'optional; integer >= 10; default 420',
  MAX_WARM_AGE_HOURS: 'optional; integer >= 1; default 168',
  MIN_RUNNER_VERSION: "optional; x.y.z; default '2.327.1'",
  GITHUB_CREDENTIAL_SECRET_ARN:
    'required; Secrets Manager ARN (in the stack\'s account and region) of {"token":…} (PAT) or {"appId":…,"privateKey":…,"installationId"?:…} (App)',
  WEBHOOK_SECRET_ARN: 'required; Secrets Manager ARN of the webhook secret (plain string)',
  WEBHOOK_IP_ALLOWLIST: "optional; 'true' or 'false'; default 'true'",
  GITHUB_API_URL: "optional; default 'https://api.github.com'",
} as const;

export type EnvVarName = keyof typeof ENV_VARS;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid Harrier configuration (${problems.length} problems): ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Parses and validates the environment; throws one ConfigError listing every problem. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const read = (name: EnvVarName): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const required = (name: EnvVarName): string => {
    const value = read(name);
    if (value === undefined) problems.push(`${name} is not set (${ENV_VARS[name]})`);
    return value ?? '';
  };
  const integer = (name: EnvVarName, fallback: number, min: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
      problems.push(`${name} must be an integer >= ${min}, got '${raw}'`);
      return fallback;
    }
    return value;
  };
  const list = (raw: string | undefined): string[] =>
    (raw ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');

  const stackId = required('HARRIER_STACK_ID');
  if (stackId !== '' && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(stackId))
    problems.push(`HARRIER_STACK_ID must be lower-case letters, digits and dashes, got '${stackId}'`);

  const tableName = required('TABLE_NAME');
  const jobQueueUrl = required('JOB_QUEUE_URL');
  if (jobQueueUrl !== '' && !jobQueueUrl.endsWith('.fifo'))
    problems.push(
      'JOB_QUEUE_URL must be a FIFO queue (its URL ends in .fifo): one job’s events stay in order',
    );

  const labels = new Set(list(read('RUNNER_LABELS') ?? 'self-hosted,linux,x64').map((l) => l.toLowerCase()));
  labels.add(SELF_HOSTED_LABEL);

  const subnetIds = list(required('SUBNET_IDS'));
  if (subnetIds.length === 1)
    problems.push('SUBNET_IDS needs at least two subnets in different AZs (capacity fallback)');

  const launchTemplateId = required('LAUNCH_TEMPLATE_ID');

  const scopeRaw = read('RUNNER_SCOPE') ?? 'org';
  if (scopeRaw !== 'org' && scopeRaw !== 'repo')
    problems.push(`RUNNER_SCOPE must be 'org' or 'repo', got '${scopeRaw}'`);

  const minRunnerVersion = read('MIN_RUNNER_VERSION') ?? '2.327.1';
  if (!/^\d+\.\d+\.\d+$/.test(minRunnerVersion))
    problems.push(`MIN_RUNNER_VERSION must look like 2.327.1, got '${minRunnerVersion}'`);

  const allowListRaw = read('WEBHOOK_IP_ALLOWLIST') ?? 'true';
  if (allowListRaw !== 'true' && allowListRaw !== 'false')
    problems.push(`WEBHOOK_IP_ALLOWLIST must be 'true' or 'false', got '${allowListRaw}'`);

  const credentialSecretArn = required('GITHUB_CREDENTIAL_SECRET_ARN');
  const aws = parseSecretArn(credentialSecretArn);
  if (credentialSecretArn !== '' && aws === undefined)
    problems.push(
      `GITHUB_CREDENTIAL_SECRET_ARN must be a Secrets Manager ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>), got '${credentialSecretArn}'`,
    );

  const apiUrl = (read('GITHUB_API_URL') ?? 'https://api.github.com').replace(/\/+$/, '');
  if (!URL.canParse(apiUrl)) problems.push(`GITHUB_API_URL is not a URL: '${apiUrl}'`);

  const config: Config = {
    stackId,
    aws: aws ?? { partition: '', region: '', accountId: '' },
    tableName,
    jobQueueUrl,
    pool: {
      name: read('POOL_NAME') ?? 'default',
      labels: [...labels],
      fleetSize: integer('FLEET_SIZE', 2, 0),
      launchTemplateId,
      launchTemplateVersion: read('LAUNCH_TEMPLATE_VERSION') ?? '$Default',
      subnetIds,
    },
    github: {
      apiUrl,
      owner: required('GITHUB_OWNER'),
      scope: scopeRaw === 'repo' ? 'repo' : 'org',
      runnerGroupId: integer('RUNNER_GROUP_ID', 1, 1),
      credentialSecretArn,
      webhookSecretArn: required('WEBHOOK_SECRET_ARN'),
    },
    timing: {
      reuseWindowMs: integer('REUSE_WINDOW_MINUTES', 0, 0) * MINUTE_MS,
      claimTimeoutMs: integer('CLAIM_TIMEOUT_MINUTES', 15, 1) * MINUTE_MS,
      maxLifetimeMs: integer('MAX_LIFETIME_MINUTES', 420, 10) * MINUTE_MS,
      maxWarmAgeMs: integer('MAX_WARM_AGE_HOURS', 168, 1) * HOUR_MS,
    },
    minRunnerVersion,
    webhookIpAllowList: allowListRaw !== 'false',
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Partition, region and account of a Secrets Manager secret ARN; undefined when it is not one. */
function parseSecretArn(arn: string): AwsAccount | undefined {
  const match = /^arn:(aws[a-z-]*):secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):secret:.+$/.exec(arn);
  if (match === null) return undefined;
  const [, partition = '', region = '', accountId = ''] = match;
  return { partition, region, accountId };
}
