/**
 * Stack configuration (`harrier:*`), typed and validated in one pass: a stack with three mistakes
 * gets one error listing all three, each with the command that fixes it.
 */
import {
  DEFAULT_RUNNER_VERSION,
  MIN_RUNNER_VERSION,
  RUNNER_SHA256,
  compareVersions,
  type Architecture,
} from './runner-release';

export type RunnerScope = 'org' | 'repo';

/** An extra pool: jobs whose `runs-on` labels match `labels` get this instance type and size. */
export interface PoolSpec {
  name: string;
  labels: string[];
  instanceType: string;
  architecture: Architecture;
  fleetSize: number;
  volumeSizeGb: number;
}

export interface HarrierConfig {
  githubOrg: string;
  /** @default 'https://api.github.com' (set for GitHub Enterprise Server) */
  githubApiUrl: string;
  /** GitHub App id; when set, `githubAppPrivateKey` is required and the App is used. */
  githubAppId?: string;
  /** Warm + provisioning instances kept by reconcile. @default 2 */
  fleetSize: number;
  /** Upper bound on instances at once (pool + cold). @default 20 */
  maxRunners: number;
  /** @default 'x64' */
  architecture: Architecture;
  /** @default 'm7i.large' for x64, 'm7g.large' for arm64 */
  instanceType: string;
  /** Root gp3 volume, GiB. @default 40 */
  volumeSizeGb: number;
  /** Minutes an idle runner waits for a matching job; 0 = every instance serves one job. @default 0 */
  reuseWindowMinutes: number;
  /** @default 'org' */
  runnerScope: RunnerScope;
  /** GitHub answers 422 to generate-jitconfig without it. @default 1 (the org's Default group) */
  runnerGroupId: number;
  /** `runs-on` labels of the default pool, `self-hosted` always included. @default self-hosted,linux,<arch> */
  labels: string[];
  /** @default DEFAULT_RUNNER_VERSION (2.329.0); must be >= 2.327.1 for node24 actions */
  runnerVersion: string;
  runnerSha256: Record<Architecture, string>;
  /** Warm instances older than this are replaced (a stale runner stops getting jobs). @default 7 */
  maxWarmAgeDays: number;
  /** Refuse webhook sources outside GitHub's published hook ranges. @default true */
  webhookIpAllowList: boolean;
  /** A claimed instance that has not picked up a job after this long is terminated. @default 15 */
  claimTimeoutMinutes: number;
  /** Any instance older than this is terminated (GitHub's own job limit is 6 h). @default 420 */
  maxLifetimeMinutes: number;
  /** Cache entries expire after this many days. @default 30 */
  cacheRetentionDays: number;
  /** CloudWatch log retention of the Lambdas, days. @default 14 */
  logRetentionDays: number;
  /** @default '10.72.0.0/16' */
  vpcCidr: string;
  /** Extra pools beyond the default one. @default [] */
  pools: PoolSpec[];
}

/** One problem with a key, and how to fix it. */
export interface ConfigProblem {
  key: string;
  problem: string;
  hint: string;
}

export class HarrierConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `Harrier stack configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - harrier:${p.key}: ${p.problem}\n    hint: ${p.hint}`).join('\n'),
    );
    this.name = 'HarrierConfigError';
  }
}

