/**
 * Per-container setup shared by the four handlers: config parsed once, AWS clients and the
 * GitHub client created once (module scope), secrets cached. Lazy, so a configuration error
 * surfaces as one clear ConfigError in the first invocation's log.
 */
import { randomUUID } from 'node:crypto';
import { createAwsClients, type AwsClients } from '../aws/clients';
import { SecretCache } from '../aws/secrets';
import { parseConfig, type Config } from '../config';
import type { Deps } from '../domain/deps';
import { GitHubClient, parseCredential } from '../github/client';
import { StateStore } from '../state/store';
import { powertoolsTelemetry, type Telemetry } from '../telemetry';

export interface Runtime {
  config: Config;
  clients: AwsClients;
  secrets: SecretCache;
  telemetry: Telemetry;
}

let runtime: Runtime | undefined;
let deps: Deps | undefined;

export function getRuntime(serviceName: string): Runtime {
  if (runtime === undefined) {
    const config = parseConfig(process.env);
    const clients = createAwsClients();
    runtime = {
      config,
      clients,
      secrets: new SecretCache(clients.secrets),
      telemetry: powertoolsTelemetry(serviceName),
    };
  }
  return runtime;
}

export function getDeps(serviceName: string): Deps {
  if (deps === undefined) {
    const { config, clients, secrets, telemetry } = getRuntime(serviceName);
    const credentialArn = config.github.credentialSecretArn;
    deps = {
      config,
      store: new StateStore(clients.db, config.tableName),
      ec2: clients.ec2,
      ssm: clients.ssm,
      sqs: clients.sqs,
      github: new GitHubClient(
        config.github.apiUrl,
        async () => parseCredential(await secrets.get(credentialArn), credentialArn),
        config.github.owner,
      ),
      telemetry,
      now: Date.now,
      newGeneration: randomUUID,
    };
  }
  return deps;
}
