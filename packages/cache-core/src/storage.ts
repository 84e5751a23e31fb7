/**
 * The ONLY module that touches the cache root, and the place where its storage rule lives.
 *
 * The cache root is an S3 bucket mounted by Mountpoint for Amazon S3, which supports no rename,
 * no append, no seek while writing, no overwrite and no symlinks; an object appears only once the
 * file that writes it is closed. So every write here creates a NEW file with exclusive-create
 * (`wx`), writes it front to back at strictly increasing positions, and closes it. Nothing is ever
 * renamed, appended to, rewritten or truncated; the only other mutation is unlink (prune).
 * See https://github.com/awslabs/mountpoint-s3/blob/main/doc/SEMANTICS.md
 *
 * All file system access goes through {@link StorageFs}, so tests can hand in a file system
 * that refuses anything the rule forbids.
 */
import { open, mkdir, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { isErrnoCode, errorMessage, CacheStorageError } from './errors';
import type { Logger } from './logger';
import {
  compareNewestFirst,
  entryIdOf,
  manifestFileName,
  manifestProblem,
  MANIFEST_MAX_BYTES,
  MANIFEST_SUFFIX,
  type EntryManifest,
} from './manifest';

/** Read buffer size for streaming entries out of the cache root (large reads suit S3 GETs). */
export const READ_CHUNK_BYTES = 1024 * 1024;
/** Top-level prefix of this cache in the bucket (see ARCHITECTURE.md). */
export const NODE_MODULES_PREFIX = 'node-modules';

/** The file handle operations the rule allows: positional read, positional write, close. */
export interface StorageFileHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
}

/** The subset of `node:fs/promises` the cache root may use. Note what is absent: rename, append, truncate. */
export interface StorageFs {
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
  /** `wx`: create a new file, fail if it exists. `r`: read. */
  open(file: string, flags: 'wx' | 'r'): Promise<StorageFileHandle>;
  readdir(dir: string): Promise<string[]>;
  unlink(file: string): Promise<void>;
}

export const nodeStorageFs: StorageFs = {
  mkdir: (dir, options) => mkdir(dir, options),
  open: (file, flags) => open(file, flags),
  readdir: (dir) => readdir(dir),
  unlink: (file) => unlink(file),
};

/** A manifest as listed, with where its files are. */
export interface ListedEntry extends EntryManifest {
  scopeDir: string;
  manifestPath: string;
  dataPath: string;
}

export class CacheRoot {
  constructor(
    readonly root: string,
    readonly fs: StorageFs = nodeStorageFs,
  ) {}

  /** `<root>/node-modules/<owner>/<repo>` */
  repositoryDir(repository: string): string {
    return this.inside(path.join(this.root, NODE_MODULES_PREFIX, ...repository.split('/')));
  }

  /** `<root>/node-modules/<owner>/<repo>/<scopeDir>` */
  scopeDirPath(repository: string, scopeDir: string): string {
    return this.inside(path.join(this.repositoryDir(repository), ...scopeDir.split('/')));
  }

