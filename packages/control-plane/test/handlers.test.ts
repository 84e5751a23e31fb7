import assert from 'node:assert/strict';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sign } from '@octokit/webhooks-methods';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSEvent } from 'aws-lambda';
import { existsSync, readFileSync } from 'node:fs';
import {
  queuedEvent,
  newHarness,
  startShared,
  stopShared,
  WEBHOOK_SECRET,
  type Harness,
  type Shared,
} from './helpers/harness';

/** The handlers as Lambda runs them: configuration from the environment, clients built inside. */
describe('Lambda handlers', () => {
  let shared: Shared;
  let h: Harness;
  const saved = { ...process.env };

  before(async () => {
    shared = await startShared();
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: shared.dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: shared.sqs.endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      HARRIER_STACK_ID: 'test',
      TABLE_NAME: h.config.tableName,
      JOB_QUEUE_URL: h.queueUrl,
      LAUNCH_TEMPLATE_ID: 'lt-0harrier',
      SUBNET_IDS: 'subnet-0a1,subnet-0b2',
      GITHUB_OWNER: 'acme',
      GITHUB_CREDENTIAL_SECRET_ARN: h.config.github.credentialSecretArn,
      WEBHOOK_SECRET_ARN: h.webhookSecretArn,
      GITHUB_API_URL: h.github.url,
      FLEET_SIZE: '1',
      WEBHOOK_IP_ALLOWLIST: 'true',
    });
  });
  after(async () => {
    process.env = saved;
    await h?.close();
    await stopShared(shared);
  });

  it('webhook: answers a signed delivery from GitHub’s hook range and enqueues it', async () => {
    const { handler } = await import('../src/handlers/webhook');
    const body = JSON.stringify({
      action: 'queued',
      workflow_job: {
        id: 501,
        run_id: 5010,
        labels: ['self-hosted'],
        name: 'test',
        workflow_name: 'CI',
        created_at: '2026-01-05T00:00:00Z',
      },
      repository: { full_name: 'acme/web' },
      sender: { login: 'octocat' },
    });
    const event = {
      headers: {
        'x-github-event': 'workflow_job',
        'x-github-delivery': 'handler-1',
        'x-hub-signature-256': await sign(WEBHOOK_SECRET, body),
      },
      body,
      isBase64Encoded: false,
      requestContext: { http: { sourceIp: '192.30.252.10' } },
    } as unknown as APIGatewayProxyEventV2;

    const response = (await handler(event)) as APIGatewayProxyStructuredResultV2;

    assert.equal(response.statusCode, 200);
    assert.equal(h.github.count('meta/get'), 1);
    const out = await h.deps.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: h.queueUrl, MaxNumberOfMessages: 10 }),
    );
    assert.equal(out.Messages?.length, 1);
  });

  it('reconcile, lifecycle and scale-up: fill the pool, mark it warm, and start it for a job', async () => {
    const reconcileHandler = (await import('../src/handlers/reconcile')).handler;
    const lifecycleHandler = (await import('../src/handlers/lifecycle')).handler;
    const scaleUpHandler = (await import('../src/handlers/scale-up')).handler;
    h.unwireLifecycle();
    h.aws.onStateChange((change) => {
      h.pending.push(lifecycleHandler(change));
    });

    const report = await reconcileHandler();
    await h.run(120_000);
    const sqsEvent = {
      Records: [{ messageId: 'm-1', body: JSON.stringify(queuedEvent(502)) }],
    } as unknown as SQSEvent;
    const result = await scaleUpHandler(sqsEvent);

    assert.equal(report.launched.length, 1);
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.equal(h.aws.instance(report.launched[0]!)!.state, 'pending');
  });

  it('bundles: the committed webhook bundle loads on its own and exports a handler', async function () {
    const file = new URL('../dist/webhook/index.mjs', import.meta.url);
    if (!existsSync(file)) this.skip();
    const bundle = (await import(file.href)) as { handler?: unknown };
    assert.equal(typeof bundle.handler, 'function');
  });

  it('bundles: every other committed handler bundle exports a handler', function () {
    for (const name of ['scale-up', 'lifecycle', 'reconcile']) {
      const file = new URL(`../dist/${name}/index.mjs`, import.meta.url);
      if (!existsSync(file)) this.skip();
      assert.match(readFileSync(file, 'utf8').slice(-300), /export\s*\{[^}]*\bas handler\b/, name);
    }
  });
});
