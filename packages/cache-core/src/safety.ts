/**
 * The extraction guard: an archive may only create entries inside the restore directory.
 * Checked on the full listing BEFORE anything is extracted, whatever tool extracts afterwards.
 */
import path from 'node:path';
import { UnsafeArchiveError } from './errors';

export type ArchiveEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface ArchiveEntry {
  /** The member name as stored (`./a/b`, `a/b/`). */
  name: string;
  type: ArchiveEntryType;
  /** Symlink target, or the member a hard link points to. */
  linkTarget?: string;
}

/** Normalise a member name to `a/b` (no `./`, no trailing slash); refuse absolute names and `..`. */
function memberPath(name: string, what: string): string {
  if (name.includes('\0')) throw new UnsafeArchiveError(`${what} "${name}" contains a NUL byte`);
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name) || name.startsWith('\\')) {
    throw new UnsafeArchiveError(`${what} "${name}" is an absolute path`);
  }
  const parts = name.split(/[\\/]+/).filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new UnsafeArchiveError(`${what} "${name}" contains ".."`);
  return parts.join('/');
}

/**
 * Throws {@link UnsafeArchiveError} unless every entry stays inside the extraction root:
 * - no absolute member names and no `..` components;
 * - only files, directories, symlinks and hard links (no devices or FIFOs);
 * - symlink targets are relative and, resolved from the link's directory, stay inside;
 * - hard links point to a member name that is itself safe;
 * - no entry lies below a symlink of the same archive (the classic "link then write through it"
 *   escape; tar never produces this for a real directory tree).
 */
export function assertSafeEntries(entries: Iterable<ArchiveEntry>): void {
  const symlinks = new Set<string>();
  for (const entry of entries) {
    const member = memberPath(entry.name, 'Entry');
    const parts = member === '' ? [] : member.split('/');
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/');
      if (symlinks.has(ancestor)) {
        throw new UnsafeArchiveError(`Entry "${entry.name}" lies below the symlink "${ancestor}"`);
      }
    }
    switch (entry.type) {
      case 'file':
      case 'directory':
        break;
      case 'symlink': {
        const target = entry.linkTarget ?? '';
        if (target === '' || path.posix.isAbsolute(target) || target.startsWith('\\')) {
          throw new UnsafeArchiveError(`Symlink "${entry.name}" points to the absolute path "${target}"`);
        }
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(member || '.'), target));
        if (resolved === '..' || resolved.startsWith('../')) {
          throw new UnsafeArchiveError(`Symlink "${entry.name}" -> "${target}" points outside the directory`);
        }
        if (member === '') throw new UnsafeArchiveError('The archive root is a symlink');
        symlinks.add(member);
        break;
      }
      case 'hardlink':
        memberPath(entry.linkTarget ?? '', `Hard link target of "${entry.name}"`);
        break;
      default:
        throw new UnsafeArchiveError(`Entry "${entry.name}" is a device, FIFO or other special file`);
    }
  }
}
