// Names GitHub sees: inputs and outputs as action.yml spells them.
export { CommonInputs } from '../../cache-load/src/shared/inputs';

export const StoreInputs = {
  Keep: 'keep',
} as const;

export const Outputs = {
  Stored: 'stored',
  Key: 'key',
} as const;
