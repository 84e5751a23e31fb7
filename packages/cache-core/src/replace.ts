/**
 * Putting a restored tree in place at `path` without ever leaving a half-restored directory:
 * populate a sibling staging directory (same file system, so the final move is a rename), then
 * swap it in and delete whatever was there before. These renames are on local disk, never in the
 * cache root.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isErrnoCode } from './errors';

function siblingName(target: string, tag: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.harrier-${tag}-${randomBytes(4).toString('hex')}`,
  );
}

/** Move an existing `target` out of the way (returns where to, or undefined when there was none). */
export async function moveAside(target: string): Promise<string | undefined> {
  const aside = siblingName(target, 'old');
  try {
    await rename(target, aside);
    return aside;
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * Fill a fresh staging directory next to `target` with `populate`, then replace `target` with it.
 * If `populate` throws, `target` is untouched and the staging directory is removed.
 */
export async function replaceDirectory(
  target: string,
  populate: (staging: string) => Promise<void>,
): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const staging = await mkdtemp(siblingName(target, 'new'));
  try {
    await populate(staging);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  const aside = await moveAside(target);
  try {
    await rename(staging, target);
  } catch (error) {
    if (aside) await rename(aside, target).catch(() => undefined);
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  if (aside) await rm(aside, { recursive: true, force: true });
}
