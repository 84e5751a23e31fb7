/**
 * Sends a job round the queue again as a synthetic `queued` event (GitHub never redelivers a
 * failed webhook by itself). Same FIFO group as the job's real events, so scale-up sees them in
 * order; de-duplicated per job and 5-minute window so overlapping reconciles send it once.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { JobRecord } from '../state/records';
import { METRIC } from '../telemetry';
import type { Deps } from './deps';
import type { JobEvent } from './job-event';

const REDRIVE_DEDUP_WINDOW_MS = 5 * 60 * 1000;

export type RedriveSource = Pick<
  JobRecord,
  'jobId' | 'runId' | 'repo' | 'workflowName' | 'jobName' | 'sender' | 'labels' | 'queuedAt'
>;

/**
 * `attempt` names one re-drive decision (de-duplicated on it instead of the time window) for
 * callers that know a runner was just lost for this job, even if it was re-driven minutes ago.
 */
export async function redriveJob(deps: Deps, job: RedriveSource, attempt?: string): Promise<void> {
  const window = Math.floor(deps.now() / REDRIVE_DEDUP_WINDOW_MS);
  const deliveryId = `redrive-${job.jobId}-${attempt ?? String(window)}`;
  const event: JobEvent = {
    action: 'queued',
    deliveryId,
    jobId: job.jobId,
    runId: job.runId,
    repo: job.repo,
    workflowName: job.workflowName,
    jobName: job.jobName,
    labels: job.labels,
    runnerName: null,
    sender: job.sender,
    createdAt: job.queuedAt,
    redrive: true,
  };
  await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.config.jobQueueUrl,
      MessageBody: JSON.stringify(event),
      MessageGroupId: String(job.jobId),
      MessageDeduplicationId: deliveryId,
    }),
  );
  deps.telemetry.count(METRIC.jobsRedriven);
  deps.telemetry.log.info('job re-driven', { jobId: job.jobId, repo: job.repo });
}
