// Inputs → the Pulumi config map of the infra program (packages/infra/src/load-config.ts reads it).
// The GitHub token and the App's private key are secret: Pulumi encrypts them with the stack's
// secrets provider and masks them in its output.
import type { ConfigMap } from '@pulumi/pulumi/automation';
import { CONFIG_NAMESPACE } from './constants';
import type { ActionInputs, HarrierConfig } from './inputs';

/** Keys whose values Pulumi must store encrypted and mask in its output. */
const SECRET_KEYS: ReadonlySet<keyof HarrierConfig> = new Set(['githubToken', 'githubAppPrivateKey']);

/**
 * Pulumi config values are strings. The infra program reads `labels` with config.get and splits
 * it on commas, and `pools` with config.getObject (JSON); numbers and booleans as their text.
 */
function encode(key: keyof HarrierConfig, value: string | number | boolean | object): string {
  if (key === 'labels' && Array.isArray(value)) return value.join(',');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * The full config for one run. The stack's config file lives in the (ephemeral) program checkout,
 * not in the state bucket, so every run sets every key it wants: unset keys fall back to the
 * infra program's defaults.
 */
export function toPulumiConfig(inputs: Pick<ActionInputs, 'awsRegion' | 'config'>): ConfigMap {
  const map: ConfigMap = { 'aws:region': { value: inputs.awsRegion } };
  for (const [key, value] of Object.entries(inputs.config) as [keyof HarrierConfig, unknown][]) {
    if (value === undefined) continue;
    map[`${CONFIG_NAMESPACE}:${key}`] = {
      value: encode(key, value as string | number | boolean | object),
      secret: SECRET_KEYS.has(key),
    };
  }
  return map;
}
