import assert from 'node:assert/strict';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import examples from '@octokit/webhooks-examples' with { type: 'json' };
import { sign } from '@octokit/webhooks-methods';
import type { Config } from '../src/config';
import { MAX_WEBHOOK_BODY_BYTES } from '../src/constants';
import {
  queuedSimJob,
  workflowJobPayload,
  workflowJobSchemaErrors,
  type SimJob,
} from '../src/standins/github-payloads';
import { recordingTelemetry, type RecordedTelemetry } from '../src/telemetry';
import type { JobEvent } from '../src/domain/job-event';
import { HookAllowList } from '../src/webhook/allow-list';
import { handleWebhook, type WebhookDeps, type WebhookRequest } from '../src/webhook/handle';
import { startSqs, type SqsEmulator } from './helpers/emulators';

const SECRET = 'webhook-secret-for-tests';
const GITHUB_IP = '140.82.115.36';

const job = (overrides: Partial<SimJob> = {}): SimJob => ({
  ...queuedSimJob({
    id: 4242,
    runId: 77,
    runAttempt: 1,
    repo: { id: 1, name: 'web', fullName: 'acme/web' },
    workflowName: 'CI',
    name: 'test',
    labels: ['self-hosted', 'linux'],
    headBranch: 'main',
    headSha: 'a'.repeat(40),
    sender: 'octocat',
    createdAt: Date.UTC(2026, 0, 5),
  }),
  ...overrides,
});

const payload = (
  overrides: Partial<SimJob> = {},
  action: 'queued' | 'in_progress' | 'completed' = 'queued',
) => JSON.stringify(workflowJobPayload(job(overrides), { id: 9, login: 'acme' }, action));

async function signed(body: string, headers: Record<string, string> = {}): Promise<WebhookRequest> {
  return {
    headers: {
      'x-github-event': 'workflow_job',
      'x-github-delivery': `d-${Math.random()}`,
      'x-hub-signature-256': await sign(SECRET, body),
      'content-type': 'application/json',
      ...headers,
    },
    body,
    isBase64Encoded: false,
    sourceIp: GITHUB_IP,
  };
}

