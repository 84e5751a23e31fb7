/**
 * The runner context (who is running, on which branch, where) and the input paths, resolved
 * and validated once. Everything here is synchronous and pure apart from reading the event file.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import { CacheInputError } from './errors';

export interface RunContext {
  workspace: string;
  /** `owner/repo` */
  repository: string;
  /** GITHUB_REF_NAME, or for a pull request its head ref name. */
  branch: string;
  /** Directory under `<root>/node-modules/<owner>/<repo>/`: encodeURIComponent(branch) or `pull/<n>`. */
  scopeDir: string;
  /** Branch name or `pull/<n>` (used for outputs). */
  scopeLabel: string;
  baseBranch?: string;
  defaultBranch?: string;
  prNumber?: number;
  os: string;
  arch: string;
  runId: string;
  tempDir: string;
}

/** The default mount point of the cache bucket on a Harrier runner. */
export const DEFAULT_CACHE_ROOT = '/mnt/harrier-cache';
export const CACHE_ROOT_ENV = 'HARRIER_CACHE_ROOT';
/** The lockfiles looked for next to package.json when `key-files` is empty, in this order. */
export const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock'] as const;

const REQUIRED_ENV = [
  'GITHUB_WORKSPACE',
  'GITHUB_REPOSITORY',
  'GITHUB_REF_NAME',
  'RUNNER_OS',
  'RUNNER_ARCH',
  'RUNNER_TEMP',
] as const;
const REPOSITORY_PATTERN = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const PULL_REF_PATTERN = /^refs\/pull\/(\d+)\//;

interface EventPayload {
  repository?: { default_branch?: unknown };
  pull_request?: { number?: unknown; base?: { ref?: unknown } };
}

