/** A workspace with real node_modules, a temporary cache root, and load/store calls with defaults. */
import path from 'node:path';
import type { RunContext } from '../../src/context';
import { loadCache, type LoadRequest, type LoadResult } from '../../src/load';
import { storeCache, type StoreRequest, type StoreResult } from '../../src/store';
import { recordingLogger, testContext, type RecordingLogger } from './context';
import { tempDir, workspaceWithModules, workspaceWithTinyModules } from './project';

export const NODE_ABI = process.versions.modules;

export interface Harness {
  workspace: string;
  modules: string;
  cacheRoot: string;
  runnerTemp: string;
  context: RunContext;
  log: RecordingLogger;
  store(overrides?: Partial<StoreRequest>): Promise<StoreResult>;
  load(overrides?: Partial<LoadRequest>): Promise<LoadResult>;
}

export async function harness(
  contextOverrides: Partial<RunContext> = {},
  cacheRoot?: string,
  options: { tiny?: boolean } = {},
): Promise<Harness> {
  const workspace = options.tiny ? await workspaceWithTinyModules() : await workspaceWithModules();
  const runnerTemp = await tempDir('runner-temp');
  const root = cacheRoot ?? (await tempDir('cache-root'));
  const context = testContext(workspace, runnerTemp, contextOverrides);
  const log = recordingLogger();
  const modules = path.join(workspace, 'node_modules');
  return {
    workspace,
    modules,
    cacheRoot: root,
    runnerTemp,
    context,
    log,
    store: (overrides = {}) =>
      storeCache({
        context,
        cacheRoot: root,
        path: modules,
        key: 'key-a',
        nodeAbi: NODE_ABI,
        mode: 'tar',
        keep: 2,
        log,
        ...overrides,
      }),
    load: (overrides = {}) =>
      loadCache({
        context,
        cacheRoot: root,
        path: modules,
        key: 'key-a',
        nodeAbi: NODE_ABI,
        mode: 'tar',
        restoreFromAnyBranch: false,
        log,
        ...overrides,
      }),
  };
}
