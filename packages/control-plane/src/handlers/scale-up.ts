/**
 * SQS FIFO job queue consumer: every accepted workflow_job event (queued → scale-up,
 * in_progress/completed → lifecycle). Needs `ReportBatchItemFailures` on the event source mapping.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processJobMessages } from '../domain/dispatch';
import { getDeps } from './runtime';

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const deps = getDeps('scale-up');
  try {
    return await processJobMessages(
      deps,
      event.Records.map((record) => ({ messageId: record.messageId, body: record.body })),
    );
  } finally {
    deps.telemetry.flush();
  }
}
