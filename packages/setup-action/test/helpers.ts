// Shared test plumbing: inputs set the way the runner sets them, a throwaway infra program, the
// stand-in Pulumi CLI's call log, and a captured stdout (the action's log).
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const packageDir = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
export const repoRoot = join(packageDir, '..', '..');
/** The stand-in CLI's root: `<root>/bin/pulumi`, as PulumiCommand.get({ root }) expects. */
export const standinRoot = join(packageDir, 'test', 'fixtures', 'pulumi');

const tempDirs: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `harrier-setup-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

// A root-level hook: every temporary directory goes once all test files have run.
after(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A minimal program directory: Pulumi.yaml and an installed node_modules. */
export function makeProgramDir(): string {
  const dir = tempDir('program');
  writeFileSync(join(dir, 'Pulumi.yaml'), 'name: harrier\nruntime: nodejs\nmain: packages/infra\n');
  mkdirSync(join(dir, 'node_modules'));
  return dir;
}

/** The runner's encoding of an input name: INPUT_<NAME> with spaces as '_', upper-cased. */
export function inputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]),
  );
}

/** Sets env vars for the duration of `fn`, then restores the previous values. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

/** Runs `fn` with process.stdout captured (the action's log); restores exitCode set by setFailed. */
export async function captureLog<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; log: string; exitCode: number }> {
  const original = process.stdout.write.bind(process.stdout);
  let log = '';
  process.stdout.write = (chunk: string | Uint8Array) => {
    log += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    return true;
  };
  const exitBefore = process.exitCode;
  try {
    const result = await fn();
    const exitCode = Number(process.exitCode ?? 0);
    return { result, log, exitCode };
  } finally {
    process.stdout.write = original;
    process.exitCode = exitBefore;
  }
}

export interface StandinCall {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

/** Every command the stand-in Pulumi CLI received, in order, without the `version` probes. */
export function readCalls(standinDir: string): StandinCall[] {
  const file = join(standinDir, 'calls.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StandinCall)
    .filter((call) => call.argv[0] !== 'version');
}

/** The runner's file commands: `name<<delimiter\nvalue\ndelimiter` blocks → a map. */
export function readOutputFile(file: string): Record<string, string> {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const outputs: Record<string, string> = {};
  const re = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const match of text.matchAll(re)) outputs[match[1]!] = match[3]!;
  return outputs;
}

/** Runs an action's bundle as the runner does; resolves even when the step fails. */
export async function runBundle(
  actionDir: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
) {
  const runner = tempDir('runner');
  const files = {
    output: join(runner, 'output'),
    summary: join(runner, 'summary'),
    standin: join(runner, 'standin'),
  };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  const env = {
    PATH: `${standinRoot}/bin:${process.env.PATH}`,
    HOME: runner,
    GITHUB_WORKSPACE: runner,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: runner,
    PULUMI_STANDIN_DIR: files.standin,
    // The stand-in reports 3.200.0, older than this SDK's minimum.
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'true',
    ...inputEnv(inputs),
    ...extraEnv,
  };
  const result = await execFileAsync(process.execPath, [join(actionDir, 'dist', 'index.js')], {
    cwd: runner,
    env,
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  return {
    ...result,
    outputs: readOutputFile(files.output),
    summary: readFileSync(files.summary, 'utf8'),
    calls: readCalls(files.standin),
  };
}