  private inside(target: string): string {
    const relative = path.relative(this.root, target);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new CacheStorageError(`${target} is outside the cache root ${this.root}`);
    }
    return target;
  }

  /** Names in a directory; a missing directory is empty. */
  async list(dir: string): Promise<string[]> {
    try {
      return await this.fs.readdir(this.inside(dir));
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT') || isErrnoCode(error, 'ENOTDIR')) return [];
      throw error;
    }
  }

  /**
   * A writable stream that creates `file` (which must not exist) and writes it sequentially in
   * one pass. On error or destroy before finishing, the partial file is closed and unlinked.
   */
  createNewFile(file: string): Writable {
    const target = this.inside(file);
    const fs = this.fs;
    let handle: StorageFileHandle | undefined;
    let position = 0;
    let finished = false;
    return new Writable({
      highWaterMark: READ_CHUNK_BYTES,
      construct(callback) {
        fs.mkdir(path.dirname(target), { recursive: true })
          .then(() => fs.open(target, 'wx'))
          .then((opened) => {
            handle = opened;
            callback();
          })
          .catch((error: unknown) => callback(error as Error));
      },
      write(chunk: Buffer, _encoding, callback) {
        writeAll(handle!, chunk, position)
          .then(() => {
            position += chunk.length;
            callback();
          })
          .catch((error: unknown) => callback(error as Error));
      },
      final(callback) {
        handle!
          .close()
          .then(() => {
            finished = true;
            callback();
          })
          .catch((error: unknown) => callback(error as Error));
      },
      destroy(error, callback) {
        if (finished || handle === undefined) return callback(error);
        const opened = handle;
        opened
          .close()
          .catch(() => undefined)
          .then(() => fs.unlink(target))
          .catch(() => undefined)
          .finally(() => callback(error));
      },
    });
  }

  /** Create `file` with exactly `data`, in one sequential write. */
  async writeNewFile(file: string, data: Uint8Array): Promise<void> {
    const target = this.inside(file);
    await this.fs.mkdir(path.dirname(target), { recursive: true });
    const handle = await this.fs.open(target, 'wx');
    try {
      await writeAll(handle, data, 0);
    } finally {
      await handle.close();
    }
  }

  /** A stream of the file's bytes, read front to back in large chunks. */
  openRead(file: string): Readable {
    const target = this.inside(file);
    const fs = this.fs;
    async function* chunks(): AsyncGenerator<Buffer> {
      const handle = await fs.open(target, 'r');
      try {
        let position = 0;
        for (;;) {
          const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
          if (bytesRead === 0) return;
          position += bytesRead;
          yield buffer.subarray(0, bytesRead);
        }
      } finally {
        await handle.close();
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  /** The whole file, refusing anything larger than `maxBytes`. */
  async readSmallFile(file: string, maxBytes: number): Promise<Buffer> {
    const handle = await this.fs.open(this.inside(file), 'r');
    try {
      const buffer = Buffer.alloc(maxBytes + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > maxBytes) throw new CacheStorageError(`${file} is larger than ${maxBytes} bytes`);
      }
      return buffer.subarray(0, length);
    } finally {
      await handle.close();
    }
  }

  /** Delete a file; one that is already gone (a concurrent prune) is fine. */
  async remove(file: string): Promise<void> {
    try {
      await this.fs.unlink(this.inside(file));
    } catch (error) {
      if (!isErrnoCode(error, 'ENOENT')) throw error;
    }
  }

  /**
   * Complete, valid entries of one scope, newest first. Unreadable or invalid manifests are
   * skipped (with a debug line, or a warning for read errors); data files without a manifest
   * are in-flight or abandoned writes and are never listed.
   */
  async listEntries(repository: string, scopeDir: string, log?: Logger): Promise<ListedEntry[]> {
    const dir = this.scopeDirPath(repository, scopeDir);
    const names = (await this.list(dir)).filter((name) => name.endsWith(MANIFEST_SUFFIX));
    const entries = await Promise.all(
      names.map(async (name): Promise<ListedEntry | undefined> => {
        const id = entryIdOf(name);
        if (id === undefined) return undefined;
        const manifestPath = path.join(dir, name);
        let parsed: unknown;
        try {
          parsed = JSON.parse((await this.readSmallFile(manifestPath, MANIFEST_MAX_BYTES)).toString('utf8'));
        } catch (error) {
          if (isErrnoCode(error, 'ENOENT')) return undefined; // pruned while listing
          log?.warning(`Ignoring cache manifest ${manifestPath}: ${errorMessage(error)}`);
          return undefined;
        }
        const problem = manifestProblem(parsed, id);
        if (problem !== undefined) {
          log?.debug(`Ignoring cache manifest ${manifestPath}: ${problem}`);
          return undefined;
        }
        const manifest = parsed as EntryManifest;
        return { ...manifest, scopeDir, manifestPath, dataPath: path.join(dir, manifest.dataFile) };
      }),
    );
    return entries.filter((entry): entry is ListedEntry => entry !== undefined).sort(compareNewestFirst);
  }

  /** Every scope directory of a repository: branch scopes and `pull/<n>` scopes. */
  async listScopes(repository: string): Promise<string[]> {
    const repoDir = this.repositoryDir(repository);
    const scopes: string[] = [];
    for (const name of await this.list(repoDir)) {
      if (name === 'pull') {
        for (const pr of await this.list(path.join(repoDir, 'pull'))) {
          if (/^\d+$/.test(pr)) scopes.push(`pull/${pr}`);
        }
      }
      // A branch literally named `pull` shares the directory with PR scopes; its entries are files.
      if (name !== '.' && name !== '..') scopes.push(name);
    }
    return scopes;
  }

  /** Manifest and data file paths of an entry id in a scope. */
  entryPaths(
    repository: string,
    scopeDir: string,
    id: string,
    dataFile: string,
  ): { manifest: string; data: string } {
    const dir = this.scopeDirPath(repository, scopeDir);
    return { manifest: path.join(dir, manifestFileName(id)), data: path.join(dir, dataFile) };
  }
}

async function writeAll(handle: StorageFileHandle, data: Uint8Array, start: number): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, start + offset);
    if (bytesWritten <= 0) throw new CacheStorageError('write made no progress');
    offset += bytesWritten;
  }
}

/** Complete, valid manifests of one scope of a repository, newest first. */
export async function listEntries(
  cacheRoot: string,
  repository: string,
  scopeDir: string,
  options: { fs?: StorageFs; log?: Logger } = {},
): Promise<ListedEntry[]> {
  return new CacheRoot(cacheRoot, options.fs).listEntries(repository, scopeDir, options.log);
}
