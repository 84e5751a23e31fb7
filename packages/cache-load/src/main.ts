// cache-load: restore `path` from the newest matching entry under the cache root (or GitHub's
// cache off Harrier), set the outputs, and remember an image mount for the post step.
import * as actionsCache from '@actions/cache';
import {
  CacheInputError,
  computeKey,
  detectNodeAbi,
  isCacheRootAvailable,
  loadCache,
  readRunContext,
} from '@harrier/cache-core';
import { type GitHubCacheClient, restoreFromGitHub } from '@harrier/cache-core/github-fallback';
import { Outputs, State } from './constants';
import { readLoadInputs, type LoadInputValues } from './inputs';
import { type ActionIO, coreIO } from './shared/io';
import { summaryRows, type SummaryFacts } from './shared/summary';

export interface LoadDeps {
  io: ActionIO;
  env: NodeJS.ProcessEnv;
  /** GitHub's cache, used only when no cache root is mounted and `fallback` is `github`. */
  github: GitHubCacheClient;
}

export function defaultDeps(): LoadDeps {
  return { io: coreIO(), env: process.env, github: actionsCache };
}

interface LoadOutcome {
  hit: boolean;
  restoredKey: string;
  restoredBranch: string;
}

const NOTHING_RESTORED: LoadOutcome = { hit: false, restoredKey: '', restoredBranch: '' };
const SUMMARY_HEADING = 'Harrier cache-load';

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function setOutputs(io: ActionIO, outcome: LoadOutcome): void {
  io.setOutput(Outputs.CacheHit, String(outcome.hit));
  io.setOutput(Outputs.RestoredKey, outcome.restoredKey);
  io.setOutput(Outputs.RestoredBranch, outcome.restoredBranch);
}

async function writeSummary(io: ActionIO, facts: SummaryFacts): Promise<void> {
  try {
    await io.writeSummary(SUMMARY_HEADING, summaryRows(facts));
  } catch (error: unknown) {
    // No GITHUB_STEP_SUMMARY (an old runner, a local run) must not cost the restore.
    io.debug(`job summary not written: ${describe(error)}`);
  }
}

async function loadWithoutCacheRoot(
  deps: LoadDeps,
  inputs: LoadInputValues,
  parts: { os: string; arch: string; nodeAbi: string; key: string },
): Promise<void> {
  const { io } = deps;
  const started = Date.now();
  if (inputs.fallback === 'none') {
    io.notice(`No Harrier cache at ${inputs.cacheRoot} and fallback is 'none': nothing restored`);
    setOutputs(io, NOTHING_RESTORED);
    await writeSummary(io, { key: parts.key, seconds: 0, result: 'miss (no cache root)' });
    return;
  }
  io.info(`No Harrier cache at ${inputs.cacheRoot}: falling back to GitHub's cache`);
  const restored = await restoreFromGitHub({ client: deps.github, path: inputs.path, parts, log: io });
  setOutputs(io, { hit: restored.hit, restoredKey: restored.restoredKey, restoredBranch: '' });
  await writeSummary(io, {
    key: parts.key,
    entry: restored.restoredKey,
    format: 'GitHub cache',
    seconds: (Date.now() - started) / 1000,
    result: restored.hit ? 'hit' : restored.restoredKey ? 'partial (older key)' : 'miss',
  });
}

export async function run(deps: LoadDeps = defaultDeps()): Promise<void> {
  const { io, env } = deps;
  try {
    const context = readRunContext(env);
    const inputs = readLoadInputs((name) => io.getInput(name), env, context.workspace);
    const key = await computeKey(inputs.keyFiles);
    const nodeAbi = await detectNodeAbi(env);
    if (!(await isCacheRootAvailable(inputs.cacheRoot))) {
      await loadWithoutCacheRoot(deps, inputs, { os: context.os, arch: context.arch, nodeAbi, key });
      return;
    }
    const result = await loadCache({
      context,
      cacheRoot: inputs.cacheRoot,
      path: inputs.path,
      key,
      nodeAbi,
      mode: inputs.mode,
      restoreFromAnyBranch: inputs.restoreFromAnyBranch,
      log: io,
    });
    if (result.mount) io.saveState(State.Mount, JSON.stringify(result.mount));
    setOutputs(io, {
      hit: result.hit,
      restoredKey: result.restoredKey,
      restoredBranch: result.restoredBranch,
    });
    await writeSummary(io, {
      key,
      entry: result.entry,
      branch: result.restoredBranch,
      format: result.format,
      sizeBytes: result.sizeBytes,
      seconds: result.seconds,
      result: result.hit ? 'hit' : result.restoredKey ? 'partial (older key)' : 'miss',
    });
  } catch (error: unknown) {
    if (error instanceof CacheInputError) {
      io.setFailed(error.message);
      return;
    }
    // Issue 3: the job never fails because of the cache.
    io.warning(`cache-load: ${describe(error)}; continuing without cache`);
    setOutputs(io, NOTHING_RESTORED);
  }
}
