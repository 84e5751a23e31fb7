// cache-store: after the install step, write `path` as a new entry under the cache root (or to
// GitHub's cache off Harrier) unless the branch's newest entry already has this key.
import * as actionsCache from '@actions/cache';
import {
  CacheInputError,
  computeKey,
  detectNodeAbi,
  isCacheRootAvailable,
  readRunContext,
  storeCache,
} from '@harrier/cache-core';
import { type GitHubCacheClient, saveToGitHub } from '@harrier/cache-core/github-fallback';
import { type ActionIO, coreIO } from '../../cache-load/src/shared/io';
import { summaryRows, type SummaryFacts } from '../../cache-load/src/shared/summary';
import { Outputs } from './constants';
import { readStoreInputs } from './inputs';

export interface StoreDeps {
  io: ActionIO;
  env: NodeJS.ProcessEnv;
  /** GitHub's cache, used only when no cache root is mounted and `fallback` is `github`. */
  github: GitHubCacheClient;
}

export function defaultDeps(): StoreDeps {
  return { io: coreIO(), env: process.env, github: actionsCache };
}

const SUMMARY_HEADING = 'Harrier cache-store';

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function setOutputs(io: ActionIO, stored: boolean, key: string): void {
  io.setOutput(Outputs.Stored, String(stored));
  io.setOutput(Outputs.Key, key);
}

async function writeSummary(io: ActionIO, facts: SummaryFacts): Promise<void> {
  try {
    await io.writeSummary(SUMMARY_HEADING, summaryRows(facts));
  } catch (error: unknown) {
    io.debug(`job summary not written: ${describe(error)}`);
  }
}

export async function run(deps: StoreDeps = defaultDeps()): Promise<void> {
  const { io, env } = deps;
  let key = '';
  try {
    const context = readRunContext(env);
    const inputs = readStoreInputs((name) => io.getInput(name), env, context.workspace);
    key = await computeKey(inputs.keyFiles);
    const nodeAbi = await detectNodeAbi(env);
    const started = Date.now();
    if (!(await isCacheRootAvailable(inputs.cacheRoot))) {
      if (inputs.fallback === 'none') {
        io.notice(`No Harrier cache at ${inputs.cacheRoot} and fallback is 'none': nothing stored`);
        setOutputs(io, false, key);
        await writeSummary(io, { key, seconds: 0, result: 'not stored (no cache root)' });
        return;
      }
      io.info(`No Harrier cache at ${inputs.cacheRoot}: falling back to GitHub's cache`);
      const saved = await saveToGitHub({
        client: deps.github,
        path: inputs.path,
        parts: { os: context.os, arch: context.arch, nodeAbi, key },
        log: io,
      });
      setOutputs(io, saved.stored, key);
      await writeSummary(io, {
        key,
        entry: saved.key,
        format: 'GitHub cache',
        seconds: (Date.now() - started) / 1000,
        result: saved.stored ? 'stored' : `not stored (${saved.reason})`,
      });
      return;
    }
    const result = await storeCache({
      context,
      cacheRoot: inputs.cacheRoot,
      path: inputs.path,
      key,
      nodeAbi,
      mode: inputs.mode,
      keep: inputs.keep,
      log: io,
    });
    setOutputs(io, result.stored, result.key);
    await writeSummary(io, {
      key: result.key,
      entry: result.entry,
      branch: context.scopeLabel,
      format: result.format,
      sizeBytes: result.sizeBytes,
      seconds: result.seconds,
      result: result.stored ? 'stored' : `not stored (${result.reason})`,
    });
  } catch (error: unknown) {
    if (error instanceof CacheInputError) {
      io.setFailed(error.message);
      return;
    }
    // Issue 3: the job never fails because of the cache.
    io.warning(`cache-store: ${describe(error)}; nothing stored`);
    setOutputs(io, false, key);
  }
}
