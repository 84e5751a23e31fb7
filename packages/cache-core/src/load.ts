/**
 * cache-load's logic: pick the best entry along the fallback order, copy it to local disk,
 * verify it, and restore it at `path` (extract, or mount an image). Storage problems are warnings.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { branchScopeDir, cachePathName, resolveCachePath, type CacheMode, type RunContext } from './context';
import { CacheInputError, CacheStorageError, errorMessage } from './errors';
import { extractImage, mountImage, type MountState } from './image';
import type { Logger } from './logger';
import type { EntryFormat } from './manifest';
import { replaceDirectory } from './replace';
import { CacheRoot, type ListedEntry, type StorageFs } from './storage';
import { extractTarFile, startTarListing } from './tar-archive';
import { canMountImages, toolbox, type Toolbox } from './tools';
import { copyWithDigest, formatMb, formatRate } from './transfer';

export interface LoadRequest {
  context: RunContext;
  cacheRoot: string;
  /** Absolute path of the directory to restore (from resolveCachePath). */
  path: string;
  key: string;
  nodeAbi: string;
  mode: CacheMode;
  restoreFromAnyBranch: boolean;
  log: Logger;
  /** @default the real file system */
  fs?: StorageFs;
  /** @default the detected toolbox */
  tools?: Toolbox;
}

export interface LoadResult {
  hit: boolean;
  restoredKey: string;
  restoredBranch: string;
  format?: EntryFormat;
  /** Entry id (`<created-ms>-<rand>`). */
  entry?: string;
  sizeBytes?: number;
  seconds: number;
  /** Set when an image was mounted: cache-load saves it for its post step (releaseMount). */
  mount?: MountState;
}

/** What a restore must match to be usable at all, and the key that makes it an exact hit. */
interface Wanted {
  key: string;
  os: string;
  arch: string;
  nodeAbi: string;
  pathName: string;
}

interface Candidate {
  entry: ListedEntry;
  /** Branch name or `pull/<n>`. */
  label: string;
}

function scopeLabelOf(scopeDir: string): string {
  if (scopeDir.startsWith('pull/')) return scopeDir;
  try {
    return decodeURIComponent(scopeDir);
  } catch {
    return scopeDir;
  }
}

/**
 * Only entries of the same OS, arch, Node ABI and cached path are restored: native modules built
 * for another ABI or platform would make `npm install` report "up to date" and then crash.
 */
function isCompatible(entry: ListedEntry, wanted: Wanted): boolean {
  return (
    entry.os === wanted.os &&
    entry.arch === wanted.arch &&
    entry.nodeAbi === wanted.nodeAbi &&
    entry.pathName === wanted.pathName
  );
}

/** The scopes to look in, in order: this branch or PR, the PR's base branch, the default branch. */
export function fallbackScopes(context: RunContext): Array<{ scopeDir: string; label: string }> {
  const scopes = [{ scopeDir: context.scopeDir, label: context.scopeLabel }];
  for (const branch of [context.baseBranch, context.defaultBranch]) {
    if (branch === undefined) continue;
    const scopeDir = branchScopeDir(branch);
    if (!scopes.some((scope) => scope.scopeDir === scopeDir)) scopes.push({ scopeDir, label: branch });
  }
  return scopes;
}

/**
 * Restore candidates, best first: exact key matches before other keys; within each, the
 * fallback order (then, when opted in, any other branch of the repository, newest first).
 */
export async function findCandidates(
  root: CacheRoot,
  context: RunContext,
  wanted: Wanted,
  restoreFromAnyBranch: boolean,
  log: Logger,
): Promise<Candidate[]> {
  const scopes = fallbackScopes(context);
  const ordered: Candidate[] = [];
  for (const scope of scopes) {
    const entries = await root.listEntries(context.repository, scope.scopeDir, log);
    for (const entry of entries) if (isCompatible(entry, wanted)) ordered.push({ entry, label: scope.label });
  }
  if (restoreFromAnyBranch) {
    const others: Candidate[] = [];
    for (const scopeDir of await root.listScopes(context.repository)) {
      if (scopes.some((scope) => scope.scopeDir === scopeDir)) continue;
      for (const entry of await root.listEntries(context.repository, scopeDir, log)) {
        if (isCompatible(entry, wanted)) others.push({ entry, label: scopeLabelOf(scopeDir) });
      }
    }
    others.sort((a, b) => b.entry.createdMs - a.entry.createdMs);
    ordered.push(...others);
  }
  const exact = ordered.filter((candidate) => candidate.entry.key === wanted.key);
  return [...exact, ...ordered.filter((candidate) => candidate.entry.key !== wanted.key)];
}

function describeLoadPlan(mode: CacheMode, tools: Toolbox, log: Logger): boolean {
  const mountable = canMountImages(tools);
  if (mode === 'tar') return false;
  if (mountable) {
    log.info(`mode ${mode}: image entries are mounted (squashfs + overlay), tar entries extracted.`);
    return true;
  }
  const why =
    tools.privilege === 'none'
      ? 'neither root nor passwordless sudo'
      : 'no loop device, squashfs or overlayfs support';
  const say = mode === 'image' ? log.warning.bind(log) : log.info.bind(log);
  say(`mode ${mode}: cannot mount images here (${why}); entries are extracted instead.`);
  return false;
}

