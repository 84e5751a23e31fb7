// Timing helpers for the benchmark: wall-clock seconds of a command or a promise, medians.
import { spawn } from 'node:child_process';

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion (output kept for the error message) and returns its wall seconds. */
export async function timeCommand(
  command: string,
  args: string[],
  options: CommandOptions = {},
): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output.slice(-2000)}`)),
    );
  });
  return (performance.now() - started) / 1000;
}

export async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Samples by measure name, in insertion order. */
export class Samples {
  private readonly samples = new Map<string, number[]>();

  add(name: string, seconds: number): void {
    const list = this.samples.get(name) ?? [];
    list.push(seconds);
    this.samples.set(name, list);
  }

  median(name: string): number {
    return median(this.samples.get(name) ?? []);
  }

  entries(): [string, number[]][] {
    return [...this.samples.entries()];
  }
}
