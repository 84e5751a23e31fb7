/** The cache key: a hash of the key files' names and contents. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

function commonDirectory(files: string[]): string {
  const dirs = files.map((file) => path.dirname(path.resolve(file)).split(path.sep));
  const first = dirs[0] ?? [];
  let length = first.length;
  for (const dir of dirs) {
    let i = 0;
    while (i < length && dir[i] === first[i]) i++;
    length = i;
  }
  return first.slice(0, length).join(path.sep) || path.sep;
}

/**
 * A stable SHA-256 (hex) over the files' names relative to `baseDir` (default: their common
 * directory) and their contents, in name order, so the key does not depend on input order or on
 * where the workspace is checked out.
 */
export async function computeKey(files: string[], baseDir?: string): Promise<string> {
  const base = baseDir ?? commonDirectory(files);
  const named = files.map((file) => ({
    file,
    name: path.relative(base, path.resolve(file)).split(path.sep).join('/'),
  }));
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const hash = createHash('sha256');
  for (const { file, name } of named) {
    const contents = await readFile(file);
    // Lengths make the encoding unambiguous: no two file sets hash the same byte stream.
    hash.update(`${Buffer.byteLength(name)}:${name}\0${contents.length}:`);
    hash.update(contents);
  }
  return hash.digest('hex');
}
