/**
 * cache-store's logic: skip when the branch already has this key; otherwise write a new entry
 * (data file first, manifest last, both new files written in one pass) and prune older ones.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { cachePathName, resolveCachePath, type CacheMode, type RunContext } from './context';
import { CacheInputError, errorMessage } from './errors';
import { buildImage } from './image';
import type { Logger } from './logger';
import {
  createdMsOfId,
  dataFileName,
  entryIdOf,
  MANIFEST_FORMAT_VERSION,
  MANIFEST_SUFFIX,
  newEntryId,
  type EntryFormat,
  type EntryManifest,
} from './manifest';
import { CacheRoot, type ListedEntry, type StorageFs } from './storage';
import { createTarStream } from './tar-archive';
import { canMountImages, toolbox, type Toolbox } from './tools';
import { copyWithDigest, formatMb, formatRate, type TransferResult } from './transfer';

/**
 * A data file without a manifest this old is an abandoned write (the writer crashed); younger ones
 * may be a concurrent store still uploading.
 */
export const ORPHAN_AGE_MS = 60 * 60 * 1000;

export interface StoreRequest {
  context: RunContext;
  cacheRoot: string;
  /** Absolute path of the directory to store (from resolveCachePath). */
  path: string;
  key: string;
  nodeAbi: string;
  mode: CacheMode;
  /** Entries kept per branch (per OS/arch/ABI/path), at least 1. */
  keep: number;
  log: Logger;
  /** @default the real file system */
  fs?: StorageFs;
  /** @default the detected toolbox */
  tools?: Toolbox;
  /** @default Date.now */
  now?: () => number;
}

export interface StoreResult {
  stored: boolean;
  key: string;
  /** Why (not) stored, for the log and the job summary. */
  reason: string;
  format?: EntryFormat;
  entry?: string;
  sizeBytes?: number;
  seconds: number;
}

/** Which format a store writes for `mode` on this machine, and why. */
export function chooseStoreFormat(mode: CacheMode, tools: Toolbox): { format: EntryFormat; why: string } {
  if (mode === 'tar') return { format: 'tar', why: 'mode tar' };
  if (mode === 'image') {
    return tools.mksquashfs
      ? { format: 'image', why: 'mode image' }
      : { format: 'tar', why: 'mode image, but mksquashfs is not installed: storing a tar instead' };
  }
  if (!tools.mksquashfs) return { format: 'tar', why: 'mode auto: mksquashfs is not installed' };
  if (!canMountImages(tools)) {
    return {
      format: 'tar',
      why: 'mode auto: this runner cannot mount images (needs root or sudo, loop, overlay)',
    };
  }
  return { format: 'image', why: 'mode auto: this runner can mount squashfs images' };
}

interface Stream {
  os: string;
  arch: string;
  nodeAbi: string;
  pathName: string;
}

function sameStream(entry: ListedEntry, stream: Stream): boolean {
  return (
    entry.os === stream.os &&
    entry.arch === stream.arch &&
    entry.nodeAbi === stream.nodeAbi &&
    entry.pathName === stream.pathName
  );
}

async function writeTarData(
  root: CacheRoot,
  sourceDir: string,
  dataPath: string,
  tools: Toolbox,
  log: Logger,
): Promise<TransferResult> {
  const source = createTarStream(sourceDir, tools);
  try {
    const copied = await copyWithDigest(source.stream, root.createNewFile(dataPath), {
      label: 'Storing tar',
      log,
    });
    await source.done;
    return copied;
  } catch (error) {
    source.abort();
    await root.remove(dataPath).catch(() => undefined);
    throw error;
  }
}

async function writeImageData(
  root: CacheRoot,
  sourceDir: string,
  dataPath: string,
  tempDir: string,
  log: Logger,
): Promise<TransferResult> {
  await mkdir(tempDir, { recursive: true });
  const localDir = await mkdtemp(path.join(tempDir, 'harrier-store-'));
  try {
    const image = path.join(localDir, 'image.sqsh');
    const started = performance.now();
    await buildImage(sourceDir, image);
    log.debug(`mksquashfs took ${((performance.now() - started) / 1000).toFixed(2)} s`);
    const size = (await stat(image)).size;
    try {
      return await copyWithDigest(createReadStream(image), root.createNewFile(dataPath), {
        label: 'Storing image',
        log,
        totalBytes: size,
      });
    } catch (error) {
      await root.remove(dataPath).catch(() => undefined);
      throw error;
    }
  } finally {
    await rm(localDir, { recursive: true, force: true });
  }
}

/**
 * Delete this stream's entries beyond the newest `keep` (manifest first, so readers stop seeing
 * an entry before its data goes), and data files abandoned by crashed writers.
 */
