// Reads and validates every input before anything runs: one InputError lists every problem,
// each with what to write instead, so a user fixes their workflow in one round trip.
import { parse as parseYaml } from 'yaml';
import type { Command, ConfigInputName } from './constants';
import { COMMANDS, ConfigInputs, Defaults, Inputs, Limits, MIN_RUNNER_VERSION } from './constants';

export type Architecture = 'x64' | 'arm64';
export type RunnerScope = 'org' | 'repo';

/** One extra runner pool: jobs whose `runs-on` names its labels get its instance type. */
export interface PoolSpec {
  name: string;
  labels: string[];
  instanceType: string;
  architecture?: Architecture;
  fleetSize?: number;
  volumeSizeGb?: number;
}

/** The `harrier:` config of the infra program; absent keys take the program's defaults. */
export interface HarrierConfig {
  githubOrg: string;
  /** Secret. Required for up/preview unless a GitHub App is configured. */
  githubToken?: string;
  githubAppId?: string;
  /** Secret, PEM. */
  githubAppPrivateKey?: string;
  githubApiUrl?: string;
  fleetSize?: number;
  instanceType?: string;
  architecture?: Architecture;
  volumeSizeGb?: number;
  reuseWindowMinutes?: number;
  runnerScope?: RunnerScope;
  runnerGroupId?: number;
  labels?: string[];
  maxRunners?: number;
  runnerVersion?: string;
  runnerSha256X64?: string;
  runnerSha256Arm64?: string;
  maxWarmAgeDays?: number;
  webhookIpAllowList?: boolean;
  claimTimeoutMinutes?: number;
  maxLifetimeMinutes?: number;
  cacheRetentionDays?: number;
  logRetentionDays?: number;
  vpcCidr?: string;
  pools?: PoolSpec[];
}

export interface ActionInputs {
  /** @default 'up' */
  command: Command;
  /** @default the GitHub org, lower-cased (one stack = one org) */
  stack: string;
  /** @default $AWS_REGION, then $AWS_DEFAULT_REGION (set by aws-actions/configure-aws-credentials) */
  awsRegion: string;
  stateBucket: string;
  /** @default false */
  createStateBucket: boolean;
  /** @default awskms://alias/harrier-pulumi?region=<aws-region> */
  secretsProvider: string;
  /** Undefined: the Harrier checkout that holds this action (see program.ts). */
  programDir?: string;
  /** Undefined: install with the package manager the program's package.json names, if needed. */
  installCommand?: string;
  /** Undefined: the CLI version matching the bundled Automation API. */
  pulumiVersion?: string;
  /** A directory with `bin/pulumi`; undefined: `pulumi` on PATH, else install it. */
  pulumiRoot?: string;
  config: HarrierConfig;
}

