// A comparable picture of a directory tree: every entry's type, mode, size, content hash,
// symlink target and mtime (seconds: npm trusts node_modules/.package-lock.json only when
// times survive, and both formats keep whole seconds).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  size?: number;
  sha256?: string;
  target?: string;
  mtime?: number;
}

export function snapshotTree(root: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const full = join(root, path);
      const stat = lstatSync(full);
      const mode = stat.mode & 0o7777;
      if (stat.isSymbolicLink()) {
        entries.push({ path, type: 'symlink', mode: 0, target: readlinkSync(full) });
      } else if (stat.isDirectory()) {
        entries.push({ path, type: 'dir', mode });
        walk(path);
      } else {
        const sha256 = createHash('sha256').update(readFileSync(full)).digest('hex');
        entries.push({
          path,
          type: 'file',
          mode,
          size: stat.size,
          sha256,
          mtime: Math.floor(stat.mtimeMs / 1000),
        });
      }
    }
  };
  walk('');
  return entries;
}
