/**
 * The `image` format: a squashfs image (zstd) of the directory, mounted read-only through a loop
 * device under an overlay whose writable layer is on local disk. Nothing is extracted, so restore
 * time does not grow with the number of files.
 *
 * mksquashfs seeks back to write its superblock, so images are always built on local disk and then
 * copied into the cache root in one sequential pass; loads copy the image back to local disk before
 * mounting (a loop device reading through Mountpoint would wait on S3 for every block, and a
 * concurrent prune would turn into I/O errors mid-build).
 */
import { chmod, lstat, mkdir, rename, rm, rmdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from './errors';
import { runTool } from './exec';
import type { Logger } from './logger';
import { moveAside } from './replace';
import { privileged, type Toolbox } from './tools';

/**
 * zstd level 3. mksquashfs defaults to 15, which took 35 s for the medium bench project
 * (26,800 entries) against 1.1 s at level 3, for a 19% larger image.
 */
export const IMAGE_ZSTD_LEVEL = 3;

/** Everything releaseMount needs, serialisable with core.saveState as JSON. */
export interface MountState {
  /** The overlay mount point: the restored `path`. */
  mountPoint: string;
  /** Local directories to delete after unmounting (image copy, lower, upper, work). */
  workDirs: string[];
  /** The local image file behind the loop device. */
  loopImage: string;
  /** Where the image itself is mounted (the overlay's lower layer). */
  lowerDir: string;
  /** Whether mount commands need `sudo -n`. */
  sudo: boolean;
}

/** Build `imageFile` (on local disk) from `sourceDir`. */
export async function buildImage(sourceDir: string, imageFile: string): Promise<void> {
  await runTool('mksquashfs', [
    sourceDir,
    imageFile,
    '-comp',
    'zstd',
    '-Xcompression-level',
    String(IMAGE_ZSTD_LEVEL),
    '-noappend',
    '-no-progress',
    '-quiet',
  ]);
}

/** Extract an image without mounting it (for machines that cannot mount). */
export async function extractImage(imageFile: string, destDir: string): Promise<void> {
  // -f: destDir exists (an empty staging directory); unsquashfs >= 4.5.1 refuses names with `..`
  // and does not follow symlinks out of the destination.
  await runTool('unsquashfs', ['-f', '-no-progress', '-quiet', '-d', destDir, imageFile]);
}

async function privilegedRun(
  tools: { privilege: Toolbox['privilege'] },
  command: string,
  args: string[],
): Promise<void> {
  const [cmd, cmdArgs] = privileged(tools as Toolbox, command, args);
  await runTool(cmd, cmdArgs);
}

/**
 * Mount the local image `imageFile` read-only and an overlay of it at `target`, with the
 * writable layer in `workDir` (local disk). An existing `target` is replaced.
 */
export async function mountImage(
  imageFile: string,
  target: string,
  workDir: string,
  tools: Toolbox,
): Promise<MountState> {
  const lowerDir = path.join(workDir, 'lower');
  const upperDir = path.join(workDir, 'upper');
  const overlayWork = path.join(workDir, 'work');
  for (const dir of [lowerDir, upperDir, overlayWork]) {
    if (/[,:\\]/.test(dir)) throw new Error(`${dir} contains a character overlayfs options cannot carry`);
    await mkdir(dir, { recursive: true });
  }
  const state: MountState = {
    mountPoint: target,
    workDirs: [workDir],
    loopImage: imageFile,
    lowerDir,
    sudo: tools.privilege === 'sudo',
  };
  // nosuid,nodev: an entry is data, never a way to gain privileges on the runner.
  await privilegedRun(tools, 'mount', ['-t', 'squashfs', '-o', 'loop,ro,nosuid,nodev', imageFile, lowerDir]);
  let aside: string | undefined;
  let created = false;
  try {
    // The merged root takes the upper layer's attributes: give it the stored root's mode and times.
    const root = await lstat(lowerDir);
    await chmod(upperDir, root.mode & 0o7777);
    await utimes(upperDir, root.atime, root.mtime);
    aside = await moveAside(target);
    await mkdir(target, { recursive: true });
    created = true;
    await privilegedRun(tools, 'mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `nosuid,nodev,lowerdir=${lowerDir},upperdir=${upperDir},workdir=${overlayWork}`,
      target,
    ]);
  } catch (error) {
    // Leave `target` as it was: the previous directory goes back, the image is unmounted.
    if (created) await rmdir(target).catch(() => undefined);
    if (aside) await rename(aside, target).catch(() => undefined);
    await privilegedRun(tools, 'umount', [lowerDir]).catch(() => undefined);
    throw error;
  }
  if (aside) await rm(aside, { recursive: true, force: true });
  return state;
}

async function unmount(dir: string, sudo: boolean, log: Logger): Promise<void> {
  const tools = { privilege: sudo ? 'sudo' : 'root' } as const;
  try {
    await privilegedRun(tools, 'umount', [dir]);
  } catch (error) {
    // Still busy (a process keeps a file open): detach now, the kernel finishes when it closes.
    log.info(`${dir} is busy (${errorMessage(error)}); unmounting lazily.`);
    await privilegedRun(tools, 'umount', ['-l', dir]);
  }
}

/** Post step: unmount the overlay, then the image (lazily when busy), then remove local temp dirs. */
export async function releaseMount(state: MountState, log: Logger): Promise<void> {
  for (const dir of [state.mountPoint, state.lowerDir]) {
    try {
      await unmount(dir, state.sudo, log);
    } catch (error) {
      log.warning(`Could not unmount ${dir}: ${errorMessage(error)}`);
    }
  }
  for (const dir of state.workDirs) {
    try {
      // overlayfs leaves a root-owned `work/work` behind, which only root can delete.
      if (state.sudo) await privilegedRun({ privilege: 'sudo' }, 'rm', ['-rf', '--', dir]);
      else await rm(dir, { recursive: true, force: true });
    } catch (error) {
      log.warning(`Could not remove ${dir}: ${errorMessage(error)}`);
    }
  }
}
