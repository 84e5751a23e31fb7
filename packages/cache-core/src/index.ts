/**
 * @harrier/cache-core: the node_modules cache behind harrier/cache-load and harrier/cache-store.
 * This is the whole public surface; modules behind it each do one job.
 */
export type { Logger } from './logger';
export { silentLogger } from './logger';
export { CacheInputError, CacheStorageError, UnsafeArchiveError, CommandError } from './errors';
export type { CacheMode, RunContext } from './context';
export {
  CACHE_MODES,
  CACHE_ROOT_ENV,
  DEFAULT_CACHE_ROOT,
  DEFAULT_KEEP,
  LOCKFILES,
  branchScopeDir,
  cachePathName,
  detectNodeAbi,
  isCacheRootAvailable,
  parseKeep,
  parseMode,
  readRunContext,
  resolveCacheRoot,
  resolveCachePath,
  resolveKeyFiles,
} from './context';
export { computeKey } from './keys';
export type { EntryFormat, EntryManifest } from './manifest';
export { MANIFEST_FORMAT_VERSION } from './manifest';
export type { ListedEntry, StorageFs, StorageFileHandle } from './storage';
export { CacheRoot, NODE_MODULES_PREFIX, listEntries, nodeStorageFs } from './storage';
export type { MountState } from './image';
export { releaseMount } from './image';
export type { LoadRequest, LoadResult } from './load';
export { fallbackScopes, loadCache } from './load';
export type { StoreRequest, StoreResult } from './store';
export { chooseStoreFormat, storeCache } from './store';
export type { Toolbox } from './tools';
export { canMountImages, detectToolbox, toolbox } from './tools';
export * from './github-fallback';
