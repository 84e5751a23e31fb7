// Off Harrier (no cache root mounted) the actions fall back to GitHub's own cache through
// `@actions/cache`. The client is passed in rather than imported here: the actions hand in the
// real library, tests hand in a recorder, and this module stays free of the Azure SDK that
// `@actions/cache` drags along (issue 3: "test up to that library's boundary").

/** The part of `@actions/cache` the fallback uses; `import * as cache from '@actions/cache'` fits it. */
export interface GitHubCacheClient {
  isFeatureAvailable(): boolean;
  restoreCache(
    paths: string[],
    primaryKey: string,
    restoreKeys?: string[],
    options?: { lookupOnly?: boolean },
  ): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

/** Same shape as cache-core's Logger; declared here so this module has no import cycle with index.ts. */
export interface FallbackLogger {
  info(msg: string): void;
  warning(msg: string): void;
  debug(msg: string): void;
}

/** What makes two caches interchangeable: the same platform, arch and Node ABI, then the key. */
export interface GitHubKeyParts {
  os: string;
  arch: string;
  nodeAbi: string;
  key: string;
}

export const GITHUB_KEY_PREFIX = 'harrier-node-modules';

/** `@actions/cache` returns this id from saveCache when it logged a failure instead of throwing. */
const SAVE_FAILED_ID = -1;

function platformPrefix(parts: GitHubKeyParts): string {
  return `${GITHUB_KEY_PREFIX}-${parts.os}-${parts.arch}-abi${parts.nodeAbi}-`;
}

/** `harrier-node-modules-<os>-<arch>-abi<abi>-<key>`: the same facts a Harrier entry records. */
export function githubCacheKey(parts: GitHubKeyParts): string {
  return `${platformPrefix(parts)}${parts.key}`;
}

/**
 * Restore keys by prefix: any entry of the same platform, arch and ABI, newest first (GitHub's own
 * rule). A different ABI is never restored: native modules built for it would not load, and
 * `npm install` does not rebuild them. GitHub's cache already scopes lookups to this branch, the
 * PR's base and the default branch, which is the same order Harrier's own load follows.
 */
export function githubRestoreKeys(parts: GitHubKeyParts): string[] {
  return [platformPrefix(parts)];
}

export interface GitHubRestoreRequest {
  client: GitHubCacheClient;
  /** Absolute path of the directory to restore. */
  path: string;
  parts: GitHubKeyParts;
  log: FallbackLogger;
}

export interface GitHubRestoreResult {
  /** True only when the exact key (platform, arch, ABI and key) was restored. */
  hit: boolean;
  /** The key restored, '' when nothing was. */
  restoredKey: string;
  /** The key this run looked for. */
  key: string;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function restoreFromGitHub(req: GitHubRestoreRequest): Promise<GitHubRestoreResult> {
  const key = githubCacheKey(req.parts);
  const miss: GitHubRestoreResult = { hit: false, restoredKey: '', key };
  if (!req.client.isFeatureAvailable()) {
    req.log.warning(
      'GitHub cache fallback: the Actions cache service is not available to this job; continuing without cache',
    );
    return miss;
  }
  try {
    const restored = await req.client.restoreCache([req.path], key, githubRestoreKeys(req.parts));
    if (restored === undefined) {
      req.log.info(`GitHub cache fallback: no entry for ${key}`);
      return miss;
    }
    req.log.info(`GitHub cache fallback: restored ${restored}`);
    return { hit: restored === key, restoredKey: restored, key };
  } catch (error: unknown) {
    req.log.warning(`GitHub cache fallback: restore failed (${describe(error)}); continuing without cache`);
    return miss;
  }
}

export interface GitHubSaveResult {
  stored: boolean;
  key: string;
  reason: string;
}

export async function saveToGitHub(req: GitHubRestoreRequest): Promise<GitHubSaveResult> {
  const key = githubCacheKey(req.parts);
  if (!req.client.isFeatureAvailable()) {
    req.log.warning(
      'GitHub cache fallback: the Actions cache service is not available to this job; not saving',
    );
    return { stored: false, key, reason: 'GitHub cache service unavailable' };
  }
  try {
    // GitHub entries are immutable: look first, so an unchanged tree costs one lookup, not an upload.
    const existing = await req.client.restoreCache([req.path], key, [], { lookupOnly: true });
    if (existing === key) {
      req.log.info(`GitHub cache fallback: ${key} already exists; nothing to save`);
      return { stored: false, key, reason: 'unchanged' };
    }
    const id = await req.client.saveCache([req.path], key);
    if (id === SAVE_FAILED_ID) {
      req.log.warning(`GitHub cache fallback: ${key} was not saved (see the messages above)`);
      return { stored: false, key, reason: 'save failed' };
    }
    req.log.info(`GitHub cache fallback: saved ${key}`);
    return { stored: true, key, reason: 'saved' };
  } catch (error: unknown) {
    req.log.warning(`GitHub cache fallback: save failed (${describe(error)}); the job continues`);
    return { stored: false, key, reason: 'save failed' };
  }
}
