import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { isCacheRootAvailable } from '../src/context';
import { CacheRoot, listEntries, nodeStorageFs, type StorageFs } from '../src/storage';
import { harness } from './helpers/harness';
import { MountpointLikeFs, RuleViolation } from './helpers/mountpoint-fs';
import { plantEntry } from './helpers/plant';
import { cleanupScratch, tempDir } from './helpers/project';
import { snapshotTree, treeDifferences } from './helpers/tree';

const SCOPE = path.join('node-modules', 'octo-org', 'shop', 'main');

function virtualRoot(): string {
  return `/harrier-virtual-cache-root-${randomBytes(4).toString('hex')}`;
}

describe('the storage rule (new files only, written front to back, never renamed or rewritten)', () => {
  after(cleanupScratch);

  it('a tar store and a load go through a Mountpoint-like root without a single refused operation', async () => {
    const backing = await tempDir('backing');
    const root = virtualRoot();
    const fs = new MountpointLikeFs(root, backing);
    const h = await harness({}, root);
    const before = await snapshotTree(h.modules, { includeRoot: true });

    const stored = await h.store({ fs });
    await rm(h.modules, { recursive: true });
    const loaded = await h.load({ fs });

    assert.deepEqual(fs.violations, []);
    assert.equal(stored.stored, true, h.log.warnings().join('\n'));
    assert.equal(loaded.hit, true, h.log.warnings().join('\n'));
    assert.deepEqual(treeDifferences(before, await snapshotTree(h.modules, { includeRoot: true })), []);
    const data = `${SCOPE}/${stored.entry}.tar.zst`;
    const manifest = `${SCOPE}/${stored.entry}.json`;
    assert.deepEqual(fs.operations, [
      `create ${data}`,
      `close ${data}`,
      `create ${manifest}`,
      `close ${manifest}`,
    ]);
  });

  it('the Mountpoint-like root refuses a write that seeks back (so the test above can fail)', async () => {
    const root = virtualRoot();
    const fs = new MountpointLikeFs(root, await tempDir('backing'));
    const handle = await fs.open(path.join(root, 'a'), 'wx');
    await handle.write(Buffer.from('abc'), 0, 3, 0);

    await assert.rejects(handle.write(Buffer.from('x'), 0, 1, 1), RuleViolation);
    assert.throws(() => fs.rename(), RuleViolation);
    await handle.close();
  });

  it('a new file never overwrites an existing one', async () => {
    const dir = await tempDir('root');
    await writeFile(path.join(dir, 'taken'), 'first');
    const cacheRoot = new CacheRoot(dir);

    await assert.rejects(cacheRoot.writeNewFile(path.join(dir, 'taken'), Buffer.from('second')), /EEXIST/);
    assert.equal(await readFile(path.join(dir, 'taken'), 'utf8'), 'first');
  });

  it('a file still being written is invisible to readers', async () => {
    const root = virtualRoot();
    const fs = new MountpointLikeFs(root, await tempDir('backing'));
    const cacheRoot = new CacheRoot(root, fs);
    const dir = cacheRoot.scopeDirPath('octo-org/shop', 'main');
    const writer = cacheRoot.createNewFile(path.join(dir, '1700000000000-0badcafe.json'));
    writer.write('{"formatVersion":');
    while (!fs.operations.some((operation) => operation.startsWith('create'))) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    assert.deepEqual(await cacheRoot.list(dir), []);
    writer.end('1}');
    await once(writer, 'finish');
    assert.deepEqual(await cacheRoot.list(dir), ['1700000000000-0badcafe.json']);
  });

  it('a data file without its manifest is never listed or restored', async () => {
    const h = await harness({}, undefined, { tiny: true });
    const dir = path.join(h.cacheRoot, SCOPE);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `${Date.now()}-00000000.tar.zst`), 'half an upload');

    const loaded = await h.load();

    assert.deepEqual(await listEntries(h.cacheRoot, 'octo-org/shop', 'main'), []);
    assert.equal(loaded.hit, false);
    assert.equal(loaded.restoredKey, '');
  });

  it('manifests that are corrupt, of a newer format version or naming another entry are ignored', async () => {
    const cacheRoot = await tempDir('cache-root');
    const good = await plantEntry(cacheRoot, 'main', Buffer.from('data'));
    await plantEntry(cacheRoot, 'main', Buffer.from('data'), { formatVersion: 2 as 1 });
    const other = await plantEntry(cacheRoot, 'main', Buffer.from('data'));
    const dir = path.join(cacheRoot, SCOPE);
    await writeFile(path.join(dir, `${other.id}.json`), '{"formatVersion": 1, "id": "truncated');
    await writeFile(
      path.join(dir, '1700000000000-12345678.json'),
      JSON.stringify({ ...good, id: 'someone-else' }),
    );

    const listed = await listEntries(cacheRoot, 'octo-org/shop', 'main');

    assert.deepEqual(
      listed.map((entry) => entry.id),
      [good.id],
    );
  });

  it('a cache root that is not a directory is unavailable, and loading from it is a miss with a warning', async () => {
    const h = await harness({}, undefined, { tiny: true });
    const notADirectory = path.join(h.runnerTemp, 'not-a-directory');
    await mkdir(h.runnerTemp, { recursive: true });
    await writeFile(notADirectory, '');

    const loaded = await h.load({ cacheRoot: notADirectory });

    assert.equal(await isCacheRootAvailable(notADirectory), false);
    assert.equal(await isCacheRootAvailable(h.cacheRoot), true);
    assert.equal(loaded.hit, false);
  });

  it('a full disk during a store is a warning and leaves no partial file behind', async () => {
    const h = await harness({}, undefined, { tiny: true });
    const fullAfterBytes = 100;
    let written = 0;
    const fullDisk: StorageFs = {
      ...nodeStorageFs,
      open: async (file, flags) => {
        const handle = await nodeStorageFs.open(file, flags);
        return {
          read: (...args) => handle.read(...args),
          close: () => handle.close(),
          write: async (buffer, offset, length, position) => {
            if (written + length > fullAfterBytes) {
              throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
            }
            written += length;
            return handle.write(buffer, offset, length, position);
          },
        };
      },
    };

    const stored = await h.store({ fs: fullDisk });

    assert.equal(stored.stored, false);
    assert.match(h.log.warnings().join('\n'), /ENOSPC/);
    assert.deepEqual(await readdir(path.join(h.cacheRoot, SCOPE)), []);
  });
});