async function downloadVerified(
  root: CacheRoot,
  entry: ListedEntry,
  localFile: string,
  log: Logger,
  alsoTo?: Writable,
): Promise<number> {
  const copied = await copyWithDigest(
    root.openRead(entry.dataPath),
    createWriteStream(localFile, { flags: 'wx' }),
    {
      label: `Copying cache entry ${entry.id}`,
      log,
      totalBytes: entry.sizeBytes,
      ...(alsoTo ? { alsoTo } : {}),
    },
  );
  if (copied.bytes !== entry.sizeBytes) {
    throw new CacheStorageError(`truncated: ${copied.bytes} of ${entry.sizeBytes} bytes`);
  }
  if (copied.sha256 !== entry.sha256) {
    throw new CacheStorageError(`checksum mismatch (sha256 ${copied.sha256}, manifest says ${entry.sha256})`);
  }
  log.debug(
    `Copied ${formatMb(copied.bytes)} in ${copied.seconds.toFixed(2)} s (${formatRate(copied.bytes, copied.seconds)})`,
  );
  return copied.bytes;
}

/** Copy a tar entry to local disk, listing it on the way, then extract it into place. */
async function restoreTar(
  root: CacheRoot,
  entry: ListedEntry,
  localFile: string,
  req: LoadRequest,
  tools: Toolbox,
): Promise<void> {
  // The listing runs while the copy is I/O-bound; it is only trusted once the checksum matched.
  const listing = startTarListing(tools);
  try {
    await downloadVerified(root, entry, localFile, req.log, listing.input);
  } catch (error) {
    listing.abort();
    throw error;
  }
  // Not awaited here: extraction into the staging directory overlaps the rest of the listing,
  // and the tree is swapped into place only once the listing passed the check.
  await replaceDirectory(req.path, (staging) =>
    extractTarFile(localFile, staging, tools, listing.entries).then(() => undefined),
  );
}

async function restoreEntry(
  root: CacheRoot,
  entry: ListedEntry,
  req: LoadRequest,
  tools: Toolbox,
  mountImages: boolean,
): Promise<MountState | undefined> {
  await mkdir(req.context.tempDir, { recursive: true });
  const localDir = await mkdtemp(path.join(req.context.tempDir, 'harrier-cache-'));
  let mounted: MountState | undefined;
  try {
    const localFile = path.join(localDir, entry.dataFile);
    if (entry.format === 'tar') {
      await restoreTar(root, entry, localFile, req, tools);
      return undefined;
    }
    if (!mountImages && !tools.unsquashfs) {
      throw new CacheStorageError('an image entry can be neither mounted nor extracted here (no unsquashfs)');
    }
    await downloadVerified(root, entry, localFile, req.log);
    if (mountImages) {
      mounted = await mountImage(localFile, req.path, localDir, tools);
      return mounted;
    }
    await replaceDirectory(req.path, (staging) => extractImage(localFile, staging));
    return undefined;
  } finally {
    if (mounted === undefined) await rm(localDir, { recursive: true, force: true });
  }
}

/** Restore the best entry at `req.path`. Throws only CacheInputError; anything else is a warning and a miss. */
export async function loadCache(req: LoadRequest): Promise<LoadResult> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const miss = (): LoadResult => ({ hit: false, restoredKey: '', restoredBranch: '', seconds: seconds() });
  // Re-validate: the path must be inside the workspace whoever computed it.
  resolveCachePath(req.context.workspace, req.path);
  const wanted: Wanted = {
    key: req.key,
    os: req.context.os,
    arch: req.context.arch,
    nodeAbi: req.nodeAbi,
    pathName: cachePathName(req.context.workspace, req.path),
  };
  try {
    const tools = req.tools ?? (await toolbox());
    const root = new CacheRoot(req.cacheRoot, req.fs);
    const candidates = await findCandidates(root, req.context, wanted, req.restoreFromAnyBranch, req.log);
    if (candidates.length === 0) {
      const looked = fallbackScopes(req.context).map((scope) => scope.label);
      req.log.info(
        `No cache entry for ${wanted.pathName} (${wanted.os}/${wanted.arch}, Node ABI ${wanted.nodeAbi}) in ${looked.join(', ')}${req.restoreFromAnyBranch ? ' or any other branch' : ''}.`,
      );
      return miss();
    }
    const mountImages = describeLoadPlan(req.mode, tools, req.log);
    for (const { entry, label } of candidates) {
      try {
        const mount = await restoreEntry(root, entry, req, tools, mountImages);
        const hit = entry.key === wanted.key;
        const result: LoadResult = {
          hit,
          restoredKey: entry.key,
          restoredBranch: label,
          format: entry.format,
          entry: entry.id,
          sizeBytes: entry.sizeBytes,
          seconds: seconds(),
        };
        if (mount) result.mount = mount;
        req.log.info(
          `Restored ${entry.format} entry ${entry.id} of ${label} (${formatMb(entry.sizeBytes)}) ${mount ? 'mounted' : 'extracted'} at ${req.path} in ${result.seconds.toFixed(2)} s: ${hit ? 'exact hit' : 'key differs, the install step does the difference'}.`,
        );
        return result;
      } catch (error) {
        if (error instanceof CacheInputError) throw error;
        req.log.warning(`Skipping cache entry ${entry.id} of ${label}: ${errorMessage(error)}`);
      }
    }
    req.log.warning('No cache entry could be restored; continuing without cache.');
    return miss();
  } catch (error) {
    if (error instanceof CacheInputError) throw error;
    req.log.warning(`Cache load failed, continuing without cache: ${errorMessage(error)}`);
    return miss();
  }
}