export async function pruneScope(
  root: CacheRoot,
  repository: string,
  scopeDir: string,
  stream: Stream,
  keep: number,
  nowMs: number,
  log: Logger,
): Promise<number> {
  const entries = (await root.listEntries(repository, scopeDir, log)).filter((entry) =>
    sameStream(entry, stream),
  );
  let removed = 0;
  for (const entry of entries.slice(keep)) {
    await root.remove(entry.manifestPath);
    await root.remove(entry.dataPath);
    log.info(`Pruned cache entry ${entry.id} (${formatMb(entry.sizeBytes)}).`);
    removed++;
  }
  const dir = root.scopeDirPath(repository, scopeDir);
  const names = await root.list(dir);
  const withManifest = new Set(
    names.filter((name) => name.endsWith(MANIFEST_SUFFIX)).map((name) => entryIdOf(name)),
  );
  for (const name of names) {
    const id = entryIdOf(name);
    if (id === undefined || name.endsWith(MANIFEST_SUFFIX) || withManifest.has(id)) continue;
    if (nowMs - createdMsOfId(id) > ORPHAN_AGE_MS) {
      await root.remove(path.join(dir, name));
      log.info(`Removed abandoned cache data file ${name}.`);
      removed++;
    }
  }
  return removed;
}

/** Store `req.path` as a new entry. Throws only CacheInputError; anything else is a warning and stored=false. */
export async function storeCache(req: StoreRequest): Promise<StoreResult> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  if (!Number.isSafeInteger(req.keep) || req.keep < 1) {
    throw new CacheInputError(`keep must be a whole number of entries, at least 1 (got ${req.keep}).`);
  }
  resolveCachePath(req.context.workspace, req.path);
  const now = req.now ?? Date.now;
  const { context, log } = req;
  const stream: Stream = {
    os: context.os,
    arch: context.arch,
    nodeAbi: req.nodeAbi,
    pathName: cachePathName(context.workspace, req.path),
  };
  const notStored = (reason: string): StoreResult => ({
    stored: false,
    key: req.key,
    reason,
    seconds: seconds(),
  });
  try {
    const info = await stat(req.path).catch(() => undefined);
    if (!info?.isDirectory()) {
      log.warning(`Not storing the cache: ${req.path} is not a directory.`);
      return notStored(`${stream.pathName} is not a directory`);
    }
    const tools = req.tools ?? (await toolbox());
    const { format, why } = chooseStoreFormat(req.mode, tools);
    log.info(`Storing as ${format} (${why}).`);
    const root = new CacheRoot(req.cacheRoot, req.fs);
    const newest = (await root.listEntries(context.repository, context.scopeDir, log)).find((entry) =>
      sameStream(entry, stream),
    );
    if (newest && newest.key === req.key && newest.format === format) {
      const reason = `unchanged: the newest entry of ${context.scopeLabel} (${newest.id}) already has this key`;
      log.info(`Not storing the cache: ${reason}.`);
      return notStored(reason);
    }
    const createdMs = now();
    const id = newEntryId(createdMs);
    const dataFile = dataFileName(id, format);
    const paths = root.entryPaths(context.repository, context.scopeDir, id, dataFile);
    const written =
      format === 'tar'
        ? await writeTarData(root, req.path, paths.data, tools, log)
        : await writeImageData(root, req.path, paths.data, context.tempDir, log);
    const manifest: EntryManifest = {
      formatVersion: MANIFEST_FORMAT_VERSION,
      id,
      key: req.key,
      os: stream.os,
      arch: stream.arch,
      nodeAbi: stream.nodeAbi,
      format,
      compression: 'zstd',
      dataFile,
      sizeBytes: written.bytes,
      sha256: written.sha256,
      created: new Date(createdMs).toISOString(),
      createdMs,
      writerRunId: context.runId,
      repository: context.repository,
      branch: context.scopeLabel,
      pathName: stream.pathName,
    };
    try {
      // Written last: its existence is what makes the entry visible and complete.
      await root.writeNewFile(paths.manifest, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    } catch (error) {
      await root.remove(paths.manifest).catch(() => undefined);
      await root.remove(paths.data).catch(() => undefined);
      throw error;
    }
    log.info(
      `Stored ${format} entry ${id} for ${context.scopeLabel}: ${formatMb(written.bytes)} in ${seconds().toFixed(2)} s (${formatRate(written.bytes, written.seconds)} to the cache root).`,
    );
    try {
      await pruneScope(root, context.repository, context.scopeDir, stream, req.keep, createdMs, log);
    } catch (error) {
      log.warning(`Could not prune old cache entries: ${errorMessage(error)}`);
    }
    return {
      stored: true,
      key: req.key,
      reason: 'stored',
      format,
      entry: id,
      sizeBytes: written.bytes,
      seconds: seconds(),
    };
  } catch (error) {
    if (error instanceof CacheInputError) throw error;
    log.warning(`Cache store failed, continuing without storing: ${errorMessage(error)}`);
    return notStored(`failed: ${errorMessage(error)}`);
  }
}
