/**
 * A cache root that behaves like Mountpoint for Amazon S3 and refuses everything it cannot do:
 * - files are created only with exclusive-create (`wx`) and written strictly front to back;
 * - no rename, append, truncate, overwrite, symlink or in-place edit;
 * - a file is invisible (readdir, open for read) until the writer closes it.
 *
 * It serves a VIRTUAL root path that does not exist on disk, backed by a real directory: code that
 * bypasses the StorageFs and uses node:fs on the cache root directly fails with ENOENT.
 */
import { mkdir, open, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { StorageFileHandle, StorageFs } from '../../src/storage';

export class RuleViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleViolation';
  }
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  error.code = code;
  return error;
}

export class MountpointLikeFs implements StorageFs {
  /** Every refused operation, for assertions (the throw may be swallowed as a storage warning). */
  readonly violations: string[] = [];
  /** `create|close|unlink <relative path>` in order. */
  readonly operations: string[] = [];
  private readonly inFlight = new Set<string>();

  constructor(
    readonly virtualRoot: string,
    readonly backingDir: string,
  ) {}

  private real(file: string): string {
    const relative = path.relative(this.virtualRoot, file);
    if (relative.startsWith('..') || path.isAbsolute(relative))
      throw errno('ENOENT', `${file} is outside the mount`);
    return path.join(this.backingDir, relative);
  }

  private refuse(what: string): never {
    this.violations.push(what);
    throw new RuleViolation(`Mountpoint would refuse: ${what}`);
  }

  async mkdir(dir: string, options: { recursive: true }): Promise<unknown> {
    return mkdir(this.real(dir), options);
  }

  async readdir(dir: string): Promise<string[]> {
    const real = this.real(dir);
    return (await readdir(real)).filter((name) => !this.inFlight.has(path.join(real, name)));
  }

  async unlink(file: string): Promise<void> {
    this.operations.push(`unlink ${path.relative(this.virtualRoot, file)}`);
    await unlink(this.real(file));
  }

  async open(file: string, flags: 'wx' | 'r'): Promise<StorageFileHandle> {
    const real = this.real(file);
    const relative = path.relative(this.virtualRoot, file);
    if (flags === 'r') {
      if (this.inFlight.has(real)) throw errno('ENOENT', `${relative} is still being written`);
      const handle = await open(real, 'r');
      return {
        read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
        write: () => this.refuse(`write to ${relative} opened for reading`),
        close: () => handle.close(),
      };
    }
    if (flags !== 'wx') this.refuse(`open ${relative} with flags ${String(flags)}`);
    const handle = await open(real, 'wx');
    this.inFlight.add(real);
    this.operations.push(`create ${relative}`);
    let written = 0;
    let closed = false;
    return {
      read: () => this.refuse(`read from ${relative} while writing it`),
      write: async (buffer, offset, length, position) => {
        if (closed) this.refuse(`write to ${relative} after close`);
        if (position !== written)
          this.refuse(`write ${relative} at ${position} after ${written} bytes (seek)`);
        const result = await handle.write(buffer, offset, length, position);
        written += result.bytesWritten;
        return result;
      },
      close: async () => {
        closed = true;
        await handle.close();
        this.inFlight.delete(real);
        this.operations.push(`close ${relative}`);
      },
    };
  }

  // What Mountpoint does not support at all; present so a cast-and-call is caught, not silently real.
  rename(): never {
    return this.refuse('rename');
  }
  appendFile(): never {
    return this.refuse('append');
  }
  truncate(): never {
    return this.refuse('truncate');
  }
  symlink(): never {
    return this.refuse('symlink');
  }
}
