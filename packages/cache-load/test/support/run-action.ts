// Runs a bundled action the way the GitHub runner does: a child `node` process started in the
// workspace, inputs as INPUT_<NAME> variables (defaults taken from action.yml, as the runner does),
// and GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files read back afterwards.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  /** Workflow-command annotations the step printed (`::warning::...`), by kind. */
  warnings: string[];
  errors: string[];
  notices: string[];
}

export interface RunOptions {
  /** The action folder (holding action.yml and dist/). */
  actionDir: string;
  /** 'main' runs runs.main, 'post' runs runs.post. */
  step?: 'main' | 'post';
  inputs?: Record<string, string>;
  /** GITHUB_* and RUNNER_* variables of the job. */
  env: Record<string, string>;
  /** State saved by the main step, handed to the post step as STATE_<name> (as the runner does). */
  state?: Record<string, string>;
}

interface ActionYaml {
  inputs?: Record<string, { default?: string }>;
  runs: { using: string; main: string; post?: string };
}

/** The runner's rule: `INPUT_` + name upper-cased with spaces replaced by `_` (dashes stay). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * Parses the file-command format @actions/core writes: `name<<DELIMITER\nvalue\nDELIMITER\n`
 * (multi-line safe), and the older single-line `name=value`.
 */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const body: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) body.push(lines[i++] ?? '');
      if (i >= lines.length) throw new Error(`unterminated value for ${name} (delimiter ${delimiter})`);
      values[name!] = body.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`malformed file-command line: ${line}`);
    values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

function annotations(stdout: string, kind: string): string[] {
  const prefix = `::${kind}::`;
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(prefix) || line.startsWith(`::${kind} `))
    .map((line) => line.slice(line.indexOf('::', 2) + 2));
}

export async function runAction(options: RunOptions): Promise<ActionRun> {
  const action = parse(readFileSync(join(options.actionDir, 'action.yml'), 'utf8')) as ActionYaml;
  if (action.runs.using !== 'node24') throw new Error(`unexpected runs.using ${action.runs.using}`);
  const entry = options.step === 'post' ? action.runs.post : action.runs.main;
  if (!entry) throw new Error(`action has no ${options.step} entry`);

  const files = mkdtempSync(join(tmpdir(), 'harrier-runner-'));
  const outputFile = join(files, 'output');
  const stateFile = join(files, 'state');
  const summaryFile = join(files, 'summary');
  for (const file of [outputFile, stateFile, summaryFile]) writeFileSync(file, '');

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STATE: stateFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    ...options.env,
  };
  for (const [name, spec] of Object.entries(action.inputs ?? {})) {
    env[inputVariable(name)] = spec.default ?? '';
  }
  for (const [name, value] of Object.entries(options.inputs ?? {})) env[inputVariable(name)] = value;
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;

  const child = spawn(process.execPath, [join(options.actionDir, entry)], {
    cwd: options.env.GITHUB_WORKSPACE,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const outputs = parseFileCommands(readFileSync(outputFile, 'utf8'));
  const state = parseFileCommands(readFileSync(stateFile, 'utf8'));
  const summary = readFileSync(summaryFile, 'utf8');
  rmSync(files, { recursive: true, force: true });
  return {
    code,
    stdout,
    stderr,
    outputs,
    state,
    summary,
    warnings: annotations(stdout, 'warning'),
    errors: annotations(stdout, 'error'),
    notices: annotations(stdout, 'notice'),
  };
}
