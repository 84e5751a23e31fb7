// Inputs → the Pulumi config map of the infra program. Pulumi config values are strings: numbers
// and booleans go as their text (config.getNumber/getBoolean parse them), lists and objects as
// JSON (config.getObject parses it). Only the GitHub token is secret.
import type { ConfigMap } from '@pulumi/pulumi/automation';
import { CONFIG_NAMESPACE } from './constants';
import type { ActionInputs, HarrierConfig } from './inputs';

/** Keys whose values Pulumi must store encrypted and mask in its output. */
const SECRET_KEYS: ReadonlySet<keyof HarrierConfig> = new Set(['githubToken']);

function encode(value: string | number | boolean | object): string {
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
      value: encode(value as string | number | boolean | object),
      secret: SECRET_KEYS.has(key),
    };
  }
  return map;
}
