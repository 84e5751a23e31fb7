import { spawn } from 'node:child_process';

/** What the agent needs to start the GitHub runner; the JIT config travels only in `env`. */
export interface RunnerLaunch {
  command: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Run as this user id / group id (the agent itself runs as root under systemd). */
  uid?: number;
  gid?: number;
}

/** Starts the runner and resolves with its exit code (a signal counts as failure, code 1). */
export type RunRunner = (launch: RunnerLaunch) => Promise<number>;

/**
 * The real runner launcher: no shell, argv is exactly `[command, ...args]`, and the environment is
 * the one given (not the agent's), so the config is never on a command line (`/proc/<pid>/cmdline` is
 * world-readable) and never inherited by anything the agent spawns later.
 */
export const spawnRunner: RunRunner = (launch) =>
  new Promise((resolve, reject) => {
    const child = spawn(launch.command, [...launch.args], {
      cwd: launch.cwd,
      env: launch.env,
      stdio: 'inherit',
      ...(launch.uid === undefined ? {} : { uid: launch.uid }),
      ...(launch.gid === undefined ? {} : { gid: launch.gid }),
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });

/** Builds the runner's environment: a minimal login-like set plus the config and the cache root. */
export function runnerEnvironment(options: {
  jitConfig: string;
  cacheRoot: string;
  user: string;
  home: string;
  path?: string;
}): Record<string, string> {
  return {
    PATH: options.path ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: options.home,
    USER: options.user,
    LOGNAME: options.user,
    LANG: 'C.UTF-8',
    HARRIER_CACHE_ROOT: options.cacheRoot,
    ACTIONS_RUNNER_INPUT_JITCONFIG: options.jitConfig,
  };
}
