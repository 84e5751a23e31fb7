/**
 * What this machine can do: which fast external tools exist and whether it may mount images.
 * Detected once per process; requests may pass their own {@link Toolbox} (tests do, to force the
 * Node fallbacks).
 */
import { existsSync, readFileSync } from 'node:fs';
import { runTool } from './exec';

export interface Toolbox {
  /** GNU tar (preserves everything we need and is 3-8x faster than the `tar` npm package here). */
  gnuTar: boolean;
  /** The zstd CLI (multi-threaded with -T0). */
  zstd: boolean;
  mksquashfs: boolean;
  unsquashfs: boolean;
  /** How privileged commands run: directly as root, through `sudo -n`, or not at all. */
  privilege: 'root' | 'sudo' | 'none';
  /** Loop devices, squashfs and overlayfs all available. */
  mountSupport: boolean;
}

async function works(command: string, args: string[], expect?: RegExp, okCodes?: number[]): Promise<boolean> {
  try {
    const output = await runTool(command, args, okCodes ? { okCodes } : {});
    return expect ? expect.test(output) : true;
  } catch {
    return false;
  }
}

function kernelHas(fsName: string): boolean {
  // Listed when built in or loaded; a module that is present loads on first mount.
  try {
    if (new RegExp(`\\s${fsName}$`, 'm').test(readFileSync('/proc/filesystems', 'utf8'))) return true;
  } catch {
    return false;
  }
  return existsSync(`/sys/module/${fsName}`) || moduleFileExists(fsName);
}

function moduleFileExists(fsName: string): boolean {
  try {
    const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    return existsSync(`/lib/modules/${release}/kernel/fs/${fsName}`);
  } catch {
    return false;
  }
}

async function detectPrivilege(): Promise<Toolbox['privilege']> {
  if (process.getuid?.() === 0) return 'root';
  return (await works('sudo', ['-n', 'true'])) ? 'sudo' : 'none';
}

export async function detectToolbox(): Promise<Toolbox> {
  const [gnuTar, zstd, mksquashfs, unsquashfs, privilege] = await Promise.all([
    works('tar', ['--version'], /GNU tar/),
    works('zstd', ['--version']),
    works('mksquashfs', ['-version']),
    // unsquashfs 4.5 prints its version and exits 1.
    works('unsquashfs', ['-version'], /unsquashfs version/, [0, 1]),
    detectPrivilege(),
  ]);
  const mountSupport = existsSync('/dev/loop-control') && kernelHas('squashfs') && kernelHas('overlay');
  return { gnuTar, zstd, mksquashfs, unsquashfs, privilege, mountSupport };
}

let detected: Promise<Toolbox> | undefined;

/** The detected toolbox, memoised for the process. */
export function toolbox(): Promise<Toolbox> {
  detected ??= detectToolbox();
  return detected;
}

/** Whether an image can be mounted (loop + overlay) here. */
export function canMountImages(tools: Toolbox): boolean {
  return tools.privilege !== 'none' && tools.mountSupport;
}

/** The command prefix for privileged commands. */
export function privileged(tools: Toolbox, command: string, args: string[]): [string, string[]] {
  return tools.privilege === 'sudo' ? ['sudo', ['-n', command, ...args]] : [command, args];
}
