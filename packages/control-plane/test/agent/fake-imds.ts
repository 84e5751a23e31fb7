import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small IMDSv2 on 127.0.0.1: PUT /latest/api/token issues a token, every GET must carry a valid
 * one (401 otherwise, like IMDS with `HttpTokens: required`), instance tags live in a mutable map.
 */
export interface FakeImds {
  baseUrl: string;
  tags: Map<string, string>;
  instanceId: string;
  region: string;
  requests: { method: string; path: string; token?: string }[];
  /** Invalidate every token issued so far (as if they expired). */
  expireTokens(): void;
  close(): Promise<void>;
}

export async function startFakeImds(
  options: { instanceId?: string; region?: string } = {},
): Promise<FakeImds> {
  const valid = new Set<string>();
  let issued = 0;
  const fake = {
    baseUrl: '',
    tags: new Map<string, string>(),
    instanceId: options.instanceId ?? 'i-0123456789abcdef0',
    region: options.region ?? 'eu-west-1',
    requests: [] as FakeImds['requests'],
    expireTokens: () => valid.clear(),
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '';
    const token = request.headers['x-aws-ec2-metadata-token'];
    fake.requests.push({
      method: request.method ?? '',
      path,
      ...(typeof token === 'string' ? { token } : {}),
    });
    if (request.method === 'PUT' && path === '/latest/api/token') {
      if (request.headers['x-aws-ec2-metadata-token-ttl-seconds'] === undefined) {
        response.writeHead(400).end();
        return;
      }
      issued += 1;
      const value = `token-${issued}`;
      valid.add(value);
      response.writeHead(200, { 'content-type': 'text/plain' }).end(value);
      return;
    }
    if (request.method !== 'GET') {
      response.writeHead(405).end();
      return;
    }
    if (typeof token !== 'string' || !valid.has(token)) {
      response.writeHead(401).end();
      return;
    }
    const prefix = '/latest/meta-data/';
    const key = path.startsWith(prefix) ? path.slice(prefix.length) : '';
    let body: string | undefined;
    if (key === 'instance-id') body = fake.instanceId;
    else if (key === 'placement/region') body = fake.region;
    else if (key.startsWith('tags/instance/')) body = fake.tags.get(decodeURIComponent(key.slice(14)));
    if (body === undefined) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}
