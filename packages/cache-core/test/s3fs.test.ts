import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { harness } from './helpers/harness';
import { cleanupScratch, sh, tempDir } from './helpers/project';
import { snapshotTree, treeDifferences } from './helpers/tree';

const BUCKET = 'harrier-cache';
/** s3rver's fixed credentials. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

async function isMounted(dir: string): Promise<boolean> {
  return (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .some((line) => line.split(' ')[4] === dir);
}

describe('a round trip through a real FUSE-mounted S3 bucket (s3fs over s3rver)', () => {
  let server: S3rver | undefined;
  let client: S3Client | undefined;
  let mountDir = '';

  before(async function () {
    if (process.getuid?.() !== 0) return this.skip(); // s3fs needs root to mount here
    if (!existsSync('/dev/fuse')) return this.skip(); // no FUSE device in this container
    if (!existsSync('/usr/bin/s3fs')) return this.skip(); // Debian package s3fs not installed
    this.timeout(60_000);
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: await tempDir('s3rver') });
    const { port } = await server.run();
    const endpoint = `http://127.0.0.1:${port}`;
    client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const secrets = await tempDir('s3fs-secrets');
    const passwd = path.join(secrets, 'passwd');
    await writeFile(passwd, `${CREDENTIALS.accessKeyId}:${CREDENTIALS.secretAccessKey}\n`, { mode: 0o600 });
    mountDir = await tempDir('s3fs-mount');
    await sh('s3fs', [
      BUCKET,
      mountDir,
      '-o',
      `url=${endpoint},use_path_request_style,passwd_file=${passwd}`,
    ]);
    assert.ok(await isMounted(mountDir), 's3fs mounted the bucket');
  });

  after(async () => {
    if (mountDir && (await isMounted(mountDir))) {
      await sh('umount', [mountDir]).catch(() => sh('umount', ['-l', mountDir]));
    }
    client?.destroy();
    await server?.close();
    await cleanupScratch();
  });

  it('stores a tar entry as objects in the bucket and restores it byte for byte', async () => {
    const h = await harness({}, mountDir);
    const before = await snapshotTree(h.modules, { includeRoot: true });

    const stored = await h.store();
    await rm(h.modules, { recursive: true });
    const loaded = await h.load();

    assert.equal(stored.stored, true, h.log.warnings().join('\n'));
    assert.equal(loaded.hit, true, h.log.warnings().join('\n'));
    assert.deepEqual(treeDifferences(before, await snapshotTree(h.modules, { includeRoot: true })), []);
    const listed = await client!.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'node-modules/octo-org/shop/main/' }),
    );
    // s3fs adds `dir/` marker objects for mkdir; Mountpoint does not. Only the entry's files matter.
    const keys = (listed.Contents ?? [])
      .map((object) => object.Key)
      .filter((key) => !key?.endsWith('/'))
      .sort();
    assert.deepEqual(keys, [
      `node-modules/octo-org/shop/main/${stored.entry}.json`,
      `node-modules/octo-org/shop/main/${stored.entry}.tar.zst`,
    ]);
  });
});
