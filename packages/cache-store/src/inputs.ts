import { parseKeep } from '@harrier/cache-core';
import { type CommonInputValues, type GetInput, readCommonInputs } from '../../cache-load/src/shared/inputs';
import { StoreInputs } from './constants';

export interface StoreInputValues extends CommonInputValues {
  /** Entries kept per branch. @default 2 */
  keep: number;
}

export function readStoreInputs(
  getInput: GetInput,
  env: NodeJS.ProcessEnv,
  workspace: string,
): StoreInputValues {
  const keep = parseKeep(getInput(StoreInputs.Keep));
  return { ...readCommonInputs(getInput, env, workspace), keep };
}
