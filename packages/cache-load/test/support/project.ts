// Workspaces holding the real small bench project (../shared/bench/projects/small beside the repo): `npm ci`
// runs once per test run, every workspace copies that installed tree.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// shared/ sits beside the repository's clone (in CI too); HARRIER_BENCH_SHARED overrides.
export const SMALL_PROJECT = join(
  process.env.HARRIER_BENCH_SHARED ?? new URL('../../../../../shared', import.meta.url).pathname,
  'bench/projects/small',
);
const PROJECT_FILES = ['package.json', 'package-lock.json'];

export class Sandbox {
  readonly base = mkdtempSync(join(tmpdir(), 'harrier-e2e-'));
  readonly pristine = join(this.base, 'pristine');
  readonly runnerTemp = join(this.base, 'runner-temp');
  private counter = 0;

  /** Copies the project and runs `npm ci` once; every workspace starts from this tree. */
  install(): void {
    mkdirSync(this.pristine, { recursive: true });
    mkdirSync(this.runnerTemp, { recursive: true });
    for (const file of PROJECT_FILES) cpSync(join(SMALL_PROJECT, file), join(this.pristine, file));
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: this.pristine,
      stdio: 'pipe',
    });
  }

  dir(name: string): string {
    const dir = join(this.base, `${name}-${++this.counter}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** A checkout of the project, with the installed node_modules (after an install) or without. */
  workspace(options: { installed: boolean }): string {
    const ws = this.dir('ws');
    for (const file of PROJECT_FILES) cpSync(join(this.pristine, file), join(ws, file));
    if (options.installed) {
      // cp -a keeps modes, symlinks and times, like the install step would have left them.
      execFileSync('cp', ['-a', join(this.pristine, 'node_modules'), join(ws, 'node_modules')]);
    }
    return ws;
  }

  /** The job's GITHUB_* / RUNNER_* environment; `event` becomes the GITHUB_EVENT_PATH file. */
  jobEnv(
    ws: string,
    job: { branch?: string; headRef?: string; baseRef?: string; event?: object } = {},
  ): Record<string, string> {
    const eventPath = join(this.dir('event'), 'event.json');
    writeFileSync(
      eventPath,
      JSON.stringify(job.event ?? { repository: { default_branch: 'main', full_name: 'acme/shop' } }),
    );
    return {
      GITHUB_WORKSPACE: ws,
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_REF_NAME: job.branch ?? 'main',
      GITHUB_HEAD_REF: job.headRef ?? '',
      GITHUB_BASE_REF: job.baseRef ?? '',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_RUN_ID: String(1000 + this.counter),
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_TEMP: this.runnerTemp,
    };
  }

  /** Unmounts anything a failed test left mounted below the sandbox, then deletes it. */
  dispose(): void {
    const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).stdout ?? '';
    for (const target of mounts
      .split('\n')
      .filter((t) => t.startsWith(this.base))
      .reverse()) {
      spawnSync('umount', ['-l', target]);
    }
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** `npm install` in a workspace; returns its output. */
export function npmInstall(ws: string): string {
  return execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: ws,
    encoding: 'utf8',
    stdio: 'pipe',
  });
}
