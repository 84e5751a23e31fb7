import { IMDS_REQUEST_TIMEOUT_MS, IMDS_TOKEN_TTL_SECONDS } from './constants';

/** IMDS answered with something other than the value or a 404. */
export class ImdsError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ImdsError';
  }
}

export interface ImdsOptions {
  /** @default 'http://169.254.169.254' */
  baseUrl: string;
  /** @default IMDS_TOKEN_TTL_SECONDS */
  tokenTtlSeconds?: number;
  /** @default IMDS_REQUEST_TIMEOUT_MS */
  timeoutMs?: number;
}

/** The metadata the agent reads; an interface so the agent's flow can be tested with any source. */
export interface InstanceMetadata {
  instanceId(): Promise<string>;
  region(): Promise<string>;
  /** A tag of this instance, or undefined when it has no such tag. */
  tag(key: string): Promise<string | undefined>;
}

/**
 * IMDSv2 client: a session token first (PUT), then GETs carrying it. The launch template requires
 * IMDSv2, so an IMDSv1 GET would be refused. A 401 means the token expired: fetch one and retry once.
 */
export function createImdsClient(options: ImdsOptions): InstanceMetadata {
  const base = options.baseUrl.replace(/\/+$/, '');
  const ttl = options.tokenTtlSeconds ?? IMDS_TOKEN_TTL_SECONDS;
  const timeoutMs = options.timeoutMs ?? IMDS_REQUEST_TIMEOUT_MS;
  let token: string | undefined;

  async function fetchToken(): Promise<string> {
    const response = await fetch(`${base}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': String(ttl) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok)
      throw new ImdsError(`IMDS refused a session token (HTTP ${response.status})`, response.status);
    return response.text();
  }

  async function get(path: string, retried = false): Promise<string | undefined> {
    token ??= await fetchToken();
    const response = await fetch(`${base}/latest/meta-data/${path}`, {
      headers: { 'X-aws-ec2-metadata-token': token },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status === 401 && !retried) {
      token = undefined;
      return get(path, true);
    }
    if (response.status === 404) return undefined;
    if (!response.ok)
      throw new ImdsError(`IMDS GET ${path} failed (HTTP ${response.status})`, response.status);
    return response.text();
  }

  async function required(path: string): Promise<string> {
    const value = await get(path);
    if (value === undefined) throw new ImdsError(`IMDS has no ${path}`, 404);
    return value;
  }

  return {
    instanceId: () => required('instance-id'),
    region: () => required('placement/region'),
    tag: (key) => get(`tags/instance/${encodeURIComponent(key)}`),
  };
}
