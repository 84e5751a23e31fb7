// Names GitHub sees: inputs and outputs as action.yml spells them, and the state key the post
// step reads back.
export { CommonInputs } from './shared/inputs';

export const LoadInputs = {
  RestoreFromAnyBranch: 'restore-from-any-branch',
} as const;

export const Outputs = {
  CacheHit: 'cache-hit',
  RestoredKey: 'restored-key',
  RestoredBranch: 'restored-branch',
} as const;

export const State = {
  /** JSON of the cache-core MountState left by an image restore; empty when nothing is mounted. */
  Mount: 'harrier-mount',
} as const;
