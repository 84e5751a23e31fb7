/** Child processes for the external tools (tar, zstd, mksquashfs, mount), with errors that say why. */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { CommandError } from './errors';

/** Keep this much of a tool's stderr for the error message. */
const STDERR_TAIL_CHARS = 2000;

export interface Spawned {
  child: ChildProcess;
  /** Resolves on exit code 0 (or an allowed one); rejects with a {@link CommandError}. */
  done: Promise<void>;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdin?: 'ignore' | 'pipe';
  stdout?: 'ignore' | 'pipe';
  /** Exit codes that still count as success. */
  okCodes?: number[];
}

export function spawnTool(command: string, args: string[], options: SpawnOptions = {}): Spawned {
  const stdio: StdioOptions = [options.stdin ?? 'ignore', options.stdout ?? 'ignore', 'pipe'];
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });
  const okCodes = options.okCodes ?? [0];
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (error) =>
      reject(new CommandError(`${command} could not be started: ${error.message}`, null, stderr)),
    );
    child.on('close', (code, signal) => {
      if (code !== null && okCodes.includes(code)) return resolve();
      const how = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`;
      const detail = stderr.trim() ? `: ${stderr.trim()}` : '';
      reject(new CommandError(`${command} ${how}${detail}`, code, stderr));
    });
  });
  // A caller that kills the child on another failure still awaits `done`; never leave it unhandled.
  done.catch(() => undefined);
  return { child, done };
}

/** Run a tool to completion and return its stdout. */
export async function runTool(command: string, args: string[], options: SpawnOptions = {}): Promise<string> {
  const spawned = spawnTool(command, args, { ...options, stdout: 'pipe' });
  let stdout = '';
  spawned.child.stdout?.setEncoding('utf8');
  spawned.child.stdout?.on('data', (chunk: string) => (stdout += chunk));
  await spawned.done;
  return stdout;
}
