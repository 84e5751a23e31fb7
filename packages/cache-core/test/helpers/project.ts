/**
 * A real node_modules: the small bench project installed once per test process (npm ci, offline
 * when the npm cache has it), then copied per test with `cp -a` so symlinks, modes and times are real.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const SMALL_PROJECT = path.resolve(import.meta.dirname, '../../../../../shared/bench/projects/small');

let installed: Promise<string> | undefined;
const scratch: string[] = [];

/** A directory holding the small project's package.json, lockfile and installed node_modules. */
export function installedSmallProject(): Promise<string> {
  installed ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cache-core-project-'));
    // Shared by every test file of the run: removed when the test process exits.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    for (const name of ['package.json', 'package-lock.json'])
      await cp(path.join(SMALL_PROJECT, name), path.join(dir, name));
    await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
    return dir;
  })();
  return installed;
}

/** A new temporary directory, removed by {@link cleanupScratch}. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `cache-core-${prefix}-`));
  scratch.push(dir);
  return dir;
}

/** A fresh workspace (package.json, lockfile, node_modules) copied from the installed project. */
export async function workspaceWithModules(): Promise<string> {
  const source = await installedSmallProject();
  const workspace = await tempDir('ws');
  await run('cp', ['-a', `${source}/.`, workspace]);
  return workspace;
}

export async function cleanupScratch(): Promise<void> {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function sh(command: string, args: string[], cwd?: string): Promise<string> {
  return (await run(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 })).stdout;
}

/**
 * A small workspace for tests about entry bookkeeping rather than file fidelity: package.json,
 * lockfile and a node_modules with a file, a .bin symlink and an empty directory.
 */
export async function workspaceWithTinyModules(): Promise<string> {
  const workspace = await tempDir('ws');
  for (const name of ['package.json', 'package-lock.json'])
    await cp(path.join(SMALL_PROJECT, name), path.join(workspace, name));
  const modules = path.join(workspace, 'node_modules');
  await mkdir(path.join(modules, 'left-pad'), { recursive: true });
  await mkdir(path.join(modules, '.bin'));
  await mkdir(path.join(modules, 'empty'));
  await writeFile(path.join(modules, 'left-pad', 'index.js'), 'module.exports = (s) => s;\n');
  await symlink('../left-pad/index.js', path.join(modules, '.bin', 'left-pad'));
  return workspace;
}
