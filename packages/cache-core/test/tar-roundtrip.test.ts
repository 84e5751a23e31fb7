import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { listEntries } from '../src/storage';
import type { Toolbox } from '../src/tools';
import { detectToolbox } from '../src/tools';
import { harness } from './helpers/harness';
import { cleanupScratch, sh } from './helpers/project';
import { snapshotTree, treeDifferences } from './helpers/tree';

/** Extra shapes npm trees have but the small project may lack: an empty dir, odd modes, a dangling-free relative symlink. */
async function addEdgeCases(modules: string): Promise<void> {
  await mkdir(path.join(modules, '.harrier-empty', 'nested-empty'), { recursive: true });
  await writeFile(path.join(modules, '.harrier-script.sh'), '#!/bin/sh\necho hi\n');
  await chmod(path.join(modules, '.harrier-script.sh'), 0o751);
  await symlink('../.harrier-script.sh', path.join(modules, '.bin', 'harrier-script'));
  await utimes(
    path.join(modules, '.harrier-empty'),
    new Date('2021-02-03T04:05:06Z'),
    new Date('2021-02-03T04:05:06Z'),
  );
}

describe('tar entries', () => {
  after(cleanupScratch);

  it('a first load misses, then a store writes one complete tar entry describing itself', async () => {
    const h = await harness({}, undefined, { tiny: true });
    const missed = await h.load();
    assert.equal(missed.hit, false);
    assert.equal(missed.restoredKey, '');

    const stored = await h.store();

    assert.equal(stored.stored, true);
    assert.equal(stored.format, 'tar');
    const [entry, ...rest] = await listEntries(h.cacheRoot, 'octo-org/shop', 'main');
    assert.equal(rest.length, 0);
    assert.equal(entry!.id, stored.entry);
    assert.deepEqual(
      {
        key: entry!.key,
        os: entry!.os,
        arch: entry!.arch,
        format: entry!.format,
        writer: entry!.writerRunId,
        pathName: entry!.pathName,
        branch: entry!.branch,
      },
      {
        key: 'key-a',
        os: 'Linux',
        arch: 'X64',
        format: 'tar',
        writer: '1001',
        pathName: 'node_modules',
        branch: 'main',
      },
    );
    assert.equal(
      path.dirname(entry!.dataPath),
      path.join(h.cacheRoot, 'node-modules', 'octo-org', 'shop', 'main'),
    );
    assert.match(path.basename(entry!.dataPath), /^\d{13}-[0-9a-f]{8}\.tar\.zst$/);
    assert.equal(entry!.sizeBytes, stored.sizeBytes);
  });

  it('a restore reproduces node_modules exactly: contents, symlinks, modes, mtimes and empty directories', async () => {
    const h = await harness();
    await addEdgeCases(h.modules);
    const before = await snapshotTree(h.modules, { includeRoot: true });
    await h.store();
    await rm(h.modules, { recursive: true });

    const loaded = await h.load();

    assert.equal(loaded.hit, true, h.log.warnings().join('\n'));
    assert.equal(loaded.restoredKey, 'key-a');
    assert.equal(loaded.restoredBranch, 'main');
    assert.deepEqual(treeDifferences(before, await snapshotTree(h.modules, { includeRoot: true })), []);
    assert.ok(before.size > 1500, `expected a real node_modules, got ${before.size} entries`);
  });

  it('after a restore, npm install finds nothing to do', async () => {
    const h = await harness();
    await h.store();
    await rm(h.modules, { recursive: true });
    await h.load();

    const output = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], h.workspace);

    assert.match(output, /up to date/);
  });

  it('a restore replaces whatever was at path', async () => {
    const h = await harness({}, undefined, { tiny: true });
    await h.store();
    await writeFile(path.join(h.modules, 'stale-file'), 'left over');

    await h.load();

    assert.equal((await readdir(h.modules)).includes('stale-file'), false);
    const siblings = await readdir(h.workspace);
    assert.deepEqual(
      siblings.filter((name) => name.includes('harrier')),
      [],
    );
  });

  for (const variant of [
    { name: 'GNU tar with Node zstd', tools: { gnuTar: true, zstd: false } },
    { name: 'the tar npm package with Node zstd', tools: { gnuTar: false, zstd: false } },
  ]) {
    it(`the fallback path (${variant.name}) round-trips the same tree`, async () => {
      const h = await harness();
      const tools: Toolbox = { ...(await detectToolbox()), ...variant.tools };
      await addEdgeCases(h.modules);
      const before = await snapshotTree(h.modules, { includeRoot: true });
      const stored = await h.store({ tools });
      assert.equal(stored.stored, true, h.log.warnings().join('\n'));
      await rm(h.modules, { recursive: true });

      const loaded = await h.load({ tools });

      assert.equal(loaded.hit, true, h.log.warnings().join('\n'));
      assert.deepEqual(treeDifferences(before, await snapshotTree(h.modules, { includeRoot: true })), []);
    });
  }
});
