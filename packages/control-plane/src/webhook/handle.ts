/**
 * One webhook delivery, as API Gateway (HTTP API, payload v2) hands it over, to one SQS send.
 * Order matters: size before anything (a 100 MB body must not be hashed), source range, then
 * the signature over the exact bytes received, and only then parsing. Nothing the sender
 * controls is acted on before the signature checks out.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { verify } from '@octokit/webhooks-methods';
import type { Config } from '../config';
import { MAX_WEBHOOK_BODY_BYTES } from '../constants';
import { jobEventFromPayload, poolServes, InvalidJobPayloadError } from '../domain/job-event';
import { METRIC, type Telemetry } from '../telemetry';
import type { HookAllowList } from './allow-list';

export interface WebhookRequest {
  /** Header names in any case (API Gateway lower-cases them). */
  headers: Record<string, string | undefined>;
  body: string | undefined;
  isBase64Encoded: boolean;
  sourceIp?: string;
}

export interface WebhookResponse {
  statusCode: number;
  body: string;
}

export interface WebhookDeps {
  config: Pick<Config, 'jobQueueUrl' | 'pool' | 'webhookIpAllowList'>;
  sqs: SQSClient;
  /** The webhook secret (cached by the caller). */
  secret: () => Promise<string>;
  allowList?: HookAllowList;
  telemetry: Telemetry;
}

const respond = (statusCode: number, message: string): WebhookResponse => ({
  statusCode,
  body: JSON.stringify({ message }),
});

function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

export async function handleWebhook(deps: WebhookDeps, request: WebhookRequest): Promise<WebhookResponse> {
  const { telemetry } = deps;
  const reject = (statusCode: number, message: string): WebhookResponse => {
    telemetry.count(METRIC.webhookRejected);
    telemetry.log.warn('webhook rejected', { statusCode, reason: message, sourceIp: request.sourceIp });
    return respond(statusCode, message);
  };

  const raw = request.body ?? '';
  // base64 inflates by 4/3: the decoded size is what GitHub sent.
  const size = request.isBase64Encoded ? Buffer.byteLength(raw, 'base64') : Buffer.byteLength(raw, 'utf8');
  if (size > MAX_WEBHOOK_BODY_BYTES) return reject(413, `body over ${MAX_WEBHOOK_BODY_BYTES} bytes`);

  if (deps.config.webhookIpAllowList && deps.allowList !== undefined) {
    const verdict = await deps.allowList.check(request.sourceIp);
    if (verdict === 'refused') return reject(403, 'source address is not in GitHub hook ranges');
    if (verdict === 'unknown') telemetry.count(METRIC.hookRangesUnavailable);
  }

  const signature = header(request.headers, 'x-hub-signature-256');
  if (signature === undefined || !signature.startsWith('sha256=')) return reject(401, 'missing signature');
  const body = request.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const secret = await deps.secret();
  // verify() throws on a malformed signature header: that is a wrong signature too.
  const valid = await verify(secret, body, signature).catch(() => false);
  if (!valid) return reject(401, 'signature does not match');

  const eventName = header(request.headers, 'x-github-event');
  const deliveryId = header(request.headers, 'x-github-delivery');
  if (eventName === 'ping') return respond(200, 'pong');
  if (eventName !== 'workflow_job') return ignored(deps, `event ${eventName ?? 'none'}`);
  if (deliveryId === undefined || deliveryId === '') return reject(400, 'missing X-GitHub-Delivery');

  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return reject(400, 'body is not JSON');
  }
  const action = (payload as { action?: unknown } | null)?.action;
  if (action !== 'queued' && action !== 'in_progress' && action !== 'completed')
    return ignored(deps, `action ${String(action)}`);
  let event;
  try {
    event = jobEventFromPayload(payload, deliveryId);
  } catch (error: unknown) {
    if (error instanceof InvalidJobPayloadError) return reject(400, error.message);
    throw error;
  }
  if (!poolServes(deps.config.pool.labels, event.labels)) return ignored(deps, 'labels not served');

  await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.config.jobQueueUrl,
      MessageBody: JSON.stringify(event),
      // One job's events stay in order; a redelivered delivery is dropped by SQS.
      MessageGroupId: String(event.jobId),
      MessageDeduplicationId: deliveryId,
    }),
  );
  telemetry.count(METRIC.webhookAccepted);
  return respond(200, `queued ${event.action} for job ${event.jobId}`);
}

function ignored(deps: WebhookDeps, reason: string): WebhookResponse {
  deps.telemetry.count(METRIC.webhookIgnored);
  return respond(202, `ignored: ${reason}`);
}
