import { type CommonInputValues, type GetInput, parseBoolean, readCommonInputs } from './shared/inputs';
import { LoadInputs } from './constants';

export interface LoadInputValues extends CommonInputValues {
  /** @default false: falling back to any branch lets one branch's entry reach another's build. */
  restoreFromAnyBranch: boolean;
}

export function readLoadInputs(
  getInput: GetInput,
  env: NodeJS.ProcessEnv,
  workspace: string,
): LoadInputValues {
  const restoreFromAnyBranch = parseBoolean(
    LoadInputs.RestoreFromAnyBranch,
    getInput(LoadInputs.RestoreFromAnyBranch),
    false,
  );
  return { ...readCommonInputs(getInput, env, workspace), restoreFromAnyBranch };
}
