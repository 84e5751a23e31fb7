import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CacheInputError } from '../src/errors';
import { computeKey } from '../src/keys';
import { listEntries } from '../src/storage';
import { ORPHAN_AGE_MS } from '../src/store';
import { harness } from './helpers/harness';
import { MountpointLikeFs } from './helpers/mountpoint-fs';
import { plantEntry } from './helpers/plant';
import { cleanupScratch, tempDir } from './helpers/project';

const SCOPE = path.join('node-modules', 'octo-org', 'shop', 'main');
/** Bookkeeping tests need a real install's package files, not 1,900 files of node_modules. */
const TINY = { tiny: true };

describe('storing', () => {
  after(cleanupScratch);

  it('does nothing when the newest entry of the branch already has this key', async () => {
    const h = await harness({}, undefined, TINY);
    await h.store();

    const again = await h.store();

    assert.equal(again.stored, false);
    assert.match(again.reason, /^unchanged/);
    assert.equal((await listEntries(h.cacheRoot, 'octo-org/shop', 'main')).length, 1);
  });

  it('a changed package.json stores a new entry next to the old one', async () => {
    const h = await harness({}, undefined, TINY);
    const keyFiles = [path.join(h.workspace, 'package.json'), path.join(h.workspace, 'package-lock.json')];
    const before = await computeKey(keyFiles);
    await h.store({ key: before });
    await writeFile(path.join(h.workspace, 'package.json'), '{"name":"changed","dependencies":{}}\n');
    const after = await computeKey(keyFiles);

    const stored = await h.store({ key: after });

    assert.notEqual(after, before);
    assert.equal(stored.stored, true);
    assert.deepEqual(
      (await listEntries(h.cacheRoot, 'octo-org/shop', 'main')).map((entry) => entry.key),
      [after, before],
    );
  });

  it('a pull request stores under pull/<number>, never under its head branch', async () => {
    const h = await harness(
      { branch: 'main', scopeDir: 'pull/7', scopeLabel: 'pull/7', prNumber: 7 },
      undefined,
      TINY,
    );

    await h.store();

    assert.equal((await listEntries(h.cacheRoot, 'octo-org/shop', 'pull/7')).length, 1);
    assert.deepEqual(await listEntries(h.cacheRoot, 'octo-org/shop', 'main'), []);
  });

  it('two concurrent stores of the same branch both succeed and the newer one wins', async () => {
    const h = await harness({}, undefined, TINY);

    const [first, second] = await Promise.all([
      h.store({ key: 'key-first', now: () => 1_000_000 }),
      h.store({ key: 'key-second', now: () => 2_000_000 }),
    ]);

    assert.equal(first.stored, true);
    assert.equal(second.stored, true);
    assert.deepEqual(
      (await listEntries(h.cacheRoot, 'octo-org/shop', 'main')).map((entry) => entry.key),
      ['key-second', 'key-first'],
    );
    const loaded = await h.load({ key: 'key-unknown' });
    assert.equal(loaded.restoredKey, 'key-second');
  });

  it('prunes the branch down to keep, deleting each manifest before its data', async () => {
    const backing = await tempDir('backing');
    const root = `/harrier-virtual-cache-root-${randomBytes(4).toString('hex')}`;
    const fs = new MountpointLikeFs(root, backing);
    const h = await harness({}, root, TINY);
    const first = await h.store({ fs, key: 'key-1', now: () => 1_000_000 });
    await h.store({ fs, key: 'key-2', now: () => 2_000_000 });

    await h.store({ fs, key: 'key-3', now: () => 3_000_000 });

    assert.deepEqual(fs.violations, []);
    const unlinks = fs.operations.filter((operation) => operation.startsWith('unlink'));
    assert.deepEqual(unlinks, [
      `unlink ${SCOPE}/${first.entry}.json`,
      `unlink ${SCOPE}/${first.entry}.tar.zst`,
    ]);
    const names = await readdir(path.join(backing, SCOPE));
    assert.equal(names.length, 4);
    assert.equal(
      names.some((name) => name.startsWith(first.entry!)),
      false,
    );
  });

  it('prunes each OS/arch stream separately, so a matrix job keeps the other platform', async () => {
    const h = await harness({}, undefined, TINY);
    const arm = await plantEntry(h.cacheRoot, 'main', Buffer.from('arm'), {
      arch: 'ARM64',
      createdMs: 1_000,
    });

    await h.store({ key: 'key-1', keep: 1 });
    await h.store({ key: 'key-2', keep: 1 });

    const left = await listEntries(h.cacheRoot, 'octo-org/shop', 'main');
    assert.deepEqual(left.map((entry) => entry.key).sort(), ['key-2', arm.key].sort());
  });

  it('removes data files abandoned by crashed writers, but not a concurrent upload in progress', async () => {
    const h = await harness({}, undefined, TINY);
    const dir = path.join(h.cacheRoot, SCOPE);
    await mkdir(dir, { recursive: true });
    const now = Date.now();
    const abandoned = `${String(now - ORPHAN_AGE_MS - 1000).padStart(13, '0')}-0000000a.tar.zst`;
    const inProgress = `${String(now - 1000).padStart(13, '0')}-0000000b.tar.zst`;
    await writeFile(path.join(dir, abandoned), 'x');
    await writeFile(path.join(dir, inProgress), 'x');

    await h.store();

    const names = await readdir(dir);
    assert.equal(names.includes(abandoned), false);
    assert.equal(names.includes(inProgress), true);
  });

  it('refuses a keep below 1 and a path outside the workspace as input errors', async () => {
    const h = await harness({}, undefined, TINY);

    await assert.rejects(h.store({ keep: 0 }), CacheInputError);
    await assert.rejects(h.store({ path: path.dirname(h.workspace) }), CacheInputError);
  });

  it('warns and stores nothing when path does not exist', async () => {
    const h = await harness({}, undefined, TINY);

    const stored = await h.store({ path: path.join(h.workspace, 'missing') });

    assert.equal(stored.stored, false);
    assert.match(h.log.warnings().join('\n'), /missing is not a directory/);
  });
});
