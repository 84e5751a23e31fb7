/** A comparable snapshot of a directory tree: every entry's type, mode, mtime, size and content hash or link target. */
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  /** Whole seconds: tar stores seconds; that is what npm compares. */
  mtime: number;
  detail: string;
}

export async function snapshotTree(
  root: string,
  options: { includeRoot?: boolean } = {},
): Promise<Map<string, TreeEntry>> {
  const result = new Map<string, TreeEntry>();
  async function visit(dir: string, rel: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const relative = rel ? `${rel}/${name}` : name;
      const info = await lstat(full);
      const base = { mode: info.mode & 0o7777, mtime: Math.floor(info.mtimeMs / 1000) };
      if (info.isSymbolicLink())
        result.set(relative, { ...base, type: 'symlink', detail: await readlink(full) });
      else if (info.isDirectory()) {
        result.set(relative, { ...base, type: 'dir', detail: '' });
        await visit(full, relative);
      } else {
        const hash = createHash('sha256')
          .update(await readFile(full))
          .digest('hex');
        result.set(relative, { ...base, type: 'file', detail: `${info.size}:${hash}` });
      }
    }
  }
  if (options.includeRoot) {
    const info = await lstat(root);
    result.set('.', {
      type: 'dir',
      mode: info.mode & 0o7777,
      mtime: Math.floor(info.mtimeMs / 1000),
      detail: '',
    });
  }
  await visit(root, '');
  return result;
}

/** Human-readable differences between two snapshots (empty when identical). */
export function treeDifferences(expected: Map<string, TreeEntry>, actual: Map<string, TreeEntry>): string[] {
  const problems: string[] = [];
  for (const [name, want] of expected) {
    const got = actual.get(name);
    if (!got) problems.push(`missing ${name}`);
    else if (JSON.stringify(got) !== JSON.stringify(want))
      problems.push(`${name}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
  }
  for (const name of actual.keys()) if (!expected.has(name)) problems.push(`unexpected ${name}`);
  return problems.slice(0, 20);
}