describe('webhook', () => {
  let sqs: SqsEmulator;
  let queueUrl: string;
  let telemetry: RecordedTelemetry;
  let deps: WebhookDeps;
  let secretReads: number;

  before(async () => {
    sqs = await startSqs();
  });
  after(() => sqs.close());
  beforeEach(async () => {
    queueUrl = await sqs.newFifoQueue();
    telemetry = recordingTelemetry();
    secretReads = 0;
    deps = {
      config: {
        jobQueueUrl: queueUrl,
        pool: { labels: ['self-hosted', 'linux', 'x64'] } as Config['pool'],
        webhookIpAllowList: false,
      },
      sqs: sqs.client,
      secret: () => {
        secretReads++;
        return Promise.resolve(SECRET);
      },
      telemetry,
    };
  });

  async function queued() {
    const out = await sqs.client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        AttributeNames: ['All'],
      }),
    );
    return out.Messages ?? [];
  }

  it('uses payloads that GitHub’s published webhook schema accepts', () => {
    assert.equal(workflowJobSchemaErrors(JSON.parse(payload())), '');
    assert.equal(workflowJobSchemaErrors(JSON.parse(payload({ status: 'in_progress' }, 'in_progress'))), '');
  });

  it('enqueues a signed queued job once, grouped by job id and de-duplicated by delivery id', async () => {
    const request = await signed(payload(), { 'x-github-delivery': 'delivery-1' });

    const response = await handleWebhook(deps, request);

    assert.equal(response.statusCode, 200);
    const messages = await queued();
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.Attributes?.MessageGroupId, '4242');
    assert.equal(messages[0]!.Attributes?.MessageDeduplicationId, 'delivery-1');
    const event = JSON.parse(messages[0]!.Body!);
    assert.deepEqual(
      {
        action: event.action,
        jobId: event.jobId,
        repo: event.repo,
        labels: event.labels,
        sender: event.sender,
      },
      {
        action: 'queued',
        jobId: 4242,
        repo: 'acme/web',
        labels: ['self-hosted', 'linux'],
        sender: 'octocat',
      },
    );
  });

  it('lets SQS drop a redelivery with the same delivery id', async () => {
    const body = payload();
    await handleWebhook(deps, await signed(body, { 'x-github-delivery': 'same' }));
    await handleWebhook(deps, await signed(body, { 'x-github-delivery': 'same' }));
    assert.equal((await queued()).length, 1);
  });

  it('accepts a base64 body as API Gateway passes it', async () => {
    const body = payload();
    const request = await signed(body);
    const response = await handleWebhook(deps, {
      ...request,
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    });
    assert.equal(response.statusCode, 200);
    assert.equal((await queued()).length, 1);
  });

  it('refuses an unsigned request with 401 and enqueues nothing', async () => {
    const request = await signed(payload());
    delete request.headers['x-hub-signature-256'];
    assert.equal((await handleWebhook(deps, request)).statusCode, 401);
    assert.equal((await queued()).length, 0);
  });

  it('refuses a request signed with another secret with 401', async () => {
    const body = payload();
    const request = await signed(body, { 'x-hub-signature-256': await sign('not-the-secret', body) });
    assert.equal((await handleWebhook(deps, request)).statusCode, 401);
    assert.equal((await queued()).length, 0);
  });

  it('refuses a genuine signature replayed with another body with 401', async () => {
    const original = await signed(payload());
    const forged = { ...original, body: payload({ id: 1, labels: ['self-hosted', 'x64'] }) };
    assert.equal((await handleWebhook(deps, forged)).statusCode, 401);
    assert.equal((await queued()).length, 0);
  });

  it('refuses a malformed signature header with 401', async () => {
    const request = await signed(payload(), { 'x-hub-signature-256': 'sha256=zz' });
    assert.equal((await handleWebhook(deps, request)).statusCode, 401);
  });

  it('answers 400 to a signed body that is not JSON', async () => {
    assert.equal((await handleWebhook(deps, await signed('{"action": "queued",'))).statusCode, 400);
    assert.equal((await queued()).length, 0);
  });

  it('answers 400 to a signed workflow_job without its job', async () => {
    const response = await handleWebhook(deps, await signed('{"action":"queued","repository":{}}'));
    assert.equal(response.statusCode, 400);
  });

  it('answers 413 to a body over 1 MiB before reading the secret', async () => {
    const huge = 'x'.repeat(MAX_WEBHOOK_BODY_BYTES + 1);
    const response = await handleWebhook(deps, { headers: {}, body: huge, isBase64Encoded: false });
    assert.equal(response.statusCode, 413);
    assert.equal(secretReads, 0);
  });

  it('answers a signed ping with 200', async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const response = await handleWebhook(deps, await signed(body, { 'x-github-event': 'ping' }));
    assert.equal(response.statusCode, 200);
  });

  it('ignores other events with 202', async () => {
    const body = JSON.stringify({ action: 'opened' });
    const response = await handleWebhook(deps, await signed(body, { 'x-github-event': 'issues' }));
    assert.equal(response.statusCode, 202);
    assert.equal((await queued()).length, 0);
  });

  it('ignores jobs for labels no pool serves with 202', async () => {
    for (const labels of [['ubuntu-latest'], ['self-hosted', 'k8s']]) {
      const response = await handleWebhook(deps, await signed(payload({ labels })));
      assert.equal(response.statusCode, 202);
    }
    assert.equal((await queued()).length, 0);
    assert.equal(telemetry.counts.get('WebhookIgnored'), 2);
  });

  it('ignores the waiting action with 202', async () => {
    // GitHub's own example delivery for `waiting` (environment protection rules).
    const jobExamples = examples.find((e) => e.name === 'workflow_job')!.examples as unknown as {
      action: string;
      workflow_job: Record<string, unknown>;
    }[];
    const waiting = jobExamples.find((e) => e.action === 'waiting')!;
    const body = JSON.stringify({
      ...waiting,
      workflow_job: { ...waiting.workflow_job, labels: ['self-hosted'] },
    });
    assert.equal((await handleWebhook(deps, await signed(body))).statusCode, 202);
  });

  it('enqueues in_progress and completed with the runner name', async () => {
    for (const action of ['in_progress', 'completed'] as const) {
      const body = payload(
        {
          status: action,
          conclusion: action === 'completed' ? 'success' : null,
          runnerName: 'i-0123456789abcdef0',
          runnerId: 5,
          startedAt: Date.UTC(2026, 0, 5, 0, 1),
          completedAt: action === 'completed' ? Date.UTC(2026, 0, 5, 0, 5) : undefined,
        },
        action,
      );
      assert.equal((await handleWebhook(deps, await signed(body))).statusCode, 200);
    }
    const events = (await queued()).map((m) => JSON.parse(m.Body!) as JobEvent);
    assert.deepEqual(
      events.map((e) => [e.action, e.runnerName]),
      [
        ['in_progress', 'i-0123456789abcdef0'],
        ['completed', 'i-0123456789abcdef0'],
      ],
    );
  });

  describe('source allow-list from GET /meta', () => {
    it('refuses a correctly signed delivery from outside GitHub’s hook ranges with 403', async () => {
      deps.config.webhookIpAllowList = true;
      deps.allowList = new HookAllowList(() => Promise.resolve(['140.82.112.0/20', '2a0a:a440::/29']));
      const request = { ...(await signed(payload())), sourceIp: '203.0.113.9' };
      assert.equal((await handleWebhook(deps, request)).statusCode, 403);
      assert.equal((await queued()).length, 0);
    });

    it('accepts IPv4 and IPv6 sources inside the ranges', async () => {
      deps.config.webhookIpAllowList = true;
      deps.allowList = new HookAllowList(() => Promise.resolve(['140.82.112.0/20', '2a0a:a440::/29']));
      assert.equal((await handleWebhook(deps, await signed(payload({ id: 1 })))).statusCode, 200);
      const v6 = { ...(await signed(payload({ id: 2 }))), sourceIp: '2a0a:a440::1' };
      assert.equal((await handleWebhook(deps, v6)).statusCode, 200);
    });

    it('relies on the signature and counts a metric when the ranges cannot be fetched', async () => {
      deps.config.webhookIpAllowList = true;
      deps.allowList = new HookAllowList(() => Promise.reject(new Error('api.github.com unreachable')));
      const request = { ...(await signed(payload())), sourceIp: '203.0.113.9' };
      assert.equal((await handleWebhook(deps, request)).statusCode, 200);
      assert.equal(telemetry.counts.get('HookRangesUnavailable'), 1);
    });

    it('fetches the ranges once and refreshes them after an hour', async () => {
      let now = 0;
      let fetches = 0;
      const list = new HookAllowList(
        () => {
          fetches++;
          return Promise.resolve(['140.82.112.0/20']);
        },
        () => now,
      );
      await list.check(GITHUB_IP);
      await list.check(GITHUB_IP);
      now += 61 * 60_000;
      await list.check(GITHUB_IP);
      assert.equal(fetches, 2);
    });
  });
});
