// Parsing and validation of the inputs both actions share. Every problem is a CacheInputError
// whose message names the input, the value and what is accepted: invalid input fails the step,
// unlike a cache problem, which is only ever a warning.
import {
  type CacheMode,
  CacheInputError,
  parseMode,
  resolveCachePath,
  resolveCacheRoot,
  resolveKeyFiles,
} from '@harrier/cache-core';

export type Fallback = 'github' | 'none';

/** action.yml's default for `path`, repeated for runs that bypass action.yml (tests, `node dist`). */
export const DEFAULT_PATH = 'node_modules';

export const FALLBACKS: readonly Fallback[] = ['github', 'none'];

/** The input names both actions share, as action.yml spells them. */
export const CommonInputs = {
  Path: 'path',
  KeyFiles: 'key-files',
  CacheRoot: 'cache-root',
  Mode: 'mode',
  Fallback: 'fallback',
} as const;

export interface CommonInputValues {
  /** Absolute path of the cached directory, inside the workspace. */
  path: string;
  /** Absolute paths of the files whose contents form the key. */
  keyFiles: string[];
  cacheRoot: string;
  mode: CacheMode;
  fallback: Fallback;
}

export type GetInput = (name: string) => string;

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[], fallback: T): T {
  if (value === '') return fallback;
  const match = allowed.find((candidate) => candidate === value.toLowerCase());
  if (match === undefined) {
    throw new CacheInputError(
      `Input '${name}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got '${value}'`,
    );
  }
  return match;
}

export function parseFallback(value: string): Fallback {
  return oneOf(CommonInputs.Fallback, value, FALLBACKS, 'github');
}

/** The YAML 1.2 core-schema booleans, as @actions/core's getBooleanInput accepts them. */
const TRUE_VALUES = ['true', 'True', 'TRUE'];
const FALSE_VALUES = ['false', 'False', 'FALSE'];

export function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback;
  if (TRUE_VALUES.includes(value)) return true;
  if (FALSE_VALUES.includes(value)) return false;
  throw new CacheInputError(`Input '${name}' must be 'true' or 'false'; got '${value}'`);
}

export function readCommonInputs(
  getInput: GetInput,
  env: NodeJS.ProcessEnv,
  workspace: string,
): CommonInputValues {
  // Cheap checks first, so a typo in `mode` is reported even when the key files are missing too.
  const mode = parseMode(getInput(CommonInputs.Mode));
  const fallback = parseFallback(getInput(CommonInputs.Fallback));
  const path = resolveCachePath(workspace, getInput(CommonInputs.Path) || DEFAULT_PATH);
  const keyFiles = resolveKeyFiles(workspace, getInput(CommonInputs.KeyFiles));
  const cacheRoot = resolveCacheRoot(getInput(CommonInputs.CacheRoot), env);
  return { path, keyFiles, cacheRoot, mode, fallback };
}
