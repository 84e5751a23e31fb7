// A stand-in for the S3 bucket-level API on 127.0.0.1: enough of S3's REST protocol (path-style)
// for the real AWS SDK client to create and configure a bucket, recording every request.
import { S3Client } from '@aws-sdk/client-s3';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';

export interface S3Request {
  method: string;
  bucket: string;
  /** The sub-resource (`versioning`, `policy`, ...) or '' for the bucket itself. */
  subresource: string;
  body: string;
}

export interface S3Standin {
  client: S3Client;
  requests: S3Request[];
  /** Buckets that exist (HEAD → 200); `forbidden` ones answer 403 like another account's. */
  buckets: Set<string>;
  forbidden: Set<string>;
  close(): Promise<void>;
}

export async function startS3Standin(region = 'eu-west-1'): Promise<S3Standin> {
  const requests: S3Request[] = [];
  const buckets = new Set<string>();
  const forbidden = new Set<string>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const bucket = url.pathname.split('/')[1] ?? '';
    const subresource = [...url.searchParams.keys()].filter((k) => k !== 'x-id')[0] ?? '';
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        bucket,
        subresource,
        body: Buffer.concat(chunks).toString(),
      });
      if (forbidden.has(bucket)) {
        res.writeHead(403).end();
        return;
      }
      if (req.method === 'HEAD') {
        res.writeHead(buckets.has(bucket) ? 200 : 404).end();
        return;
      }
      if (req.method === 'PUT' && subresource === '') buckets.add(bucket);
      res.writeHead(200, { 'content-type': 'application/xml' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new S3Client({
    region,
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIASTANDIN', secretAccessKey: 'standin' },
  });
  return {
    client,
    requests,
    buckets,
    forbidden,
    close: () => {
      client.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
