/**
 * Names shared with the control plane and the bootstrap script (see the lead's control-plane contract).
 * Every key here is readable through IMDS because the launch template turns instance metadata tags on.
 */
export const TAG = {
  stack: 'harrier:stack',
  launch: 'harrier:launch',
  bootstrap: 'harrier:bootstrap',
  jit: 'harrier:jit',
} as const;

/** Value of `harrier:launch` for an instance launched to fill the warm pool (as opposed to `cold`). */
export const LAUNCH_POOL = 'pool';
/** Value the agent writes to `harrier:bootstrap` once the bootstrap self-check has passed. */
export const BOOTSTRAP_OK = 'ok';

/** The JIT parameter for one instance; only that instance's role may read and delete it. */
export function jitParameterName(stack: string, instanceId: string): string {
  return `/harrier/${stack}/jit/${instanceId}`;
}

export const PATHS = {
  runnerScript: '/opt/actions-runner/run.sh',
  runnerDir: '/opt/actions-runner',
  cacheRoot: '/mnt/harrier-cache',
  /** Survives a reboot, so a generation consumed before a reboot is never waited on again. */
  stateFile: '/var/lib/harrier/consumed-jit',
} as const;

export const RUNNER_USER = 'runner';

/** The link-local IMDS endpoint; tests inject a 127.0.0.1 server instead. */
export const IMDS_BASE_URL = 'http://169.254.169.254';
/** IMDSv2 session token lifetime requested by the agent, in seconds (the maximum IMDS accepts). */
export const IMDS_TOKEN_TTL_SECONDS = 21_600;
/** One IMDS request must answer within this, in milliseconds: it is link-local and answers in < 10 ms. */
export const IMDS_REQUEST_TIMEOUT_MS = 2_000;

/**
 * How long the agent waits for `harrier:jit` after boot before giving up and shutting down (which
 * terminates the instance), in seconds. scale-up tags the instance before starting it and a cold
 * instance gets its config while it bootstraps, so anything longer means the job went elsewhere.
 */
export const DEFAULT_JIT_WAIT_SECONDS = 900;
/** Interval between two IMDS tag reads while waiting, in milliseconds. */
export const JIT_POLL_INTERVAL_MS = 2_000;