function readEvent(eventPath: string | undefined): EventPayload {
  if (!eventPath) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(eventPath, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    // The event file only refines the fallback order; without it the branch scope still works.
    return {};
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The directory name of a branch scope. Git forbids `..` and leading dots in ref components, but
 * the value comes from the environment, so refuse anything that would not be one directory.
 */
export function branchScopeDir(branch: string): string {
  const encoded = encodeURIComponent(branch);
  if (encoded === '' || encoded === '.' || encoded === '..') {
    throw new CacheInputError(`Branch name "${branch}" cannot be used as a cache scope.`);
  }
  return encoded;
}

export function readRunContext(env: NodeJS.ProcessEnv): RunContext {
  const missing = REQUIRED_ENV.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new CacheInputError(
      `Missing runner environment variable(s): ${missing.join(', ')}. The cache actions must run inside a GitHub Actions job.`,
    );
  }
  const repository = env.GITHUB_REPOSITORY!;
  if (
    !REPOSITORY_PATTERN.test(repository) ||
    repository.split('/').some((part) => part === '.' || part === '..')
  ) {
    throw new CacheInputError(`GITHUB_REPOSITORY "${repository}" is not of the form owner/repo.`);
  }
  const event = readEvent(env.GITHUB_EVENT_PATH);
  const headRef = nonEmptyString(env.GITHUB_HEAD_REF);
  const eventNumber = event.pull_request?.number;
  let prNumber: number | undefined =
    typeof eventNumber === 'number' && Number.isSafeInteger(eventNumber) && eventNumber > 0
      ? eventNumber
      : undefined;
  if (prNumber === undefined && headRef) {
    const match = PULL_REF_PATTERN.exec(env.GITHUB_REF ?? '');
    if (match) prNumber = Number(match[1]);
  }
  if (headRef && prNumber === undefined) {
    // Writing under the head branch's name would let a fork's `main` write into `main`.
    throw new CacheInputError(
      'This is a pull request (GITHUB_HEAD_REF is set) but its number is in neither GITHUB_EVENT_PATH nor GITHUB_REF.',
    );
  }
  const branch = headRef ?? env.GITHUB_REF_NAME!;
  const scopeLabel = prNumber === undefined ? branch : `pull/${prNumber}`;
  const context: RunContext = {
    workspace: path.resolve(env.GITHUB_WORKSPACE!),
    repository,
    branch,
    scopeDir: prNumber === undefined ? branchScopeDir(branch) : scopeLabel,
    scopeLabel,
    os: env.RUNNER_OS!,
    arch: env.RUNNER_ARCH!,
    runId: nonEmptyString(env.GITHUB_RUN_ID) ?? 'local',
    tempDir: path.resolve(env.RUNNER_TEMP!),
  };
  const baseBranch = nonEmptyString(env.GITHUB_BASE_REF) ?? nonEmptyString(event.pull_request?.base?.ref);
  if (baseBranch) context.baseBranch = baseBranch;
  const defaultBranch = nonEmptyString(event.repository?.default_branch);
  if (defaultBranch) context.defaultBranch = defaultBranch;
  if (prNumber !== undefined) context.prNumber = prNumber;
  return context;
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** The absolute directory to cache. It must lie strictly inside the workspace. */
export function resolveCachePath(workspace: string, input: string): string {
  const trimmed = input.trim() || 'node_modules';
  const resolved = path.resolve(workspace, trimmed);
  if (!isInside(path.resolve(workspace), resolved)) {
    throw new CacheInputError(
      `path "${trimmed}" resolves to ${resolved}, which is not inside the workspace ${workspace}. Use a directory inside the workspace, such as node_modules.`,
    );
  }
  return resolved;
}

/** The key files as absolute paths: the input's lines, or package.json plus whichever lockfiles exist. */
export function resolveKeyFiles(workspace: string, input: string): string[] {
  const root = path.resolve(workspace);
  const lines = input
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length === 0) {
    const candidates = ['package.json', ...LOCKFILES].map((name) => path.join(root, name));
    const found = candidates.filter((file) => isFile(file));
    if (found.length === 0) {
      throw new CacheInputError(
        `No key files found in ${root}: looked for package.json, ${LOCKFILES.join(', ')}. Set key-files to the files that describe your dependencies.`,
      );
    }
    return found;
  }
  return lines.map((line) => {
    const file = path.resolve(root, line);
    if (!isInside(root, file)) {
      throw new CacheInputError(`key-files entry "${line}" is not inside the workspace ${root}.`);
    }
    if (!isFile(file)) {
      throw new CacheInputError(`key-files entry "${line}" does not exist (looked for ${file}).`);
    }
    return file;
  });
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** input || HARRIER_CACHE_ROOT || /mnt/harrier-cache, as an absolute path. */
export function resolveCacheRoot(input: string, env: NodeJS.ProcessEnv): string {
  const chosen = input.trim() || nonEmptyString(env[CACHE_ROOT_ENV]) || DEFAULT_CACHE_ROOT;
  if (!path.isAbsolute(chosen)) {
    throw new CacheInputError(`cache-root "${chosen}" must be an absolute path.`);
  }
  return path.resolve(chosen);
}

/** True when the cache root is a directory this process can list and write into. */
export async function isCacheRootAvailable(root: string): Promise<boolean> {
  try {
    if (!(await stat(root)).isDirectory()) return false;
    await access(root, constants.R_OK | constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The module ABI of the `node` on PATH: the one `npm` builds native modules with, which is not
 * necessarily the action's own runtime. Falls back to this runtime's ABI when there is no node.
 */
export async function detectNodeAbi(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const output = await new Promise<string | undefined>((resolve) => {
    const child = spawn('node', ['-p', 'process.versions.modules'], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? stdout.trim() : undefined));
  });
  return output && /^\d+$/.test(output) ? output : process.versions.modules;
}

export type CacheMode = 'auto' | 'image' | 'tar';
export const CACHE_MODES: readonly CacheMode[] = ['auto', 'image', 'tar'];

/** The `mode` input: '' means auto. */
export function parseMode(input: string): CacheMode {
  const value = input.trim() || 'auto';
  if (!(CACHE_MODES as readonly string[]).includes(value)) {
    throw new CacheInputError(`mode "${value}" is not one of ${CACHE_MODES.join(', ')}.`);
  }
  return value as CacheMode;
}

/** Entries kept per branch when the `keep` input is empty. */
export const DEFAULT_KEEP = 2;

/** The `keep` input: a whole number of entries, at least 1. */
export function parseKeep(input: string): number {
  const value = input.trim();
  if (value === '') return DEFAULT_KEEP;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new CacheInputError(`keep "${value}" must be a whole number of entries, at least 1.`);
  }
  return Number(value);
}

/** The cached directory relative to the workspace, with `/` separators (recorded in manifests). */
export function cachePathName(workspace: string, cachePath: string): string {
  return path.relative(workspace, cachePath).split(path.sep).join('/');
}
