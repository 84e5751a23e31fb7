/**
 * Error classes. Only {@link CacheInputError} ever reaches the action as a failure: every other
 * problem with the cache is a warning, because a cache must never fail a build.
 */

/** Invalid inputs or runner context: the action fails with this message. */
export class CacheInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CacheInputError';
  }
}

/** One entry or the cache root cannot be used (unreadable, corrupt, truncated, vanished, disk full). */
export class CacheStorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CacheStorageError';
  }
}

/** An archive holds an entry that would land outside the restore directory. */
export class UnsafeArchiveError extends CacheStorageError {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeArchiveError';
  }
}

/** An external tool (tar, zstd, mksquashfs, mount) exited unsuccessfully. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
