/**
 * The whole Harrier stack for one GitHub organization, wired from validated config. Kept apart from
 * `index.ts` (which only reads Pulumi config and exports outputs) so tests run it under mocks.
 */
import * as path from 'node:path';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { CacheBucket } from './components/cache-bucket';
import { ControlPlane } from './components/control-plane';
import { FleetTeardown } from './components/fleet-teardown';
import { GitHubOrgWebhook } from './components/github-webhook';
import { Network } from './components/network';
import { RunnerFleet } from './components/runner-fleet';
import { Secrets } from './components/secrets';
import type { HarrierConfig } from './config';
import { TAG } from './constants';

export interface HarrierSecrets {
  githubToken?: pulumi.Input<string>;
  githubAppPrivateKey?: pulumi.Input<string>;
}

export interface HarrierOptions {
  /** Stack id (see stackId()); tagged on everything, part of every name. */
  stack: string;
  /** @default packages/control-plane/dist (the committed Lambda bundles) */
  bundleDir?: string;
  /** @default <bundleDir>/agent/index.mjs */
  agentBundlePath?: string;
  /** The `aws:profile` the deployment uses, so `pulumi destroy`'s fleet teardown uses it too. */
  awsProfile?: string;
}

export interface HarrierOutputs {
  webhookUrl: pulumi.Output<string>;
  bucketName: pulumi.Output<string>;
  dashboardUrl: pulumi.Output<string>;
  /** What to write in `runs-on:` for each pool. */
  runsOnLabels: Record<string, string[]>;
  components: {
    network: Network;
    cache: CacheBucket;
    fleet: RunnerFleet;
    secrets: Secrets;
    controlPlane: ControlPlane;
    webhook: GitHubOrgWebhook;
    teardown: FleetTeardown;
  };
}

/** packages/control-plane/dist, relative to this file (src/ or a compiled copy beside it). */
export const DEFAULT_BUNDLE_DIR = path.resolve(__dirname, '..', '..', 'control-plane', 'dist');

/** Lower-case, dash-separated, at most 40 characters: fits Lambda (64) and SQS (80) names. */
export function stackId(stackName: string): string {
  const id = stackName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return id === '' ? 'default' : id;
}

