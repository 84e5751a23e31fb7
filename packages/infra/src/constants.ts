/**
 * Names, versions and limits infra shares with the control plane, the agent and the cache actions.
 * See the lead's control-plane contract; every tag key is readable through IMDS metadata tags.
 */

export const TAG = {
  stack: 'harrier:stack',
  launch: 'harrier:launch',
  pool: 'harrier:pool',
  bootstrap: 'harrier:bootstrap',
  jit: 'harrier:jit',
} as const;

/** Top-level prefixes of the cache bucket that jobs may read and write (ARCHITECTURE.md, Cache). */
export const CACHE_PREFIXES = ['node-modules/', 'npm/', 'docker/', 'custom/'] as const;
/** Prefix where infra uploads the agent bundle; runners may only read it. */
export const AGENT_PREFIX = 'harrier/';
/** Object key of the agent bundle inside the cache bucket. */
export const AGENT_OBJECT_KEY = `${AGENT_PREFIX}agent.mjs`;

export const INSTANCE_PATHS = {
  runnerDir: '/opt/actions-runner',
  agent: '/opt/harrier/agent.mjs',
  /** The Node that ships inside the runner (externals/node24): no separate Node install needed. */
  node: '/opt/actions-runner/externals/node24/bin/node',
  cacheRoot: '/mnt/harrier-cache',
} as const;

export const RUNNER_USER = 'runner';
/** Fixed ids so the Mountpoint unit and the agent unit can name them before `useradd` runs. */
export const RUNNER_UID = 1001;
export const RUNNER_GID = 1001;

/** SSM parameter path of one instance's JIT config (contract). */
export const jitParameterPrefix = (stack: string): string => `/harrier/${stack}/jit/`;

/** Lambda runtime; GitHub and AWS moved to Node 24 in 2026. */
export const LAMBDA_RUNTIME = 'nodejs24.x';
/** The four control-plane functions, each bundled to packages/control-plane/dist/<name>/index.mjs. */
export const FUNCTION_NAMES = ['webhook', 'scale-up', 'lifecycle', 'reconcile'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Mountpoint for Amazon S3's release signing key (docs: "Verifying the signature of the package"). */
export const MOUNTPOINT_KEY_FINGERPRINT = '673FE4061506BB469A0EF857BE397A52B086DA5A';

/** Ubuntu LTS images are published by Canonical under this owner id in every commercial region. */
export const CANONICAL_OWNER_ID = '099720109477';
