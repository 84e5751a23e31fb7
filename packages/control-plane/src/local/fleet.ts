/**
 * What AWS does between Harrier's Lambdas, on one machine: GitHub's webhook deliveries reach the
 * `webhook` handler as API Gateway v2 events, an event-source mapping feeds the FIFO job queue to
 * the queue consumer in batches (deleting what succeeded, leaving `batchItemFailures` to come back
 * after the visibility timeout), EventBridge hands every EC2 state change to `lifecycle`, and a
 * schedule runs `reconcile` every minute.
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { AwsStandIn, Ec2StateChangeEvent } from '../standins/aws';
import type { Clock, TimerHandle } from '../standins/clock';
import { GITHUB_HOOK_SOURCE_IP, type GitHubStandIn, type WebhookDelivery } from '../standins/github';
import { apiGatewayV2Event, queueArnFromUrl, sqsEvent } from './aws-events';
import type { ControlPlane } from './control-plane';

/** EventBridge schedule of `reconcile`. */
export const RECONCILE_INTERVAL_MS = 60_000;
/** Lambda event-source mapping batch size for the job queue. */
export const SQS_BATCH_SIZE = 10;
/** Wall-clock pause between two empty polls of the queue. */
const EMPTY_POLL_PAUSE_MS = 50;

export type DeliveryDecision = 'deliver' | 'drop';

export interface FleetObserver {
  webhook?(delivery: WebhookDelivery | undefined, status: number, body: string): void;
  batch?(size: number, failed: number): void;
  lifecycle?(event: Ec2StateChangeEvent, outcome: unknown): void;
  reconcile?(report: unknown): void;
  error?(where: string, error: unknown): void;
}

export interface FleetOptions {
  controlPlane: ControlPlane;
  aws: AwsStandIn;
  github: GitHubStandIn;
  sqs: SQSClient;
  queueUrl: string;
  clock: Clock;
  observer?: FleetObserver;
  /** Decides per delivery whether GitHub's POST arrives (a lost delivery is `drop`). */
  deliveryFilter?: (delivery: WebhookDelivery) => DeliveryDecision;
}

export class LocalFleet {
  private readonly inFlight = new Set<Promise<unknown>>();
  private running = false;
  private pump: Promise<void> | undefined;
  private reconcileTimer: TimerHandle | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly options: FleetOptions) {}

  start(): void {
    const { aws, github } = this.options;
    this.running = true;
    this.unsubscribe.push(
      github.onDelivery((delivery) => {
        if ((this.options.deliveryFilter?.(delivery) ?? 'deliver') === 'drop') return;
        void this.track(this.deliver(delivery));
      }),
      aws.onStateChange((event) => {
        void this.track(this.lifecycle(event));
      }),
    );
    this.pump = this.pumpQueue();
    this.scheduleReconcile();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.reconcileTimer) this.options.clock.clearTimer(this.reconcileTimer);
    await this.pump;
    await this.idle();
  }

  /** Resolves once no handler invocation is running. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** One reconcile run now (deploy-time pool fill, or a test forcing the backstop). */
  reconcileNow(): Promise<unknown> {
    return this.track(this.reconcile());
  }

  /** POST /webhook as GitHub (or anyone) sends it, through API Gateway to the handler. */
  async postWebhook(
    headers: Record<string, string | string[] | undefined>,
    body: string,
    sourceIp: string,
    delivery?: WebhookDelivery,
  ): Promise<{ status: number; body: string }> {
    const event = apiGatewayV2Event({
      method: 'POST',
      rawPath: '/webhook',
      headers,
      body,
      sourceIp,
      now: Date.now(),
    });
    try {
      const result = await this.options.controlPlane.webhook(event);
      const { status, text } = normaliseResult(result);
      this.options.observer?.webhook?.(delivery, status, text);
      return { status, body: text };
    } catch (error: unknown) {
      // API Gateway answers 500 when the integration throws; GitHub records a failed delivery.
      this.options.observer?.error?.('webhook', error);
      this.options.observer?.webhook?.(delivery, 500, 'Internal Server Error');
      return { status: 500, body: '{"message":"Internal Server Error"}' };
    }
  }

  private deliver(delivery: WebhookDelivery): Promise<unknown> {
    return this.postWebhook(delivery.headers, delivery.body, GITHUB_HOOK_SOURCE_IP, delivery);
  }

  private async lifecycle(event: Ec2StateChangeEvent): Promise<void> {
    try {
      const outcome = await this.options.controlPlane.lifecycle(event);
      this.options.observer?.lifecycle?.(event, outcome);
    } catch (error: unknown) {
      // EventBridge retries a failed target; reconcile is the backstop after that.
      this.options.observer?.error?.('lifecycle', error);
    }
  }

  private async reconcile(): Promise<unknown> {
    try {
      const report = await this.options.controlPlane.reconcile();
      this.options.observer?.reconcile?.(report);
      return report;
    } catch (error: unknown) {
      this.options.observer?.error?.('reconcile', error);
      return undefined;
    }
  }

  private scheduleReconcile(): void {
    this.reconcileTimer = this.options.clock.setTimer(RECONCILE_INTERVAL_MS, () => {
      if (!this.running) return;
      void this.track(this.reconcile());
      this.scheduleReconcile();
    });
  }

  private async pumpQueue(): Promise<void> {
    const { sqs, queueUrl } = this.options;
    const arn = queueArnFromUrl(queueUrl);
    while (this.running) {
      let messages: Message[] = [];
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: SQS_BATCH_SIZE,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        messages = received.Messages ?? [];
      } catch (error: unknown) {
        this.options.observer?.error?.('sqs-receive', error);
      }
      if (messages.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, EMPTY_POLL_PAUSE_MS));
        continue;
      }
      // For a FIFO queue the event-source mapping runs one invocation per message group at a time
      // and different groups in parallel: here, one batch per job id, all at once.
      const groups = new Map<string, Message[]>();
      for (const message of messages) {
        const group = message.Attributes?.MessageGroupId ?? '';
        groups.set(group, [...(groups.get(group) ?? []), message]);
      }
      await Promise.all([...groups.values()].map((batch) => this.track(this.consume(batch, arn))));
    }
  }

  private async consume(messages: Message[], arn: string): Promise<void> {
    const { sqs, queueUrl, controlPlane, observer } = this.options;
    let failed = new Set<string>();
    try {
      const response = await controlPlane.jobs(sqsEvent(messages, arn, Date.now()));
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error: unknown) {
      // A thrown invocation fails the whole batch: every message comes back.
      observer?.error?.('scale-up', error);
      failed = new Set(messages.map((m) => m.MessageId ?? ''));
    }
    observer?.batch?.(messages.length, failed.size);
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }
}

function normaliseResult(result: APIGatewayProxyResultV2): { status: number; text: string } {
  if (typeof result === 'string') return { status: 200, text: result };
  return { status: result.statusCode ?? 200, text: typeof result.body === 'string' ? result.body : '' };
}
