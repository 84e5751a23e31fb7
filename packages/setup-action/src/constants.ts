// Every name the action shares with the runner (inputs, outputs), the infra program (config keys,
// stack outputs) and the user (defaults), in one place.

/** Inputs that steer the action itself (everything else maps to a `harrier:` config key). */
export const Inputs = {
  Command: 'command',
  Stack: 'stack',
  AwsRegion: 'aws-region',
  StateBucket: 'state-bucket',
  CreateStateBucket: 'create-state-bucket',
  SecretsProvider: 'secrets-provider',
  ProgramDir: 'program-dir',
  InstallCommand: 'install-command',
  PulumiVersion: 'pulumi-version',
  PulumiRoot: 'pulumi-root',
} as const;

/**
 * Inputs that mirror the infra program's `harrier:<key>` config, kebab-case input → camelCase key.
 * An empty input leaves the key unset, so the infra program's own default applies: the defaults
 * live in one place (packages/infra) and the action only documents them.
 */
export const ConfigInputs = {
  'github-org': 'githubOrg',
  'github-token': 'githubToken',
  'github-app-id': 'githubAppId',
  'github-app-private-key': 'githubAppPrivateKey',
  'github-api-url': 'githubApiUrl',
  'fleet-size': 'fleetSize',
  'instance-type': 'instanceType',
  architecture: 'architecture',
  'volume-size-gb': 'volumeSizeGb',
  'reuse-window-minutes': 'reuseWindowMinutes',
  'runner-scope': 'runnerScope',
  'runner-group-id': 'runnerGroupId',
  labels: 'labels',
  'max-runners': 'maxRunners',
  'runner-version': 'runnerVersion',
  'runner-sha256-x64': 'runnerSha256X64',
  'runner-sha256-arm64': 'runnerSha256Arm64',
  'max-warm-age-days': 'maxWarmAgeDays',
  'webhook-ip-allow-list': 'webhookIpAllowList',
  'claim-timeout-minutes': 'claimTimeoutMinutes',
  'max-lifetime-minutes': 'maxLifetimeMinutes',
  'cache-retention-days': 'cacheRetentionDays',
  'log-retention-days': 'logRetentionDays',
  'vpc-cidr': 'vpcCidr',
  pools: 'pools',
} as const;

export type ConfigInputName = keyof typeof ConfigInputs;
export type ConfigKey = (typeof ConfigInputs)[ConfigInputName];

/** The Pulumi config namespace of the infra program (its project name in Pulumi.yaml). */
export const CONFIG_NAMESPACE = 'harrier';

export const Outputs = {
  WebhookUrl: 'webhook-url',
  Bucket: 'bucket',
  DashboardUrl: 'dashboard-url',
  Labels: 'labels',
} as const;

/** Stack outputs of the infra program that the action re-exports. */
export const StackOutputs = {
  WebhookUrl: 'webhookUrl',
  BucketName: 'bucketName',
  DashboardUrl: 'dashboardUrl',
  /** `{ <pool name>: [labels] }`; the default pool is `default`. */
  RunsOnLabels: 'runsOnLabels',
} as const;

/** The infra program's name for the pool every job without a pool-specific label lands on. */
export const DEFAULT_POOL = 'default';

export const COMMANDS = ['up', 'preview', 'destroy'] as const;
export type Command = (typeof COMMANDS)[number];

export const Defaults = {
  command: 'up' as Command,
  /** The KMS alias the bootstrap template (examples/bootstrap-oidc) creates. */
  kmsAlias: 'alias/harrier-pulumi',
} as const;

/**
 * The oldest runner that runs `node24` actions (GitHub's changelog, 2025-08: runner 2.327.1
 * added node24). Older runners would fail every Harrier cache step.
 */
export const MIN_RUNNER_VERSION = '2.327.1';

/** The infra program's limits (packages/infra/src/config.ts), checked here before anything runs. */
export const Limits = {
  maxFleetSize: 100,
  maxRunners: 1000,
  /** An Ubuntu image with Docker, the runner and a cache working set needs at least this. */
  minVolumeSizeGb: 20,
  maxVolumeSizeGb: 16_384,
  maxReuseWindowMinutes: 24 * 60,
  maxWarmAgeDays: 30,
  maxClaimTimeoutMinutes: 24 * 60,
  minLifetimeMinutes: 10,
  maxLifetimeMinutes: 7 * 24 * 60,
  maxCacheRetentionDays: 3650,
  /** CloudWatch Logs' longest finite retention. */
  maxLogRetentionDays: 3653,
} as const;
