/**
 * An SQS FIFO queue on the simulator's virtual clock. The SQS emulator keeps real time (its
 * visibility timeout and 5-minute de-duplication window run on the wall clock), which a simulated
 * day cannot use; this model keeps the semantics Harrier relies on, in simulated time:
 * - de-duplication by MessageDeduplicationId within 5 minutes;
 * - per message group strict order: a group with a message in flight delivers nothing else;
 * - a received, undeleted message comes back after the visibility timeout;
 * - after `maxReceiveCount` receives it moves to the dead-letter queue.
 * Installed on one SQSClient instance (SendMessage only), the one the handlers get as `deps.sqs`.
 */
import { SendMessageCommand, SQSClient, type SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { Clock } from '../standins/clock';

/** SQS FIFO de-duplication interval. */
export const FIFO_DEDUP_WINDOW_MS = 5 * 60_000;

export interface FifoMessage {
  messageId: string;
  body: string;
  groupId: string;
  receiveCount: number;
  sentAt: number;
  /** Invisible until this time (in flight). */
  hiddenUntil: number;
}

export interface FifoQueueOptions {
  clock: Clock;
  /** @default 30 s (the queue infra creates uses the Lambda timeout × 6; 30 s is SQS's default) */
  visibilityTimeoutMs?: number;
  /** @default 5 */
  maxReceiveCount?: number;
}

export class VirtualFifoQueue {
  readonly deadLetters: FifoMessage[] = [];
  sent = 0;
  deduplicated = 0;
  private readonly messages: FifoMessage[] = [];
  private readonly dedup = new Map<string, number>();
  private counter = 0;
  private readonly visibilityTimeoutMs: number;
  private readonly maxReceiveCount: number;

  constructor(private readonly options: FifoQueueOptions) {
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
  }

  /** An SQSClient whose SendMessage lands here (only this instance is affected). */
  client(): { client: SQSClient; restore: () => void } {
    const client = new SQSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' },
    });
    const mock = mockClient(client);
    mock.onAnyCommand().callsFake(() => {
      throw new Error('simulated SQS: only SendMessage is modelled');
    });
    mock
      .on(SendMessageCommand)
      .callsFake((input: SendMessageCommandInput) => Promise.resolve(this.send(input)));
    return { client, restore: () => mock.restore() };
  }

  send(input: SendMessageCommandInput): { MessageId: string; SequenceNumber: string } {
    const now = this.options.clock.now();
    const dedupId = input.MessageDeduplicationId ?? '';
    const seen = this.dedup.get(dedupId);
    const messageId = `sim-${++this.counter}`;
    if (seen !== undefined && now - seen < FIFO_DEDUP_WINDOW_MS) {
      // SQS answers success for a duplicate and drops it.
      this.deduplicated += 1;
      return { MessageId: messageId, SequenceNumber: String(this.counter) };
    }
    this.dedup.set(dedupId, now);
    this.sent += 1;
    this.messages.push({
      messageId,
      body: input.MessageBody ?? '',
      groupId: input.MessageGroupId ?? '',
      receiveCount: 0,
      sentAt: now,
      hiddenUntil: 0,
    });
    return { MessageId: messageId, SequenceNumber: String(this.counter) };
  }

  /** Up to `max` messages, FIFO per group; a group with a message in flight is skipped. */
  receive(max = 10): FifoMessage[] {
    const now = this.options.clock.now();
    const blocked = new Set<string>();
    const batch: FifoMessage[] = [];
    for (const message of [...this.messages]) {
      if (batch.length >= max) break;
      if (blocked.has(message.groupId)) continue;
      if (message.hiddenUntil > now) {
        blocked.add(message.groupId);
        continue;
      }
      if (message.receiveCount >= this.maxReceiveCount) {
        this.remove(message.messageId);
        this.deadLetters.push(message);
        continue;
      }
      message.receiveCount += 1;
      message.hiddenUntil = now + this.visibilityTimeoutMs;
      batch.push(message);
      // Strict order inside a group: later messages wait until this one is deleted.
      blocked.add(message.groupId);
    }
    return batch;
  }

  delete(messageId: string): void {
    this.remove(messageId);
  }

  /** Messages waiting (visible or in flight). */
  size(): number {
    return this.messages.length;
  }

  /** Earliest time a hidden message becomes visible again, if any. */
  nextVisibleAt(): number | undefined {
    const hidden = this.messages
      .filter((m) => m.hiddenUntil > this.options.clock.now())
      .map((m) => m.hiddenUntil);
    return hidden.length ? Math.min(...hidden) : undefined;
  }

  hasVisible(): boolean {
    const now = this.options.clock.now();
    const blocked = new Set(this.messages.filter((m) => m.hiddenUntil > now).map((m) => m.groupId));
    return this.messages.some((m) => m.hiddenUntil <= now && !blocked.has(m.groupId));
  }

  private remove(messageId: string): void {
    const index = this.messages.findIndex((m) => m.messageId === messageId);
    if (index >= 0) this.messages.splice(index, 1);
  }
}
