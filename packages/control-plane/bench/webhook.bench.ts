/**
 * Webhook deliveries per second through the real handler logic (size check, source allow-list,
 * HMAC signature, parse, label match) with SQS on the local-aws-sqs emulator, all in this one
 * Node process: one core. Target: >= 200 deliveries per second of that core (CPU time, so a
 * busy machine does not distort it; the wall-clock rate is printed too). Payloads are real, schema-checked
 * workflow_job deliveries, signed before the clock starts (signing is GitHub's cost).
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sign } from '@octokit/webhooks-methods';
import type { Config } from '../src/config';
import { queuedSimJob, workflowJobPayload } from '../src/standins/github-payloads';
import { recordingTelemetry } from '../src/telemetry';
import { HookAllowList } from '../src/webhook/allow-list';
import { handleWebhook, type WebhookRequest } from '../src/webhook/handle';
import { startSqs } from '../test/helpers/emulators';

const TARGET_PER_SECOND = 200;
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 2000);
/** In-flight deliveries, as API Gateway would run several Lambda invocations at once. */
const CONCURRENCY = 16;
/** Deliveries before the clock starts: a warm Lambda container has JIT-compiled code and open sockets. */
const WARM_UP = 300;
const SECRET = 'bench-webhook-secret';

const sqs = await startSqs();
try {
  const queueUrl = await sqs.newFifoQueue();
  const telemetry = recordingTelemetry();
  const allowList = new HookAllowList(() => Promise.resolve(['140.82.112.0/20', '192.30.252.0/22']));
  const deps = {
    config: {
      jobQueueUrl: queueUrl,
      pool: { labels: ['self-hosted', 'linux', 'x64'] } as Config['pool'],
      webhookIpAllowList: true,
    },
    sqs: sqs.client,
    secret: () => Promise.resolve(SECRET),
    allowList,
    telemetry,
  };

  const requests: WebhookRequest[] = [];
  for (let i = 0; i < DELIVERIES + WARM_UP; i++) {
    const body = JSON.stringify(
      workflowJobPayload(
        queuedSimJob({
          id: 1_000_000 + i,
          runId: 500_000 + i,
          runAttempt: 1,
          repo: { id: 1, name: 'web', fullName: 'acme/web' },
          workflowName: 'CI',
          name: 'test',
          labels: ['self-hosted', 'linux'],
          headBranch: 'main',
          headSha: 'c'.repeat(40),
          sender: 'octocat',
          createdAt: Date.UTC(2026, 0, 5),
        }),
        { id: 9, login: 'acme' },
        'queued',
      ),
    );
    requests.push({
      headers: {
        'x-github-event': 'workflow_job',
        'x-github-delivery': `bench-${i}`,
        'x-hub-signature-256': await sign(SECRET, body),
        'content-type': 'application/json',
      },
      body,
      isBase64Encoded: false,
      sourceIp: '140.82.115.36',
    });
  }
  // Warm-up: JIT, connection pool, allow-list fetch.
  for (const request of requests.splice(0, WARM_UP)) await handleWebhook(deps, request);

  let next = 0;
  let failures = 0;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const response = await handleWebhook(deps, requests[next++]!);
        if (response.statusCode !== 200) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  // CPU seconds of this one process (handler + emulator on one thread): the rate one dedicated
  // core sustains, independent of what else the machine runs. Wall-clock rate printed beside it.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const rate = DELIVERIES / cpuSeconds;

  const sample = await sqs.client.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 }),
  );
  if (failures > 0 || sample.Messages?.length !== 1) throw new Error(`bench: ${failures} deliveries failed`);

  console.log(
    JSON.stringify({
      bench: 'webhook deliveries through handleWebhook → SQS (local-aws-sqs), one process',
      deliveries: DELIVERIES,
      concurrency: CONCURRENCY,
      wallSeconds: Number(seconds.toFixed(2)),
      wallPerSecond: Math.round(DELIVERIES / seconds),
      cpuSeconds: Number(cpuSeconds.toFixed(2)),
      perCpuSecond: Math.round(rate),
      target: TARGET_PER_SECOND,
      ratioToTarget: Number((rate / TARGET_PER_SECOND).toFixed(2)),
      cpuMsPerDelivery: Number(((cpuSeconds * 1000) / DELIVERIES).toFixed(2)),
    }),
  );
} finally {
  await sqs.close();
}
