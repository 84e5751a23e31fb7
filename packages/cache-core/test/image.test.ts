import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { releaseMount } from '../src/image';
import { chooseStoreFormat } from '../src/store';
import { canMountImages, detectToolbox, type Toolbox } from '../src/tools';
import { harness } from './helpers/harness';
import { MountpointLikeFs } from './helpers/mountpoint-fs';
import { cleanupScratch, sh, tempDir } from './helpers/project';
import { snapshotTree, treeDifferences } from './helpers/tree';

async function mountPoints(): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .filter(Boolean)
    .map((line) =>
      (line.split(' ')[4] ?? '').replace(/\\(\d{3})/g, (_, octal: string) =>
        String.fromCharCode(parseInt(octal, 8)),
      ),
    );
}

describe('image entries', () => {
  let tools: Toolbox;
  const mounted: Array<Parameters<typeof releaseMount>[0]> = [];

  before(async function () {
    tools = await detectToolbox();
    if (!tools.mksquashfs || !canMountImages(tools)) {
      this.skip(); // needs root (or passwordless sudo), loop devices, squashfs and overlayfs
    }
  });
  afterEach(async () => {
    for (const state of mounted.splice(0)) await releaseMount(state, { info() {}, warning() {}, debug() {} });
  });
  after(cleanupScratch);

  it('auto stores an image where images can be mounted and a tar elsewhere', () => {
    assert.equal(
      chooseStoreFormat('auto', { ...tools, privilege: 'root', mountSupport: true }).format,
      'image',
    );
    assert.equal(chooseStoreFormat('auto', { ...tools, privilege: 'none' }).format, 'tar');
    assert.equal(chooseStoreFormat('auto', { ...tools, mksquashfs: false }).format, 'tar');
    assert.equal(chooseStoreFormat('image', { ...tools, mksquashfs: false }).format, 'tar');
    assert.equal(chooseStoreFormat('tar', tools).format, 'tar');
  });

  it('a load mounts the image read-only under a writable overlay at path, with the stored tree', async () => {
    const h = await harness();
    const before = await snapshotTree(h.modules);
    const stored = await h.store({ mode: 'auto' });
    assert.equal(stored.format, 'image');
    await rm(h.modules, { recursive: true });

    const loaded = await h.load({ mode: 'auto' });
    if (loaded.mount) mounted.push(loaded.mount);

    assert.equal(loaded.hit, true, h.log.warnings().join('\n'));
    assert.equal(loaded.format, 'image');
    assert.ok(loaded.mount);
    assert.ok((await mountPoints()).includes(h.modules));
    assert.deepEqual(treeDifferences(before, await snapshotTree(h.modules)), []);
    await writeFile(path.join(h.modules, 'written-after-restore'), 'ok');
    assert.deepEqual(await readdir(path.join(loaded.mount.workDirs[0]!, 'upper')), ['written-after-restore']);
    assert.match(
      h.log.lines.map((line) => line.msg).join('\n'),
      /Storing as image \(mode auto: this runner can mount/,
    );
  });

  it('npm install on the mounted overlay finds nothing to do', async () => {
    const h = await harness();
    await h.store({ mode: 'image' });
    await rm(h.modules, { recursive: true });
    const loaded = await h.load({ mode: 'image' });
    if (loaded.mount) mounted.push(loaded.mount);

    const output = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], h.workspace);

    assert.match(output, /up to date/);
  });

  it('releaseMount leaves nothing mounted and removes its temporary directories, even when busy', async () => {
    const h = await harness({}, undefined, { tiny: true });
    await h.store({ mode: 'image' });
    const loaded = await h.load({ mode: 'image' });
    const state = loaded.mount!;
    const busy = spawn('sleep', ['30'], { cwd: path.join(h.modules, 'left-pad'), stdio: 'ignore' });
    try {
      await releaseMount(state, h.log);
    } finally {
      busy.kill();
    }

    const points = await mountPoints();
    assert.equal(points.includes(h.modules), false);
    assert.equal(points.includes(state.lowerDir), false);
    assert.equal(existsSync(state.workDirs[0]!), false);
    assert.match(h.log.lines.map((line) => line.msg).join('\n'), /busy .*unmounting lazily/);
  });

  it('an image store goes through a Mountpoint-like root as one sequential new file, built on local disk first', async () => {
    const root = `/harrier-virtual-cache-root-${randomBytes(4).toString('hex')}`;
    const fs = new MountpointLikeFs(root, await tempDir('backing'));
    const h = await harness({}, root, { tiny: true });

    const stored = await h.store({ mode: 'image', fs });
    const loaded = await h.load({ mode: 'image', fs });
    if (loaded.mount) mounted.push(loaded.mount);

    assert.deepEqual(fs.violations, []);
    assert.equal(stored.format, 'image');
    assert.equal(loaded.hit, true, h.log.warnings().join('\n'));
    assert.deepEqual(
      fs.operations.map((operation) => operation.replace(/\/\d{13}-[0-9a-f]{8}/, '/<id>')),
      [
        'create node-modules/octo-org/shop/main/<id>.sqsh',
        'close node-modules/octo-org/shop/main/<id>.sqsh',
        'create node-modules/octo-org/shop/main/<id>.json',
        'close node-modules/octo-org/shop/main/<id>.json',
      ],
    );
  });

  it('where images cannot be mounted, an image entry is extracted instead, with the same tree', async () => {
    const h = await harness();
    const before = await snapshotTree(h.modules, { includeRoot: true });
    await h.store({ mode: 'image' });
    await rm(h.modules, { recursive: true });

    const loaded = await h.load({ mode: 'auto', tools: { ...tools, privilege: 'none' } });

    assert.equal(loaded.hit, true, h.log.warnings().join('\n'));
    assert.equal(loaded.mount, undefined);
    assert.deepEqual(treeDifferences(before, await snapshotTree(h.modules, { includeRoot: true })), []);
    assert.match(
      h.log.lines.map((line) => line.msg).join('\n'),
      /cannot mount images here .*extracted instead/,
    );
  });
});
