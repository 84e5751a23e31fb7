import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { AWS_MAX_ATTEMPTS, agentAwsClients } from '../../src/agent/aws-clients';

/**
 * The real SDK clients the agent builds, against a 127.0.0.1 endpoint that throttles the way SSM
 * (JSON protocol) and EC2 (query protocol) do: this exercises the SDK's own retry strategy, which
 * aws-sdk-client-mock bypasses.
 */
interface ThrottlingEndpoint {
  url: string;
  /** Requests seen, by SSM target or EC2 action. */
  requests: string[];
  /** How many of the next requests to throttle. */
  throttleNext: number;
  close(): Promise<void>;
}

const body = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

async function startThrottlingEndpoint(): Promise<ThrottlingEndpoint> {
  const endpoint = { url: '', requests: [] as string[], throttleNext: 0, close: () => Promise.resolve() };
  const server: Server = createServer((request, response) => {
    void body(request).then((text) => {
      const target = request.headers['x-amz-target'];
      const ssm = typeof target === 'string';
      endpoint.requests.push(ssm ? target : (new URLSearchParams(text).get('Action') ?? '?'));
      const throttle = endpoint.throttleNext > 0;
      if (throttle) endpoint.throttleNext -= 1;
      if (ssm) {
        response.writeHead(throttle ? 400 : 200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(
          throttle
            ? JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' })
            : JSON.stringify({
                Parameter: { Name: '/p', Type: 'SecureString', Value: 'jit-config', Version: 1 },
              }),
        );
        return;
      }
      response.writeHead(throttle ? 503 : 200, { 'content-type': 'text/xml' });
      response.end(
        throttle
          ? '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r-1</RequestID></Response>'
          : '<?xml version="1.0" encoding="UTF-8"?><CreateTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-2</requestId><return>true</return></CreateTagsResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  endpoint.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return endpoint;
}

describe('agent AWS clients', () => {
  let endpoint: ThrottlingEndpoint;
  before(async () => {
    endpoint = await startThrottlingEndpoint();
  });
  after(() => endpoint.close());
  beforeEach(() => {
    endpoint.requests.length = 0;
    endpoint.throttleNext = 0;
  });

  const clients = () =>
    agentAwsClients('eu-west-1', {
      endpoint: endpoint.url,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    });

  // Each takes ~4 s: adaptive mode's client-side rate limiter slows the retries after a throttle.
  it('retries an SSM read throttled twice inside one call', async () => {
    endpoint.throttleNext = 2;
    const { ssm } = clients();
    const answer = await ssm.send(new GetParameterCommand({ Name: '/p', WithDecryption: true }));
    assert.equal(answer.Parameter?.Value, 'jit-config');
    assert.deepEqual(endpoint.requests, Array(3).fill('AmazonSSM.GetParameter'));
    assert.equal(answer.$metadata.attempts, 3);
  });

  it('retries an EC2 CreateTags refused with RequestLimitExceeded twice inside one call', async () => {
    endpoint.throttleNext = 2;
    const { ec2 } = clients();
    await ec2.send(
      new CreateTagsCommand({ Resources: ['i-0abc'], Tags: [{ Key: 'harrier:bootstrap', Value: 'ok' }] }),
    );
    assert.deepEqual(endpoint.requests, Array(3).fill('CreateTags'));
  });

  it('allows more attempts per call than the SDK default of 3', async () => {
    assert.ok(AWS_MAX_ATTEMPTS > 3);
    const { ssm, ec2 } = clients();
    assert.equal(await ssm.config.maxAttempts(), AWS_MAX_ATTEMPTS);
    const mode = ec2.config.retryMode;
    assert.equal(typeof mode === 'string' ? mode : await mode(), 'adaptive');
  });
});