/** The keys this program reads, with their defaults, for the README and the setup action's inputs. */
export const CONFIG_KEYS = {
  githubOrg: { default: undefined, doc: 'GitHub organization login (required)' },
  githubToken: { default: undefined, doc: 'PAT with admin:org (secret; required unless githubAppId is set)' },
  githubAppId: { default: undefined, doc: 'GitHub App id, used instead of the PAT when set' },
  githubAppPrivateKey: { default: undefined, doc: 'GitHub App private key, PEM (secret; with githubAppId)' },
  githubApiUrl: { default: 'https://api.github.com', doc: 'REST API base URL (GitHub Enterprise Server)' },
  fleetSize: { default: '2', doc: 'warm pool size' },
  maxRunners: { default: '20', doc: 'maximum instances at once' },
  architecture: { default: 'x64', doc: "'x64' or 'arm64'" },
  instanceType: { default: 'm7i.large / m7g.large', doc: 'EC2 instance type (must match architecture)' },
  volumeSizeGb: { default: '40', doc: 'root gp3 volume size, GiB (>= 20)' },
  reuseWindowMinutes: {
    default: '0',
    doc: 'reuse an instance for the same repo+workflow+job+actor; 0 = off',
  },
  runnerScope: { default: 'org', doc: "'org' or 'repo': where fresh runners register" },
  runnerGroupId: { default: '1', doc: "runner group id (1 = the org's Default group)" },
  labels: { default: 'self-hosted,linux,<architecture>', doc: 'comma-separated runs-on labels' },
  runnerVersion: { default: DEFAULT_RUNNER_VERSION, doc: 'GitHub runner version (>= 2.327.1)' },
  runnerSha256X64: { default: '(pinned for the default version)', doc: 'SHA-256 of the x64 tarball' },
  runnerSha256Arm64: { default: '(pinned for the default version)', doc: 'SHA-256 of the arm64 tarball' },
  maxWarmAgeDays: { default: '7', doc: 'replace warm instances older than this' },
  webhookIpAllowList: { default: 'true', doc: "refuse webhook sources outside GitHub's hook ranges" },
  claimTimeoutMinutes: {
    default: '15',
    doc: 'terminate a claimed instance that has not started a job by then',
  },
  maxLifetimeMinutes: {
    default: '420',
    doc: "terminate any instance older than this (GitHub's job limit is 6 h)",
  },
  cacheRetentionDays: { default: '30', doc: 'expire cache entries after this many days' },
  logRetentionDays: { default: '14', doc: 'Lambda log retention, days' },
  vpcCidr: { default: '10.72.0.0/16', doc: 'CIDR of the dedicated VPC (/16 to /24)' },
  pools: {
    default: '[]',
    doc: 'extra pools: [{name, labels, instanceType, architecture?, fleetSize?, volumeSizeGb?}]',
  },
} as const;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** What the loader read: plain values as strings (or parsed objects for `pools`), secrets as presence. */
export interface RawConfig {
  values: Partial<Record<ConfigKey, unknown>>;
  secretsPresent: ReadonlySet<'githubToken' | 'githubAppPrivateKey'>;
}

const DEFAULT_INSTANCE_TYPE: Record<Architecture, string> = { x64: 'm7i.large', arm64: 'm7g.large' };
/** Graviton families carry a `g` after the generation digit (m7g, c7gn, t4g, r8g). */
const ARM_FAMILY = /^[a-z]+\d+g[a-z]*\./;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const LABEL = /^[A-Za-z0-9._-]{1,100}$/;
const setCommand = (key: string, example: string): string => `pulumi config set harrier:${key} ${example}`;

