/**
 * The one consumer of the FIFO job queue: `queued` → scale-up, `in_progress`/`completed` →
 * lifecycle. One consumer because two consumers on one queue would each see only part of the
 * messages, and one queue because a job's events must stay in order (FIFO group = job id).
 */
import { isRetryable, MalformedMessageError, errorName } from '../errors';
import { METRIC } from '../telemetry';
import type { Deps } from './deps';
import { parseJobEvent, type JobEvent } from './job-event';
import { onJobCompleted, onJobInProgress, type LifecycleOutcome } from './lifecycle';
import { scaleUp, type ScaleUpOutcome } from './scale-up';

export interface QueueMessage {
  messageId: string;
  body: string;
}

export interface BatchResult {
  /** SQS partial batch response: these messages (and, FIFO, the rest of their group) come back. */
  batchItemFailures: { itemIdentifier: string }[];
}

export async function handleJobEvent(
  deps: Deps,
  event: JobEvent,
): Promise<ScaleUpOutcome | LifecycleOutcome> {
  switch (event.action) {
    case 'queued':
      return scaleUp(deps, event);
    case 'in_progress':
      return onJobInProgress(deps, event);
    case 'completed':
      return onJobCompleted(deps, event);
  }
}

/**
 * Processes a batch in order and reports failed messages in `batchItemFailures`, so only they
 * come back. Transient failures (see isRetryable: throttling, AWS and GitHub 5xx, GitHub rate
 * limits, network errors, no capacity in any AZ) succeed on a later receive. Permanent ones (a
 * 422 from GitHub) are reported too: after the queue's maxReceiveCount they land in the
 * dead-letter queue, where an operator sees them, instead of vanishing. Only malformed
 * messages are dropped at once (no retry can parse them). After a failure, later messages of
 * the same job are failed unprocessed: FIFO order within a job must hold.
 */
export async function processJobMessages(deps: Deps, messages: QueueMessage[]): Promise<BatchResult> {
  const failures: { itemIdentifier: string }[] = [];
  const blockedGroups = new Set<number>();
  for (const message of messages) {
    let event: JobEvent;
    try {
      event = parseJobEvent(message.body, message.messageId);
    } catch (error: unknown) {
      if (error instanceof MalformedMessageError) {
        deps.telemetry.log.error('dropping malformed message', { messageId: message.messageId });
        deps.telemetry.count(METRIC.failures);
        continue;
      }
      throw error;
    }
    if (blockedGroups.has(event.jobId)) {
      failures.push({ itemIdentifier: message.messageId });
      continue;
    }
    try {
      const outcome = await handleJobEvent(deps, event);
      deps.telemetry.log.info('job event handled', {
        jobId: event.jobId,
        action: event.action,
        deliveryId: event.deliveryId,
        outcome,
      });
    } catch (error: unknown) {
      deps.telemetry.count(METRIC.failures);
      const retry = isRetryable(error);
      deps.telemetry.log.error('job event failed', {
        jobId: event.jobId,
        action: event.action,
        error: errorName(error),
        message: error instanceof Error ? error.message : String(error),
        retry,
      });
      failures.push({ itemIdentifier: message.messageId });
      blockedGroups.add(event.jobId);
    }
  }
  return { batchItemFailures: failures };
}
