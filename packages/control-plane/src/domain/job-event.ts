/**
 * The message the webhook puts on the FIFO queue: the few fields of a `workflow_job` delivery
 * Harrier uses, validated once at the edge so consumers trust their input.
 */
import { JOB_ACTIONS, type JobAction } from '../constants';
import { MalformedMessageError } from '../errors';

export interface JobEvent {
  action: JobAction;
  /** `X-GitHub-Delivery`, or `redrive-…` for a job re-driven by reconcile. */
  deliveryId: string;
  jobId: number;
  runId: number;
  /** `owner/name`. */
  repo: string;
  workflowName: string;
  jobName: string;
  labels: string[];
  /** `i-…` for a Harrier runner; null while queued. */
  runnerName: string | null;
  sender: string;
  /** Epoch ms GitHub created (queued) the job. */
  createdAt: number;
  /** Set by reconcile: GitHub still shows the job queued and no runner is on the way. */
  redrive?: boolean;
}

export class InvalidJobPayloadError extends Error {
  constructor(reason: string) {
    super(`not a workflow_job payload: ${reason}`);
    this.name = 'InvalidJobPayloadError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Extracts a JobEvent from a parsed webhook payload; throws InvalidJobPayloadError when it cannot. */
export function jobEventFromPayload(payload: unknown, deliveryId: string): JobEvent {
  if (!isRecord(payload)) throw new InvalidJobPayloadError('body is not a JSON object');
  const job = payload.workflow_job;
  const repository = payload.repository;
  const sender = payload.sender;
  if (!isRecord(job)) throw new InvalidJobPayloadError('workflow_job missing');
  if (!isRecord(repository) || typeof repository.full_name !== 'string')
    throw new InvalidJobPayloadError('repository.full_name missing');
  const action = payload.action;
  if (typeof action !== 'string' || !(JOB_ACTIONS as readonly string[]).includes(action))
    throw new InvalidJobPayloadError(`unsupported action ${String(action)}`);
  if (typeof job.id !== 'number' || typeof job.run_id !== 'number')
    throw new InvalidJobPayloadError('workflow_job.id/run_id missing');
  if (!Array.isArray(job.labels) || !job.labels.every((l) => typeof l === 'string'))
    throw new InvalidJobPayloadError('workflow_job.labels missing');
  const createdAt = typeof job.created_at === 'string' ? Date.parse(job.created_at) : NaN;
  return {
    action: action as JobAction,
    deliveryId,
    jobId: job.id,
    runId: job.run_id,
    repo: repository.full_name,
    workflowName: typeof job.workflow_name === 'string' ? job.workflow_name : '',
    jobName: typeof job.name === 'string' ? job.name : '',
    labels: job.labels,
    runnerName: typeof job.runner_name === 'string' ? job.runner_name : null,
    sender: isRecord(sender) && typeof sender.login === 'string' ? sender.login : '',
    createdAt: Number.isNaN(createdAt) ? 0 : createdAt,
  };
}

/** Parses one SQS message body written by the webhook or reconcile. */
export function parseJobEvent(body: string, messageId: string): JobEvent {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new MalformedMessageError(messageId, 'body is not JSON');
  }
  if (
    !isRecord(value) ||
    typeof value.jobId !== 'number' ||
    typeof value.repo !== 'string' ||
    !Array.isArray(value.labels) ||
    !(JOB_ACTIONS as readonly string[]).includes(String(value.action))
  )
    throw new MalformedMessageError(messageId, 'missing jobId, repo, labels or action');
  return value as unknown as JobEvent;
}

/**
 * GitHub gives a job to a runner that has every label the job asks for (case-insensitive), so a
 * pool serves a job when the job's labels are a subset of the pool's.
 */
export function poolServes(poolLabels: readonly string[], jobLabels: readonly string[]): boolean {
  if (jobLabels.length === 0) return false;
  const pool = new Set(poolLabels.map((l) => l.toLowerCase()));
  return jobLabels.every((label) => pool.has(label.toLowerCase()));
}

/** What a reused instance must match: same repository, workflow, job and actor. */
export function jobFingerprint(
  event: Pick<JobEvent, 'repo' | 'workflowName' | 'jobName' | 'sender'>,
): string {
  return JSON.stringify([event.repo, event.workflowName, event.jobName, event.sender]);
}

/** `owner/name` → its parts. */
export function splitRepo(repo: string): { owner: string; name: string } {
  const slash = repo.indexOf('/');
  return { owner: repo.slice(0, slash), name: repo.slice(slash + 1) };
}

/** Harrier names each runner after its instance, so `runner_name` finds the instance. */
export function instanceIdFromRunnerName(runnerName: string | null): string | undefined {
  return runnerName !== null && /^i-[0-9a-f]{8,17}$/.test(runnerName) ? runnerName : undefined;
}