export function parseConfig(raw: RawConfig): HarrierConfig {
  const problems: ConfigProblem[] = [];
  const fail = (key: string, problem: string, hint: string): void =>
    void problems.push({ key, problem, hint });
  const str = (key: ConfigKey): string | undefined => {
    const value = raw.values[key];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      return undefined;
    const text = String(value).trim();
    return text === '' ? undefined : text;
  };
  const int = (key: ConfigKey, fallback: number, min: number, max: number): number => {
    const text = str(key);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      fail(
        key,
        `must be a whole number from ${min} to ${max}, got '${text}'`,
        setCommand(key, String(fallback)),
      );
      return fallback;
    }
    return value;
  };

  const githubOrg = str('githubOrg') ?? '';
  if (githubOrg === '') fail('githubOrg', 'is not set', setCommand('githubOrg', 'my-org'));
  else if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(githubOrg))
    fail(
      'githubOrg',
      `'${githubOrg}' is not a GitHub organization login`,
      'use the login from github.com/<org>',
    );

  const githubAppId = str('githubAppId');
  if (githubAppId !== undefined && !/^\d+$/.test(githubAppId))
    fail(
      'githubAppId',
      `must be the numeric App id, got '${githubAppId}'`,
      'see the App settings page, "App ID"',
    );
  if (githubAppId !== undefined && !raw.secretsPresent.has('githubAppPrivateKey'))
    fail(
      'githubAppPrivateKey',
      'is required when githubAppId is set',
      'pulumi config set --secret harrier:githubAppPrivateKey -- "$(cat app.pem)"',
    );
  if (githubAppId === undefined && !raw.secretsPresent.has('githubToken'))
    fail(
      'githubToken',
      'is not set (a PAT with admin:org, or a GitHub App, is required)',
      'pulumi config set --secret harrier:githubToken ghp_…',
    );

  const githubApiUrl = (str('githubApiUrl') ?? 'https://api.github.com').replace(/\/+$/, '');
  if (!URL.canParse(githubApiUrl) || !githubApiUrl.startsWith('https://'))
    fail(
      'githubApiUrl',
      `'${githubApiUrl}' is not an https URL`,
      setCommand('githubApiUrl', 'https://api.github.com'),
    );

  const architectureRaw = str('architecture') ?? 'x64';
  let architecture: Architecture = 'x64';
  if (architectureRaw === 'x64' || architectureRaw === 'arm64') architecture = architectureRaw;
  else
    fail(
      'architecture',
      `must be 'x64' or 'arm64', got '${architectureRaw}'`,
      setCommand('architecture', 'arm64'),
    );

  const instanceType = str('instanceType') ?? DEFAULT_INSTANCE_TYPE[architecture];
  checkInstanceType('instanceType', instanceType, architecture, fail);

  const fleetSize = int('fleetSize', 2, 0, 100);
  const maxRunners = int('maxRunners', 20, 1, 1000);
  if (maxRunners < fleetSize)
    fail(
      'maxRunners',
      `(${maxRunners}) is below fleetSize (${fleetSize})`,
      setCommand('maxRunners', String(fleetSize)),
    );
  const volumeSizeGb = int('volumeSizeGb', 40, 20, 16_384);
  const reuseWindowMinutes = int('reuseWindowMinutes', 0, 0, 24 * 60);
  const runnerGroupId = int('runnerGroupId', 1, 1, Number.MAX_SAFE_INTEGER);
  const maxWarmAgeDays = int('maxWarmAgeDays', 7, 1, 30);
  const cacheRetentionDays = int('cacheRetentionDays', 30, 1, 3650);
  const logRetentionDays = int('logRetentionDays', 14, 1, 3653);
  const claimTimeoutMinutes = int('claimTimeoutMinutes', 15, 1, 24 * 60);
  const maxLifetimeMinutes = int('maxLifetimeMinutes', 420, 10, 7 * 24 * 60);

  const scopeRaw = str('runnerScope') ?? 'org';
  if (scopeRaw !== 'org' && scopeRaw !== 'repo')
    fail('runnerScope', `must be 'org' or 'repo', got '${scopeRaw}'`, setCommand('runnerScope', 'org'));
  const runnerScope: RunnerScope = scopeRaw === 'repo' ? 'repo' : 'org';

  const labels = parseLabels(str('labels') ?? `self-hosted,linux,${architecture}`, 'labels', fail);

  const runnerVersion = str('runnerVersion') ?? DEFAULT_RUNNER_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(runnerVersion))
    fail(
      'runnerVersion',
      `'${runnerVersion}' is not a version like 2.329.0`,
      setCommand('runnerVersion', DEFAULT_RUNNER_VERSION),
    );
  else if (compareVersions(runnerVersion, MIN_RUNNER_VERSION) < 0)
    fail(
      'runnerVersion',
      `${runnerVersion} is older than ${MIN_RUNNER_VERSION}, which node24 actions need`,
      setCommand('runnerVersion', DEFAULT_RUNNER_VERSION),
    );
  const pinned = RUNNER_SHA256[runnerVersion];
  const runnerSha256 = {
    x64: str('runnerSha256X64') ?? pinned?.x64 ?? '',
    arm64: str('runnerSha256Arm64') ?? pinned?.arm64 ?? '',
  };
  for (const [arch, key] of [
    ['x64', 'runnerSha256X64'],
    ['arm64', 'runnerSha256Arm64'],
  ] as const) {
    const sum = runnerSha256[arch];
    if (sum === '')
      fail(
        key,
        `no checksum is pinned for runner ${runnerVersion}`,
        `copy it from the v${runnerVersion} release notes`,
      );
    else if (!/^[0-9a-f]{64}$/.test(sum))
      fail(key, 'must be 64 lower-case hex digits (SHA-256)', 'copy it from the release notes');
  }

  const webhookRaw = str('webhookIpAllowList') ?? 'true';
  if (webhookRaw !== 'true' && webhookRaw !== 'false')
    fail(
      'webhookIpAllowList',
      `must be true or false, got '${webhookRaw}'`,
      setCommand('webhookIpAllowList', 'true'),
    );

  const vpcCidr = str('vpcCidr') ?? '10.72.0.0/16';
  const cidrMatch = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(vpcCidr);
  if (
    !cidrMatch ||
    cidrMatch.slice(1, 5).some((o) => Number(o) > 255) ||
    Number(cidrMatch[5]) < 16 ||
    Number(cidrMatch[5]) > 24
  )
    fail(
      'vpcCidr',
      `'${vpcCidr}' is not an IPv4 CIDR from /16 to /24`,
      setCommand('vpcCidr', '10.72.0.0/16'),
    );

  const pools = parsePools(raw.values.pools, architecture, labels, fail);

  if (problems.length > 0) throw new HarrierConfigError(problems);
  return {
    githubOrg,
    githubApiUrl,
    ...(githubAppId === undefined ? {} : { githubAppId }),
    fleetSize,
    maxRunners,
    architecture,
    instanceType,
    volumeSizeGb,
    reuseWindowMinutes,
    runnerScope,
    runnerGroupId,
    labels,
    runnerVersion,
    runnerSha256,
    maxWarmAgeDays,
    webhookIpAllowList: webhookRaw === 'true',
    claimTimeoutMinutes,
    maxLifetimeMinutes,
    cacheRetentionDays,
    logRetentionDays,
    vpcCidr,
    pools,
  };
}

