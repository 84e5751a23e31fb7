/**
 * Secrets Manager reads, cached per container: the webhook handler verifies every delivery with
 * the same secret and must not pay a Secrets Manager round trip each time. Values are never
 * logged; they leave this module only as return values.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SECRET_CACHE_MS } from '../constants';
import type { Clock } from '../state/store';

export class SecretCache {
  private readonly entries = new Map<string, { value: Promise<string>; at: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly now: Clock = Date.now,
    private readonly maxAgeMs: number = SECRET_CACHE_MS,
  ) {}

  /** The secret's string value; concurrent callers share one request. */
  get(arn: string): Promise<string> {
    const cached = this.entries.get(arn);
    if (cached !== undefined && this.now() - cached.at < this.maxAgeMs) return cached.value;
    const value = this.client.send(new GetSecretValueCommand({ SecretId: arn })).then((out) => {
      if (out.SecretString === undefined) throw new Error(`secret ${arn} has no string value`);
      return out.SecretString;
    });
    // A failed read must not stay cached: the next call tries again.
    value.catch(() => this.entries.delete(arn));
    this.entries.set(arn, { value, at: this.now() });
    return value;
  }
}
