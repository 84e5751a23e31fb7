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
  'max-warm-age-days': 'maxWarmAgeDays',
  'webhook-ip-allow-list': 'webhookIpAllowList',
  'cache-retention-days': 'cacheRetentionDays',
  'extra-pools': 'extraPools',
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
  Labels: 'labels',
} as const;

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

/** The upper bounds below are sanity limits against typos, not AWS quotas. */
export const Limits = {
  maxFleetSize: 1000,
  minVolumeSizeGb: 8,
  maxVolumeSizeGb: 16_384,
  maxReuseWindowMinutes: 24 * 60,
  maxDays: 3650,
} as const;