type Fail = (key: string, problem: string, hint: string) => void;

function checkInstanceType(key: string, instanceType: string, architecture: Architecture, fail: Fail): void {
  if (!INSTANCE_TYPE.test(instanceType)) {
    fail(
      key,
      `'${instanceType}' is not an EC2 instance type`,
      setCommand(key, DEFAULT_INSTANCE_TYPE[architecture]),
    );
    return;
  }
  const isArm = ARM_FAMILY.test(instanceType) || instanceType.startsWith('a1.');
  if (isArm !== (architecture === 'arm64'))
    fail(
      key,
      `'${instanceType}' is ${isArm ? 'an arm64 (Graviton)' : 'an x86_64'} type but architecture is ${architecture}`,
      `choose a ${architecture} type such as ${DEFAULT_INSTANCE_TYPE[architecture]}, or set harrier:architecture`,
    );
}

function parseLabels(text: string, key: string, fail: Fail): string[] {
  const labels = [
    ...new Set(
      text
        .split(',')
        .map((l) => l.trim().toLowerCase())
        .filter((l) => l !== ''),
    ),
  ];
  const bad = labels.filter((l) => !LABEL.test(l));
  if (bad.length > 0)
    fail(
      key,
      `invalid label(s): ${bad.join(', ')}`,
      'labels are letters, digits, . _ - and commas between them',
    );
  if (!labels.includes('self-hosted')) labels.unshift('self-hosted');
  return labels;
}

function parsePools(
  value: unknown,
  architecture: Architecture,
  defaultLabels: string[],
  fail: Fail,
): PoolSpec[] {
  if (value === undefined || value === null || value === '') return [];
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      fail('pools', 'is not valid JSON', "pulumi config set --path 'harrier:pools[0].name' large");
      return [];
    }
  }
  if (!Array.isArray(list)) {
    fail('pools', 'must be a list of pools', 'see the config reference in packages/infra/README.md');
    return [];
  }
  const pools: PoolSpec[] = [];
  const names = new Set<string>(['default']);
  list.forEach((item: unknown, index) => {
    const key = `pools[${index}]`;
    if (typeof item !== 'object' || item === null) {
      fail(key, 'must be an object', '{"name": "large", "labels": ["large"], "instanceType": "m7i.2xlarge"}');
      return;
    }
    const pool = item as Record<string, unknown>;
    const name = typeof pool.name === 'string' ? pool.name : '';
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name))
      fail(`${key}.name`, `'${name}' is not a pool name`, 'lower-case letters, digits, dashes');
    else if (names.has(name)) fail(`${key}.name`, `'${name}' is used twice`, 'give every pool its own name');
    names.add(name);
    const arch = pool.architecture ?? architecture;
    if (arch !== 'x64' && arch !== 'arm64')
      fail(`${key}.architecture`, "must be 'x64' or 'arm64'", 'omit it to use harrier:architecture');
    const poolArch: Architecture = arch === 'arm64' ? 'arm64' : 'x64';
    const instanceType = typeof pool.instanceType === 'string' ? pool.instanceType : '';
    checkInstanceType(`${key}.instanceType`, instanceType, poolArch, fail);
    const labelsRaw = Array.isArray(pool.labels)
      ? pool.labels.join(',')
      : typeof pool.labels === 'string'
        ? pool.labels
        : '';
    const labels = parseLabels(labelsRaw, `${key}.labels`, fail);
    if (labels.length <= 1)
      fail(`${key}.labels`, 'needs at least one label besides self-hosted', '["self-hosted", "large"]');
    else if (labels.every((l) => defaultLabels.includes(l)))
      fail(`${key}.labels`, 'are all served by the default pool already', 'add a label only this pool has');
    const fleetSize = pool.fleetSize ?? 0;
    if (typeof fleetSize !== 'number' || !Number.isInteger(fleetSize) || fleetSize < 0 || fleetSize > 100)
      fail(`${key}.fleetSize`, 'must be a whole number from 0 to 100', 'omit it for no warm instances');
    const volumeSizeGb = pool.volumeSizeGb ?? 40;
    if (typeof volumeSizeGb !== 'number' || !Number.isInteger(volumeSizeGb) || volumeSizeGb < 20)
      fail(`${key}.volumeSizeGb`, 'must be a whole number >= 20', 'omit it for 40');
    pools.push({
      name,
      labels,
      instanceType,
      architecture: poolArch,
      fleetSize: typeof fleetSize === 'number' ? fleetSize : 0,
      volumeSizeGb: typeof volumeSizeGb === 'number' ? volumeSizeGb : 40,
    });
  });
  return pools;
}
