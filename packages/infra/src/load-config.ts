import * as pulumi from '@pulumi/pulumi';
import { CONFIG_KEYS, parseConfig, type ConfigKey, type HarrierConfig } from './config';
import type { HarrierSecrets } from './program';

/** Reads every `harrier:*` key once; secrets stay Outputs (never read as plain values). */
export function loadConfig(): { config: HarrierConfig; secrets: HarrierSecrets } {
  const cfg = new pulumi.Config('harrier');
  const values: Partial<Record<ConfigKey, unknown>> = {};
  for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) {
    if (key === 'githubToken' || key === 'githubAppPrivateKey') continue;
    values[key] = key === 'pools' ? cfg.getObject<unknown>(key) : cfg.get(key);
  }
  const githubToken = cfg.getSecret('githubToken');
  const githubAppPrivateKey = cfg.getSecret('githubAppPrivateKey');
  const secretsPresent = new Set<'githubToken' | 'githubAppPrivateKey'>();
  if (githubToken !== undefined) secretsPresent.add('githubToken');
  if (githubAppPrivateKey !== undefined) secretsPresent.add('githubAppPrivateKey');
  const config = parseConfig({ values, secretsPresent });
  return {
    config,
    secrets: {
      ...(githubToken === undefined ? {} : { githubToken }),
      ...(githubAppPrivateKey === undefined ? {} : { githubAppPrivateKey }),
    },
  };
}
