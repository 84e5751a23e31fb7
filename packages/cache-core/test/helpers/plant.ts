/** Put an entry into a cache root directly (data + manifest), the way another writer would have. */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dataFileName, manifestFileName, newEntryId, type EntryManifest } from '../../src/manifest';
import { NODE_ABI } from './harness';

export async function plantEntry(
  cacheRoot: string,
  scopeDir: string,
  data: Buffer,
  overrides: Partial<EntryManifest> = {},
): Promise<EntryManifest> {
  const createdMs = overrides.createdMs ?? Date.now();
  const id = overrides.id ?? newEntryId(createdMs);
  const format = overrides.format ?? 'tar';
  const manifest: EntryManifest = {
    formatVersion: 1,
    id,
    key: 'key-a',
    os: 'Linux',
    arch: 'X64',
    nodeAbi: NODE_ABI,
    format,
    compression: 'zstd',
    dataFile: dataFileName(id, format),
    sizeBytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    created: new Date(createdMs).toISOString(),
    createdMs,
    writerRunId: 'planted',
    repository: 'octo-org/shop',
    branch: scopeDir,
    pathName: 'node_modules',
    ...overrides,
  };
  const dir = path.join(cacheRoot, 'node-modules', 'octo-org', 'shop', ...scopeDir.split('/'));
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, manifest.dataFile), data);
  await writeFile(path.join(dir, manifestFileName(id)), JSON.stringify(manifest));
  return manifest;
}