export function createHarrier(
  config: HarrierConfig,
  secrets: HarrierSecrets,
  options: HarrierOptions,
): HarrierOutputs {
  const stack = options.stack;
  const bundleDir = options.bundleDir ?? DEFAULT_BUNDLE_DIR;
  const tags = { [TAG.stack]: stack, 'harrier:managed-by': 'pulumi' };

  const partition = aws.getPartitionOutput().partition;
  const region = aws.getRegionOutput().region;
  const accountId = aws.getCallerIdentityOutput().accountId;
  const zones = aws.getAvailabilityZonesOutput({ state: 'available' });

  const network = new Network('harrier', {
    cidrBlock: config.vpcCidr,
    availabilityZones: [0, 1].map((i) => zones.names.apply((names) => names[i] ?? names[0]!)),
    tags,
  });
  const cache = new CacheBucket('harrier-cache', { retentionDays: config.cacheRetentionDays, tags });
  const secretStore = new Secrets('harrier', {
    githubToken: secrets.githubToken,
    githubAppId: config.githubAppId,
    githubAppPrivateKey: secrets.githubAppPrivateKey,
    tags,
  });
  const fleet = new RunnerFleet('harrier-runners', {
    stack,
    partition,
    region,
    accountId,
    bucketName: cache.bucket.bucket,
    bucketArn: cache.bucket.arn,
    securityGroupId: network.runnerSecurityGroup.id,
    pools: [
      {
        name: 'default',
        architecture: config.architecture,
        instanceType: config.instanceType,
        volumeSizeGb: config.volumeSizeGb,
      },
      ...config.pools.map(({ name, architecture, instanceType, volumeSizeGb }) => ({
        name,
        architecture,
        instanceType,
        volumeSizeGb,
      })),
    ],
    runnerVersion: config.runnerVersion,
    runnerSha256: config.runnerSha256,
    reuseWindowMinutes: config.reuseWindowMinutes,
    agentBundlePath: options.agentBundlePath ?? path.join(bundleDir, 'agent', 'index.mjs'),
    tags,
  });
  const defaultTemplate = fleet.launchTemplates.default!;

  // What the control plane launches at run time is not a Pulumi resource. Pulumi deletes dependents
  // before their dependencies, so: the teardown depends on the network, the templates and the bucket
  // (it terminates the instances before those go), and every control-plane resource depends on the
  // teardown (the Lambdas, their schedule and triggers are gone before it runs, so nothing launches a
  // replacement mid-destroy).
  const teardown = new FleetTeardown(
    'harrier-fleet-teardown',
    {
      stack,
      region,
      profile: options.awsProfile,
      // Runner names are instance ids; org-scope registrations of the terminated ones are removed.
      github:
        config.runnerScope === 'org' && secrets.githubToken !== undefined
          ? { org: config.githubOrg, token: secrets.githubToken, apiUrl: config.githubApiUrl }
          : undefined,
    },
    { dependsOn: [network, fleet, cache] },
  );

  const controlPlane = new ControlPlane(
    'harrier',
    {
      stack,
      partition,
      region,
      accountId,
      bundleDir,
      // Exactly the variables packages/control-plane/src/config.ts reads (ENV_VARS), plus the ARNs.
      environment: {
        POOL_NAME: 'default',
        RUNNER_LABELS: config.labels.join(','),
        FLEET_SIZE: String(config.fleetSize),
        RUNNER_SCOPE: config.runnerScope,
        GITHUB_OWNER: config.githubOrg,
        RUNNER_GROUP_ID: String(config.runnerGroupId),
        REUSE_WINDOW_MINUTES: String(config.reuseWindowMinutes),
        MAX_WARM_AGE_HOURS: String(config.maxWarmAgeDays * 24),
        CLAIM_TIMEOUT_MINUTES: String(config.claimTimeoutMinutes),
        MAX_LIFETIME_MINUTES: String(config.maxLifetimeMinutes),
        MIN_RUNNER_VERSION: config.runnerVersion,
        WEBHOOK_IP_ALLOWLIST: String(config.webhookIpAllowList),
        GITHUB_API_URL: config.githubApiUrl,
        MAX_RUNNERS: String(config.maxRunners),
      },
      githubCredentialSecretArn: secretStore.githubCredential.arn,
      webhookSecretArn: secretStore.webhookSecret.arn,
      runnerRoleArn: fleet.role.arn,
      launchTemplateId: defaultTemplate.id,
      launchTemplateVersion: '$Default',
      securityGroupId: network.runnerSecurityGroup.id,
      vpcId: network.vpc.id,
      subnetIds: network.subnets.map((s) => s.id),
      bucketName: cache.bucket.bucket,
      logRetentionDays: config.logRetentionDays,
      refillTriggers: {
        launchTemplateVersion: defaultTemplate.latestVersion.apply(String),
        fleetSize: String(config.fleetSize),
      },
      tags,
    },
    {
      dependsOn: [teardown],
      // Also on each child directly: the engine orders deletes by recorded dependencies.
      transformations: [
        ({ props, opts }) => ({ props, opts: pulumi.mergeOptions(opts, { dependsOn: [teardown] }) }),
      ],
    },
  );

  const webhook = new GitHubOrgWebhook('harrier-org-webhook', {
    org: config.githubOrg,
    url: controlPlane.webhookUrl,
    secret: secretStore.webhookSecretValue,
    // A GitHub App manages hooks with an installation token; this resource uses the PAT.
    token: secrets.githubToken ?? '',
    apiUrl: config.githubApiUrl,
    events: ['workflow_job'],
  });

  return {
    webhookUrl: controlPlane.webhookUrl,
    bucketName: cache.bucket.bucket,
    dashboardUrl: controlPlane.dashboardUrl,
    runsOnLabels: Object.fromEntries([
      ['default', config.labels],
      ...config.pools.map((pool) => [pool.name, pool.labels] as const),
    ]),
    components: { network, cache, fleet, secrets: secretStore, controlPlane, webhook, teardown },
  };
}
