import assert from 'node:assert/strict';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sign } from '@octokit/webhooks-methods';
import { processJobMessages } from '../src/domain/dispatch';
import { isRetryable, NoCapacityError } from '../src/errors';
import { queuedSimJob, workflowJobPayload } from '../src/standins/github-payloads';
import { handleWebhook } from '../src/webhook/handle';
import {
  newHarness,
  queuedEvent,
  startShared,
  stopShared,
  WEBHOOK_SECRET,
  type Harness,
  type Shared,
} from './helpers/harness';

const message = (id: string, body: unknown) => ({ messageId: id, body: JSON.stringify(body) });

describe('job queue consumer', () => {
  let shared: Shared;
  let h: Harness;
  before(async () => {
    shared = await startShared();
  });
  after(() => stopShared(shared));
  afterEach(() => h?.close());

  it('takes a signed webhook through SQS to a started runner instance', async () => {
    h = await newHarness(shared);
    const job = queuedSimJob({
      id: 31,
      runId: 310,
      runAttempt: 1,
      repo: { id: 1, name: 'web', fullName: 'acme/web' },
      workflowName: 'CI',
      name: 'build',
      labels: ['self-hosted', 'linux'],
      headBranch: 'main',
      headSha: 'b'.repeat(40),
      sender: 'octocat',
      createdAt: h.clock.now(),
    });
    const body = JSON.stringify(workflowJobPayload(job, { id: 9, login: 'acme' }, 'queued'));
    const response = await handleWebhook(
      { ...h.deps, secret: () => Promise.resolve(WEBHOOK_SECRET) },
      {
        headers: {
          'x-github-event': 'workflow_job',
          'x-github-delivery': 'e2e-1',
          'x-hub-signature-256': await sign(WEBHOOK_SECRET, body),
        },
        body,
        isBase64Encoded: false,
      },
    );
    assert.equal(response.statusCode, 200);
    const received = await h.deps.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: h.queueUrl, MaxNumberOfMessages: 10 }),
    );

    const result = await processJobMessages(
      h.deps,
      received.Messages!.map((m) => ({ messageId: m.MessageId!, body: m.Body! })),
    );

    assert.deepEqual(result.batchItemFailures, []);
    const job31 = await h.deps.store.getJob(31);
    assert.equal(job31?.dispatch, 'started');
    assert.equal(h.aws.instance(job31.instanceId!)!.state, 'pending');
  });

  it('reports a throttled job for retry and holds back the later events of that job only', async () => {
    h = await newHarness(shared);
    h.aws.faults.throttleRate = 1;
    const result = await processJobMessages(h.deps, [
      message('m1', queuedEvent(1)),
      message('m2', queuedEvent(1, { action: 'completed', runnerName: null })),
      message('m3', queuedEvent(2, { action: 'in_progress', runnerName: 'GitHub Actions 2' })),
    ]);
    assert.deepEqual(result.batchItemFailures, [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
    assert.equal((await h.deps.store.getJob(1))?.status, 'queued');
    assert.equal((await h.deps.store.getJob(2))?.status, 'in_progress');
  });

  it('drops a message that is not a job event instead of retrying it forever', async () => {
    h = await newHarness(shared);
    const result = await processJobMessages(h.deps, [{ messageId: 'bad', body: 'not json' }]);
    assert.deepEqual(result.batchItemFailures, []);
    assert.equal(h.telemetry.counts.get('Failures'), 1);
  });

  it('processes each duplicate of a delivery to a single runner', async () => {
    h = await newHarness(shared);
    const result = await processJobMessages(h.deps, [
      message('a', queuedEvent(7)),
      message('b', queuedEvent(7, { deliveryId: 'redelivered' })),
    ]);
    assert.deepEqual(result.batchItemFailures, []);
    assert.equal(h.aws.listInstances().length, 1);
  });
});

describe('retry classification', () => {
  const named = (name: string) => Object.assign(new Error(name), { name });
  it('retries throttling, capacity and server errors', () => {
    for (const error of [
      named('RequestLimitExceeded'),
      named('ThrottlingException'),
      named('ProvisionedThroughputExceededException'),
      new NoCapacityError([]),
      Object.assign(new Error('bad gateway'), { status: 502 }),
      Object.assign(new Error('rate limited'), { status: 403 }),
    ])
      assert.equal(isRetryable(error), true, error.name);
  });
  it('does not expect a different answer to a request GitHub refused as invalid', () => {
    assert.equal(isRetryable(Object.assign(new Error('invalid'), { status: 422 })), false);
    assert.equal(isRetryable(named('ValidationException')), false);
  });
});
