import assert from 'node:assert/strict';
import { mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunContext } from '../src/context';
import { loadCache, type LoadRequest } from '../src/load';
import { recordingLogger, testContext, type RecordingLogger } from './helpers/context';
import { craftTarZst } from './helpers/craft-tar';
import { NODE_ABI } from './helpers/harness';
import { plantEntry } from './helpers/plant';
import { cleanupScratch, tempDir } from './helpers/project';

/** A tiny real entry whose node_modules holds one file naming where it came from. */
function markedTar(marker: string): Buffer {
  return craftTarZst([
    { name: './', type: '5' },
    { name: './marker', type: '0', content: marker },
  ]);
}

interface Setup {
  cacheRoot: string;
  modules: string;
  log: RecordingLogger;
  load(
    overrides?: Partial<LoadRequest>,
  ): Promise<{ marker: string | undefined; hit: boolean; branch: string }>;
}

async function setup(contextOverrides: Partial<RunContext> = {}): Promise<Setup> {
  const cacheRoot = await tempDir('cache-root');
  const workspace = await tempDir('ws');
  const modules = path.join(workspace, 'node_modules');
  const context = testContext(workspace, await tempDir('runner-temp'), contextOverrides);
  const log = recordingLogger();
  return {
    cacheRoot,
    modules,
    log,
    load: async (overrides = {}) => {
      const result = await loadCache({
        context,
        cacheRoot,
        path: modules,
        key: 'key-a',
        nodeAbi: NODE_ABI,
        mode: 'tar',
        restoreFromAnyBranch: false,
        log,
        ...overrides,
      });
      const marker = await readFile(path.join(modules, 'marker'), 'utf8').catch(() => undefined);
      return { marker, hit: result.hit, branch: result.restoredBranch };
    },
  };
}

const feature: Partial<RunContext> = {
  branch: 'feature/login',
  scopeDir: 'feature%2Flogin',
  scopeLabel: 'feature/login',
};
const pullRequest: Partial<RunContext> = {
  branch: 'feature/login',
  scopeDir: 'pull/7',
  scopeLabel: 'pull/7',
  prNumber: 7,
  baseBranch: 'release',
  defaultBranch: 'main',
};

describe('loading picks the right entry', () => {
  after(cleanupScratch);

  it('restores the newest entry of its own branch', async () => {
    const s = await setup();
    await plantEntry(s.cacheRoot, 'main', markedTar('older'), { createdMs: 1_000 });
    await plantEntry(s.cacheRoot, 'main', markedTar('newer'), { createdMs: 2_000 });

    assert.deepEqual(await s.load(), { marker: 'newer', hit: true, branch: 'main' });
  });

  it('prefers the entry with the exact key over a newer one with another key', async () => {
    const s = await setup();
    await plantEntry(s.cacheRoot, 'main', markedTar('exact'), { createdMs: 1_000 });
    await plantEntry(s.cacheRoot, 'main', markedTar('other key'), { createdMs: 2_000, key: 'key-b' });

    assert.deepEqual(await s.load(), { marker: 'exact', hit: true, branch: 'main' });
  });

  it('restores an entry with another key, without reporting a hit', async () => {
    const s = await setup();
    await plantEntry(s.cacheRoot, 'main', markedTar('old deps'), { key: 'key-b' });

    assert.deepEqual(await s.load(), { marker: 'old deps', hit: false, branch: 'main' });
  });

  it('a new branch restores from the default branch', async () => {
    const s = await setup(feature);
    await plantEntry(s.cacheRoot, 'main', markedTar('from main'));

    assert.deepEqual(await s.load(), { marker: 'from main', hit: true, branch: 'main' });
  });

  it('a pull request looks in its own scope, then its base branch, then the default branch', async () => {
    const s = await setup(pullRequest);
    await plantEntry(s.cacheRoot, 'main', markedTar('main'), { createdMs: 3_000 });
    await plantEntry(s.cacheRoot, 'release', markedTar('release'), { createdMs: 1_000 });
    await plantEntry(s.cacheRoot, 'feature%2Flogin', markedTar('head branch'), { createdMs: 4_000 });
    assert.deepEqual(await s.load(), { marker: 'release', hit: true, branch: 'release' });

    await plantEntry(s.cacheRoot, 'pull/7', markedTar('pr'), { createdMs: 2_000 });
    assert.deepEqual(await s.load(), { marker: 'pr', hit: true, branch: 'pull/7' });
  });

  it('never restores another branch unless restoreFromAnyBranch is set, then the newest of any branch', async () => {
    const s = await setup(feature);
    await plantEntry(s.cacheRoot, 'other', markedTar('other'), { createdMs: 1_000 });
    await plantEntry(s.cacheRoot, 'pull/3', markedTar('pr 3'), { createdMs: 2_000 });

    assert.deepEqual(await s.load(), { marker: undefined, hit: false, branch: '' });
    assert.deepEqual(await s.load({ restoreFromAnyBranch: true }), {
      marker: 'pr 3',
      hit: true,
      branch: 'pull/3',
    });
  });

  it('never restores an entry of another OS, arch, Node ABI or cached path', async () => {
    const s = await setup();
    await plantEntry(s.cacheRoot, 'main', markedTar('macOS'), { os: 'macOS' });
    await plantEntry(s.cacheRoot, 'main', markedTar('arm'), { arch: 'ARM64' });
    await plantEntry(s.cacheRoot, 'main', markedTar('abi'), { nodeAbi: '1' });
    await plantEntry(s.cacheRoot, 'main', markedTar('web'), { pathName: 'web/node_modules' });

    assert.deepEqual(await s.load(), { marker: undefined, hit: false, branch: '' });
  });

  it('skips a corrupt entry with a warning and restores the next candidate', async () => {
    const s = await setup(feature);
    await plantEntry(s.cacheRoot, 'main', markedTar('good'));
    const bad = await plantEntry(s.cacheRoot, 'feature%2Flogin', markedTar('corrupt'));
    const dataPath = path.join(s.cacheRoot, 'node-modules/octo-org/shop/feature%2Flogin', bad.dataFile);
    const bytes = await readFile(dataPath);
    bytes[bytes.length - 5]! ^= 0xff;
    await writeFile(dataPath, bytes);

    assert.deepEqual(await s.load(), { marker: 'good', hit: true, branch: 'main' });
    assert.match(
      s.log.warnings().join('\n'),
      new RegExp(`Skipping cache entry ${bad.id} .*checksum mismatch`),
    );
  });

  it('skips a truncated entry with a warning', async () => {
    const s = await setup();
    const bad = await plantEntry(s.cacheRoot, 'main', markedTar('truncated'));
    await truncate(path.join(s.cacheRoot, 'node-modules/octo-org/shop/main', bad.dataFile), 10);

    assert.deepEqual(await s.load(), { marker: undefined, hit: false, branch: '' });
    assert.match(s.log.warnings().join('\n'), /truncated: 10 of/);
  });

  it('skips an entry whose data vanished (pruned meanwhile) and keeps the existing path', async () => {
    const s = await setup();
    await mkdir(s.modules, { recursive: true });
    await writeFile(path.join(s.modules, 'marker'), 'before');
    const gone = await plantEntry(s.cacheRoot, 'main', markedTar('gone'));
    await rm(path.join(s.cacheRoot, 'node-modules/octo-org/shop/main', gone.dataFile));

    assert.deepEqual(await s.load(), { marker: 'before', hit: false, branch: '' });
    assert.match(s.log.warnings().join('\n'), /ENOENT/);
  });
});
