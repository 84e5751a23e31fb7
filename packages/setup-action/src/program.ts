// Where the infra program is at run time, and making sure its dependencies are installed.
//
// Decision: the program is the Harrier repository that holds this action. Used in the
// subdirectory form (`uses: <owner>/harrier/packages/setup-action@<ref>`) the runner downloads the
// whole repository, so the root (with Pulumi.yaml, `main: packages/infra`) is two levels above
// the action's directory, and the program's version is exactly the action's ref. The exported
// single-action repository (harrier/setup-action) holds no program: there the workflow checks out
// Harrier and passes `program-dir`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export class ProgramNotFoundError extends Error {
  constructor(dir: string, fromInput: boolean) {
    super(
      `No Pulumi program at ${dir} (no Pulumi.yaml). ` +
        (fromInput
          ? 'Point program-dir at a checkout of the Harrier repository (the folder holding Pulumi.yaml).'
          : 'Use the action as `uses: <owner>/harrier/packages/setup-action@<ref>`, or check out Harrier with actions/checkout and pass its path as program-dir.'),
    );
    this.name = 'ProgramNotFoundError';
  }
}

/** The action's own directory (the one holding action.yml), from the bundle's path. */
export function actionDirFromEntry(entryFile: string): string {
  // The runner starts `node <action>/dist/index.js`.
  return resolve(dirname(entryFile), '..');
}

/**
 * The directory to run Pulumi in: `program-dir` (relative to the workspace) when given, else the
 * root of the Harrier checkout holding the action (`<action>/../..`).
 */
export function resolveProgramDir(
  programDirInput: string | undefined,
  actionDir: string,
  workspace: string,
): string {
  const dir =
    programDirInput === undefined
      ? resolve(actionDir, '..', '..')
      : isAbsolute(programDirInput)
        ? programDirInput
        : resolve(workspace, programDirInput);
  if (!existsSync(join(dir, 'Pulumi.yaml')))
    throw new ProgramNotFoundError(dir, programDirInput !== undefined);
  return dir;
}

/**
 * The command that installs the program's dependencies, or undefined when they are there already
 * (`node_modules` exists) or the program declares none. The package manager is the one the
 * program's package.json pins (`packageManager`), run through npx so the runner needs only Node.
 */
export function installCommandFor(programDir: string, override: string | undefined): string | undefined {
  if (existsSync(join(programDir, 'node_modules'))) return undefined;
  if (override !== undefined) return override;
  const manifest = join(programDir, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const { packageManager } = JSON.parse(readFileSync(manifest, 'utf8')) as { packageManager?: unknown };
  if (typeof packageManager === 'string' && /^pnpm@\d/.test(packageManager))
    return `npx --yes ${packageManager.split('+')[0]} install --frozen-lockfile`;
  if (existsSync(join(programDir, 'package-lock.json'))) return 'npm ci';
  return 'npm install';
}
