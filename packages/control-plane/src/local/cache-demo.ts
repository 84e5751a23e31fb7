/**
 * The cache actions' first (miss) and second (hit) run on a real project, as a workflow runs them:
 * the bundled `cache-load` / `cache-store` actions as child processes with `INPUT_*` variables and
 * GitHub's runner files (GITHUB_OUTPUT, GITHUB_STATE), a local directory as the cache root (what
 * Mountpoint gives a runner), `mode: tar`, and `npm ci` between load and store on the miss.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CACHE_LOAD_DIST = fileURLToPath(new URL('../../../cache-load/dist/index.js', import.meta.url));
export const CACHE_STORE_DIST = fileURLToPath(new URL('../../../cache-store/dist/index.js', import.meta.url));
/** The real small bench project in `shared/`, which sits beside the repository's clone. */
export const DEFAULT_PROJECT = fileURLToPath(
  new URL('../../../../../shared/bench/projects/small', import.meta.url),
);
/** An action that takes longer than this is reported failed (a hung child must not hang the demo). */
const ACTION_TIMEOUT_MS = 90_000;
const NPM_TIMEOUT_MS = 90_000;

export interface CacheStep {
  step: string;
  /** `ok`, `failed` or `skipped`. */
  result: 'ok' | 'failed' | 'skipped';
  ms: number;
  outputs: Record<string, string>;
  detail: string;
}

export interface CacheDemoResult {
  skipped?: string;
  steps: CacheStep[];
  /** Bytes under the cache root after the store. */
  entryBytes: number;
  nodeModulesFiles: number;
}

interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunOutput> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: performance.now() - started });
      },
    );
  });
}

/** Parses GITHUB_OUTPUT (`name<<delimiter` blocks or `name=value` lines). */
export function parseGitHubOutput(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i]!);
      outputs[name!] = value.join('\n');
    } else if (line.includes('=')) {
      const at = line.indexOf('=');
      outputs[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return outputs;
}

async function countFiles(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  if (!existsSync(dir)) return { files, bytes };
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

async function runAction(
  name: string,
  dist: string,
  workspace: string,
  root: string,
  cacheRoot: string,
  inputs: Record<string, string>,
): Promise<CacheStep> {
  const files = {
    output: join(root, `${name}.output`),
    state: join(root, `${name}.state`),
    summary: join(root, `${name}.summary`),
  };
  await Promise.all(Object.values(files).map((f) => writeFile(f, '')));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'acme/web',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_EVENT_NAME: 'push',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: process.arch === 'arm64' ? 'ARM64' : 'X64',
    RUNNER_TEMP: join(root, 'runner-temp'),
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    HARRIER_CACHE_ROOT: cacheRoot,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  const result = await run(process.execPath, [dist], { cwd: workspace, env, timeoutMs: ACTION_TIMEOUT_MS });
  const outputs = parseGitHubOutput(await readFile(files.output, 'utf8'));
  const warnings = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .filter((l) => l.startsWith('::warning') || l.startsWith('::error'))
    .join(' ');
  return {
    step: name,
    result: result.code === 0 ? 'ok' : 'failed',
    ms: result.ms,
    outputs,
    detail:
      result.code === 0 ? warnings : `exit ${result.code}: ${(warnings || result.stderr).slice(0, 300)}`,
  };
}

/** Runs load (miss) → npm ci → store, then load (hit) in a fresh workspace. */
export async function runCacheDemo(project = DEFAULT_PROJECT): Promise<CacheDemoResult> {
  for (const [name, dist] of [
    ['cache-load', CACHE_LOAD_DIST],
    ['cache-store', CACHE_STORE_DIST],
  ] as const) {
    if (!existsSync(dist))
      return {
        skipped: `${name} is not built yet (${dist} missing)`,
        steps: [],
        entryBytes: 0,
        nodeModulesFiles: 0,
      };
  }
  if (!existsSync(join(project, 'package.json'))) {
    return { skipped: `no project at ${project}`, steps: [], entryBytes: 0, nodeModulesFiles: 0 };
  }
  const root = await mkdtemp(join(tmpdir(), 'harrier-local-cache-'));
  try {
    const cacheRoot = join(root, 'cache-root');
    const workspaces = [join(root, 'run-1'), join(root, 'run-2')];
    await mkdir(cacheRoot);
    await mkdir(join(root, 'runner-temp'));
    for (const ws of workspaces) {
      await mkdir(ws);
      for (const file of ['package.json', 'package-lock.json']) {
        if (existsSync(join(project, file))) await copyFile(join(project, file), join(ws, file));
      }
    }
    const inputs = {
      path: 'node_modules',
      mode: 'tar',
      'cache-root': cacheRoot,
      fallback: 'none',
      'key-files': '',
    };
    const steps: CacheStep[] = [];
    steps.push(
      await runAction('load #1', CACHE_LOAD_DIST, workspaces[0]!, root, cacheRoot, {
        ...inputs,
        'restore-from-any-branch': 'false',
      }),
    );
    const npm = await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: workspaces[0]!,
      env: { ...process.env, npm_config_cache: join(root, 'npm-cache') },
      timeoutMs: NPM_TIMEOUT_MS,
    });
    steps.push({
      step: 'npm ci',
      result: npm.code === 0 ? 'ok' : 'failed',
      ms: npm.ms,
      outputs: {},
      detail: npm.code === 0 ? 'empty npm cache' : npm.stderr.slice(0, 300),
    });
    if (npm.code !== 0) {
      return {
        skipped: `npm ci failed (no registry access?): ${npm.stderr.slice(0, 200)}`,
        steps,
        entryBytes: 0,
        nodeModulesFiles: 0,
      };
    }
    const installed = await countFiles(join(workspaces[0]!, 'node_modules'));
    steps.push(
      await runAction('store #1', CACHE_STORE_DIST, workspaces[0]!, root, cacheRoot, {
        ...inputs,
        keep: '2',
      }),
    );
    const entry = await countFiles(cacheRoot);
    steps.push(
      await runAction('load #2', CACHE_LOAD_DIST, workspaces[1]!, root, cacheRoot, {
        ...inputs,
        'restore-from-any-branch': 'false',
      }),
    );
    const restored = await countFiles(join(workspaces[1]!, 'node_modules'));
    const last = steps[steps.length - 1]!;
    last.detail = `${restored.files} of ${installed.files} files restored${last.detail ? `; ${last.detail}` : ''}`;
    return { steps, entryBytes: entry.bytes, nodeModulesFiles: installed.files };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