/** Thrown when inputs are invalid; `problems` has one line per mistake. */
export class InputError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `The setup action's inputs have ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'InputError';
  }
}

/** Reads one input the way `@actions/core` getInput does: '' when absent, trimmed. */
export type InputReader = (name: string) => string;

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
// GitHub org logins: alphanumerics and single hyphens, not at either end, at most 39 chars.
const GITHUB_ORG = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const LABEL = /^[A-Za-z0-9._-]{1,100}$/;
const SEMVER = /^\d+\.\d+\.\d+$/;
const SECRETS_PROVIDER = /^(awskms|azurekeyvault|gcpkms|hashivault):\/\/\S+$|^passphrase$/;
const SHA256 = /^[0-9a-f]{64}$/;
const POOL_NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
/** Graviton families carry a `g` after the generation digit (m7g, c7gn, t4g), as the infra checks. */
const ARM_FAMILY = /^[a-z]+\d+g[a-z]*\.|^a1\./;

/** Collects problems while parsing, so that all of them are reported together. */
class Problems {
  readonly list: string[] = [];
  add(message: string): undefined {
    this.list.push(message);
    return undefined;
  }
}

function integer(
  problems: Problems,
  name: string,
  raw: string,
  min: number,
  max: number,
): number | undefined {
  if (raw === '') return undefined;
  if (!/^\d+$/.test(raw))
    return problems.add(`${name}: '${raw}' is not a whole number; write e.g. '${min === 0 ? 2 : min}'.`);
  const value = Number(raw);
  if (value < min || value > max) return problems.add(`${name}: ${value} is out of range ${min}..${max}.`);
  return value;
}

function boolean(problems: Problems, name: string, raw: string): boolean | undefined {
  if (raw === '') return undefined;
  // The YAML 1.2 core schema's booleans, as @actions/core getBooleanInput accepts them.
  if (['true', 'True', 'TRUE'].includes(raw)) return true;
  if (['false', 'False', 'FALSE'].includes(raw)) return false;
  return problems.add(`${name}: '${raw}' is not a boolean; write 'true' or 'false'.`);
}

function oneOf<T extends string>(
  problems: Problems,
  name: string,
  raw: string,
  allowed: readonly T[],
): T | undefined {
  if (raw === '') return undefined;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  return problems.add(`${name}: '${raw}' is not one of ${allowed.map((a) => `'${a}'`).join(', ')}.`);
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A list input: one item per line or comma-separated, blanks dropped. */
export function splitList(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function labels(problems: Problems, name: string, raw: string): string[] | undefined {
  if (raw === '') return undefined;
  const list = splitList(raw);
  const bad = list.filter((label) => !LABEL.test(label));
  if (list.length === 0) return problems.add(`${name}: give at least one label, e.g. 'harrier'.`);
  if (bad.length > 0)
    return problems.add(
      `${name}: ${bad.map((b) => `'${b}'`).join(', ')} ${bad.length === 1 ? 'is not a valid label' : 'are not valid labels'} (letters, digits, '.', '_', '-').`,
    );
  return list;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The instance type does not fit the architecture: a Graviton type on x64 or the reverse. */
function archMismatch(instanceType: string, architecture: Architecture): string | undefined {
  const isArm = ARM_FAMILY.test(instanceType);
  if (isArm === (architecture === 'arm64')) return undefined;
  return `'${instanceType}' is ${isArm ? 'an arm64 (Graviton)' : 'an x64'} type but architecture is ${architecture}`;
}

function pools(
  problems: Problems,
  name: string,
  raw: string,
  architecture: Architecture,
): PoolSpec[] | undefined {
  if (raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = parseYaml(raw);
  } catch (error: unknown) {
    return problems.add(`${name}: not valid YAML or JSON (${error instanceof Error ? error.message : ''}).`);
  }
  const example = `[{ name: gpu, labels: [gpu], instanceType: g5.xlarge, fleetSize: 0 }]`;
  if (!Array.isArray(parsed)) return problems.add(`${name}: expected a list of pools, e.g. ${example}.`);
  const known = new Set(['name', 'labels', 'instanceType', 'architecture', 'fleetSize', 'volumeSizeGb']);
  const names = new Set<string>(['default']);
  const result: PoolSpec[] = [];
  parsed.forEach((item: unknown, index) => {
    const where = `${name}[${index}]`;
    if (!isRecord(item)) return problems.add(`${where}: expected a mapping, e.g. ${example}.`);
    for (const key of Object.keys(item))
      if (!known.has(key)) problems.add(`${where}: unknown key '${key}' (known: ${[...known].join(', ')}).`);
    const poolName = typeof item.name === 'string' ? item.name : '';
    if (!POOL_NAME.test(poolName))
      problems.add(`${where}.name: give a name of lower-case letters, digits and '-', e.g. 'gpu'.`);
    else if (names.has(poolName))
      problems.add(`${where}.name: '${poolName}' is taken; give every pool its own name.`);
    names.add(poolName);
    const poolLabels = Array.isArray(item.labels) ? item.labels.map(String) : [];
    if (poolLabels.length === 0 || poolLabels.some((l) => !LABEL.test(l)))
      problems.add(`${where}.labels: give a list of labels, e.g. [gpu].`);
    const poolArch = item.architecture ?? architecture;
    if (poolArch !== 'x64' && poolArch !== 'arm64') problems.add(`${where}.architecture: 'x64' or 'arm64'.`);
    const instanceType = typeof item.instanceType === 'string' ? item.instanceType : '';
    if (!INSTANCE_TYPE.test(instanceType))
      problems.add(`${where}.instanceType: give an EC2 instance type, e.g. 'g5.xlarge'.`);
    else if (poolArch === 'x64' || poolArch === 'arm64') {
      const mismatch = archMismatch(instanceType, poolArch);
      if (mismatch) problems.add(`${where}.instanceType: ${mismatch}.`);
    }
    const pool: PoolSpec = { name: poolName, labels: poolLabels, instanceType };
    if (poolArch === 'x64' || poolArch === 'arm64')
      if (item.architecture !== undefined) pool.architecture = poolArch;
    for (const [key, min, max] of [
      ['fleetSize', 0, Limits.maxFleetSize],
      ['volumeSizeGb', Limits.minVolumeSizeGb, Limits.maxVolumeSizeGb],
    ] as const) {
      const value = item[key];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
        problems.add(`${where}.${key}: expected a whole number from ${min} to ${max}.`);
      else pool[key] = value;
    }
    result.push(pool);
  });
  return result;
}

/**
 * Parses every input; throws one InputError listing all problems. Pure: `read` is the input
 * source (`core.getInput` in the action, a map in tests), `env` the process environment.
 */
export function parseInputs(read: InputReader, env: NodeJS.ProcessEnv): ActionInputs {
  const problems = new Problems();
  const input = (name: string) => read(name).trim();
  const config = (name: ConfigInputName) => input(name);

  const command = oneOf(problems, Inputs.Command, input(Inputs.Command) || Defaults.command, COMMANDS);

  const githubOrg = config('github-org');
  if (githubOrg === '') problems.add(`github-org: required; the GitHub organization Harrier serves.`);
  else if (!GITHUB_ORG.test(githubOrg)) problems.add(`github-org: '${githubOrg}' is not a GitHub login.`);

  // A GitHub App (id + private key) replaces the token; either is needed to deploy, neither to destroy.
  const githubToken = config('github-token');
  const githubAppId = config('github-app-id');
  const githubAppPrivateKey = config('github-app-private-key');
  if (githubAppId === '' && githubToken === '' && command !== 'destroy')
    problems.add(
      `github-token: required for '${command ?? Defaults.command}' (unless github-app-id is set); pass a secret, e.g. \${{ secrets.HARRIER_GITHUB_TOKEN }}.`,
    );
  else if (/\s/.test(githubToken))
    problems.add(`github-token: contains whitespace; check the secret's value.`);
  if (githubAppId !== '' && !/^\d+$/.test(githubAppId))
    problems.add(`github-app-id: '${githubAppId}' is not the numeric App ID from the App's settings page.`);
  if (githubAppId !== '' && githubAppPrivateKey === '' && command !== 'destroy')
    problems.add(`github-app-private-key: required with github-app-id; pass the App's PEM key as a secret.`);
  else if (githubAppPrivateKey !== '' && !githubAppPrivateKey.includes('PRIVATE KEY'))
    problems.add(`github-app-private-key: not a PEM private key (no 'PRIVATE KEY' header).`);

  const githubApiUrl = config('github-api-url').replace(/\/+$/, '');
  if (githubApiUrl !== '' && (!URL.canParse(githubApiUrl) || !githubApiUrl.startsWith('https://')))
    problems.add(
      `github-api-url: '${githubApiUrl}' is not an https URL, e.g. 'https://github.example.com/api/v3'.`,
    );

  const awsRegion = input(Inputs.AwsRegion) || env.AWS_REGION || env.AWS_DEFAULT_REGION || '';
  if (awsRegion === '')
    problems.add(
      `aws-region: required (or run aws-actions/configure-aws-credentials first, which sets AWS_REGION).`,
    );
  else if (!AWS_REGION.test(awsRegion))
    problems.add(`aws-region: '${awsRegion}' is not an AWS region, e.g. 'eu-west-1'.`);

  const stateBucket = input(Inputs.StateBucket);
  if (stateBucket === '')
    problems.add(
      `state-bucket: required; an S3 bucket name for the Pulumi state, e.g. 'acme-harrier-state'.`,
    );
  else if (!BUCKET_NAME.test(stateBucket))
    problems.add(
      `state-bucket: '${stateBucket}' is not a valid S3 bucket name (3-63 lower-case letters, digits, '-', '.').`,
    );

  const stack = input(Inputs.Stack) || githubOrg.toLowerCase();
  if (stack !== '' && !STACK_NAME.test(stack))
    problems.add(`stack: '${stack}' is not a valid stack name (letters, digits, '-', '_', '.').`);

  const createStateBucket =
    boolean(problems, Inputs.CreateStateBucket, input(Inputs.CreateStateBucket)) ?? false;
  const secretsProvider =
    input(Inputs.SecretsProvider) || `awskms://${Defaults.kmsAlias}?region=${awsRegion || 'us-east-1'}`;
  if (!SECRETS_PROVIDER.test(secretsProvider))
    problems.add(
      `secrets-provider: '${secretsProvider}' is not a Pulumi secrets provider; use e.g. 'awskms://alias/harrier-pulumi?region=eu-west-1'.`,
    );

  const pulumiVersion = input(Inputs.PulumiVersion).replace(/^v/, '');
  if (pulumiVersion !== '' && !SEMVER.test(pulumiVersion))
    problems.add(`pulumi-version: '${pulumiVersion}' is not a version like '3.200.0'.`);

  const architecture = oneOf(problems, 'architecture', config('architecture'), ['x64', 'arm64'] as const);
  const instanceType = config('instance-type');
  if (instanceType !== '' && !INSTANCE_TYPE.test(instanceType))
    problems.add(`instance-type: '${instanceType}' is not an EC2 instance type, e.g. 'm7i.large'.`);
  else if (instanceType !== '') {
    const mismatch = archMismatch(instanceType, architecture ?? 'x64');
    if (mismatch) problems.add(`instance-type: ${mismatch}; set architecture or pick another type.`);
  }

  const runnerVersion = config('runner-version').replace(/^v/, '');
  if (runnerVersion !== '' && !SEMVER.test(runnerVersion))
    problems.add(`runner-version: '${runnerVersion}' is not a version like '${MIN_RUNNER_VERSION}'.`);
  else if (runnerVersion !== '' && compareVersions(runnerVersion, MIN_RUNNER_VERSION) < 0)
    problems.add(
      `runner-version: ${runnerVersion} cannot run node24 actions; use ${MIN_RUNNER_VERSION} or newer.`,
    );
  const sha256 = (name: 'runner-sha256-x64' | 'runner-sha256-arm64') => {
    const value = config(name).toLowerCase();
    if (value !== '' && !SHA256.test(value))
      problems.add(`${name}: not a SHA-256 (64 hex digits); copy it from the runner's release notes.`);
    return value || undefined;
  };

  const vpcCidr = config('vpc-cidr');
  const cidr = CIDR.exec(vpcCidr);
  if (
    vpcCidr !== '' &&
    (!cidr ||
      cidr.slice(1, 5).some((octet) => Number(octet) > 255) ||
      Number(cidr[5]) < 16 ||
      Number(cidr[5]) > 24)
  )
    problems.add(`vpc-cidr: '${vpcCidr}' is not an IPv4 CIDR from /16 to /24, e.g. '10.72.0.0/16'.`);

  const harrier: HarrierConfig = {
    githubOrg,
    githubToken: githubToken || undefined,
    githubAppId: githubAppId || undefined,
    githubAppPrivateKey: githubAppPrivateKey || undefined,
    githubApiUrl: githubApiUrl || undefined,
    fleetSize: integer(problems, 'fleet-size', config('fleet-size'), 0, Limits.maxFleetSize),
    instanceType: instanceType || undefined,
    architecture,
    volumeSizeGb: integer(
      problems,
      'volume-size-gb',
      config('volume-size-gb'),
      Limits.minVolumeSizeGb,
      Limits.maxVolumeSizeGb,
    ),
    reuseWindowMinutes: integer(
      problems,
      'reuse-window-minutes',
      config('reuse-window-minutes'),
      0,
      Limits.maxReuseWindowMinutes,
    ),
    runnerScope: oneOf(problems, 'runner-scope', config('runner-scope'), ['org', 'repo'] as const),
    runnerGroupId: integer(
      problems,
      'runner-group-id',
      config('runner-group-id'),
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    labels: labels(problems, 'labels', config('labels')),
    maxRunners: integer(problems, 'max-runners', config('max-runners'), 1, Limits.maxRunners),
    runnerVersion: runnerVersion || undefined,
    runnerSha256X64: sha256('runner-sha256-x64'),
    runnerSha256Arm64: sha256('runner-sha256-arm64'),
    maxWarmAgeDays: integer(
      problems,
      'max-warm-age-days',
      config('max-warm-age-days'),
      1,
      Limits.maxWarmAgeDays,
    ),
    claimTimeoutMinutes: integer(
      problems,
      'claim-timeout-minutes',
      config('claim-timeout-minutes'),
      1,
      Limits.maxClaimTimeoutMinutes,
    ),
    maxLifetimeMinutes: integer(
      problems,
      'max-lifetime-minutes',
      config('max-lifetime-minutes'),
      Limits.minLifetimeMinutes,
      Limits.maxLifetimeMinutes,
    ),
    webhookIpAllowList: boolean(problems, 'webhook-ip-allow-list', config('webhook-ip-allow-list')),
    cacheRetentionDays: integer(
      problems,
      'cache-retention-days',
      config('cache-retention-days'),
      1,
      Limits.maxCacheRetentionDays,
    ),
    logRetentionDays: integer(
      problems,
      'log-retention-days',
      config('log-retention-days'),
      1,
      Limits.maxLogRetentionDays,
    ),
    vpcCidr: vpcCidr || undefined,
    pools: pools(problems, 'pools', config('pools'), architecture ?? 'x64'),
  };
  if (
    harrier.maxRunners !== undefined &&
    harrier.fleetSize !== undefined &&
    harrier.maxRunners < harrier.fleetSize
  )
    problems.add(
      `max-runners: ${harrier.maxRunners} is below fleet-size ${harrier.fleetSize}; the warm pool counts towards the maximum.`,
    );

  if (problems.list.length > 0 || command === undefined) throw new InputError(problems.list);
  return {
    command,
    stack,
    awsRegion,
    stateBucket,
    createStateBucket,
    secretsProvider,
    programDir: input(Inputs.ProgramDir) || undefined,
    installCommand: input(Inputs.InstallCommand) || undefined,
    pulumiVersion: pulumiVersion || undefined,
    pulumiRoot: input(Inputs.PulumiRoot) || undefined,
    // Unset keys are absent, not undefined: the config map and the tests see only what was given.
    config: Object.fromEntries(
      Object.entries(harrier).filter(([, value]) => value !== undefined),
    ) as HarrierConfig,
  };
}

/** Every input name the action reads, for action.yml consistency checks. */
export const ALL_INPUT_NAMES: readonly string[] = [...Object.values(Inputs), ...Object.keys(ConfigInputs)];
