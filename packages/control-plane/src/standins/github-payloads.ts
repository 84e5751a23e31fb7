/**
 * Webhook payloads and REST objects for the GitHub stand-in, built from GitHub's real example
 * payloads (@octokit/webhooks-examples) with only the identifying fields replaced, and checked
 * against the published webhook schemas (@octokit/webhooks-schemas): Harrier's handlers see exactly
 * the shape GitHub sends, not a hand-written approximation.
 */
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import examples from '@octokit/webhooks-examples' with { type: 'json' };
import webhookSchema from '@octokit/webhooks-schemas/schema.json' with { type: 'json' };

export type JobStatus = 'queued' | 'in_progress' | 'completed';
export type JobConclusion = 'success' | 'failure' | 'cancelled' | null;

export interface SimRepo {
  id: number;
  /** `name` only, e.g. `web`. */
  name: string;
  /** `owner/name`. */
  fullName: string;
}

export interface SimOrg {
  id: number;
  login: string;
}

export interface SimJob {
  id: number;
  runId: number;
  runAttempt: number;
  repo: SimRepo;
  workflowName: string;
  name: string;
  labels: string[];
  headBranch: string;
  headSha: string;
  sender: string;
  status: JobStatus;
  conclusion: JobConclusion;
  createdAt: number;
  startedAt: number | undefined;
  completedAt: number | undefined;
  runnerId: number | null;
  runnerName: string | null;
  runnerGroupId: number | null;
  runnerGroupName: string | null;
}

/** The fields a job has before any runner picked it up (what `queued` looks like on GitHub). */
export type QueuedJobFields = Omit<
  SimJob,
  | 'status'
  | 'conclusion'
  | 'startedAt'
  | 'completedAt'
  | 'runnerId'
  | 'runnerName'
  | 'runnerGroupId'
  | 'runnerGroupName'
>;

/** A job as GitHub has it while queued: no runner, no conclusion, not started. */
export function queuedSimJob(fields: QueuedJobFields): SimJob {
  return {
    ...fields,
    status: 'queued',
    conclusion: null,
    startedAt: undefined,
    completedAt: undefined,
    runnerId: null,
    runnerName: null,
    runnerGroupId: null,
    runnerGroupName: null,
  };
}

/** A payload that does not conform to GitHub's webhook schema: the stand-in itself is wrong. */
export class PayloadSchemaError extends Error {
  constructor(readonly violations: string) {
    super(`generated workflow_job payload violates @octokit/webhooks-schemas: ${violations}`);
    this.name = 'PayloadSchemaError';
  }
}

interface ExampleDefinition {
  name: string;
  examples: Record<string, unknown>[];
}
const definitions = examples as unknown as ExampleDefinition[];

function example(event: string, predicate: (e: Record<string, unknown>) => boolean): Record<string, unknown> {
  const found = definitions.find((d) => d.name === event)?.examples.find(predicate);
  if (!found) throw new Error(`@octokit/webhooks-examples has no matching ${event} example`);
  return found;
}

// The one example with an `organization` block: org webhooks always carry it.
const JOB_TEMPLATE = example('workflow_job', (e) => e.action === 'completed' && 'organization' in e);
const RUN_TEMPLATE = example('workflow_run', () => true).workflow_run as Record<string, unknown>;

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
let validateWebhook: ValidateFunction | undefined;

/** Validates a `workflow_job` payload against @octokit/webhooks-schemas; returns the errors or ''. */
export function workflowJobSchemaErrors(payload: unknown): string {
  validateWebhook ??= ajv.compile({
    $ref: '#/definitions/workflow_job_event',
    definitions: (webhookSchema as { definitions: Record<string, unknown> }).definitions,
  });
  return validateWebhook(payload) ? '' : ajv.errorsText(validateWebhook.errors, { dataVar: 'payload' });
}

const iso = (ms: number | undefined): string | null =>
  ms === undefined ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function retarget(
  template: unknown,
  org: SimOrg,
  repo: SimRepo,
  from: { owner: string; name: string },
): unknown {
  const text = JSON.stringify(template)
    .replaceAll(`${from.owner}/${from.name}`, repo.fullName)
    .replaceAll(`"${from.name}"`, JSON.stringify(repo.name))
    .replaceAll(`/${from.owner}`, `/${org.login}`)
    .replaceAll(`"${from.owner}"`, JSON.stringify(org.login));
  return JSON.parse(text);
}

const repositoryCache = new Map<string, string>();
const runTemplateCache = new Map<string, string>();

function repositoryObject(org: SimOrg, repo: SimRepo): Record<string, unknown> {
  const key = `${org.login}/${org.id}/${repo.fullName}/${repo.id}`;
  const cached = repositoryCache.get(key);
  if (cached !== undefined) return JSON.parse(cached) as Record<string, unknown>;
  const built = buildRepositoryObject(org, repo);
  repositoryCache.set(key, JSON.stringify(built));
  return built;
}

function buildRepositoryObject(org: SimOrg, repo: SimRepo): Record<string, unknown> {
  const template = JOB_TEMPLATE.repository as { name: string; full_name: string; owner: { login: string } };
  const fromOwner = template.full_name.split('/')[0] ?? template.owner.login;
  const repository = retarget(template, org, repo, { owner: fromOwner, name: template.name }) as Record<
    string,
    unknown
  >;
  repository.id = repo.id;
  repository.owner = { ...(repository.owner as object), login: org.login, id: org.id, type: 'Organization' };
  return repository;
}

/** The `workflow_job` object, as in webhooks and (nearly) the REST job resource. */
export function workflowJobObject(job: SimJob): Record<string, unknown> {
  const base = `https://api.github.com/repos/${job.repo.fullName}/actions`;
  return {
    ...(JOB_TEMPLATE.workflow_job as Record<string, unknown>),
    id: job.id,
    run_id: job.runId,
    run_attempt: job.runAttempt,
    run_url: `${base}/runs/${job.runId}`,
    node_id: Buffer.from(`04:WorkflowJob${job.id}`).toString('base64'),
    head_sha: job.headSha,
    head_branch: job.headBranch,
    url: `${base}/jobs/${job.id}`,
    html_url: `https://github.com/${job.repo.fullName}/actions/runs/${job.runId}/job/${job.id}`,
    check_run_url: `https://api.github.com/repos/${job.repo.fullName}/check-runs/${job.id}`,
    status: job.status,
    conclusion: job.conclusion,
    created_at: iso(job.createdAt),
    // GitHub sets started_at when the job is queued and moves it when a runner picks it up.
    started_at: iso(job.startedAt ?? job.createdAt),
    completed_at: iso(job.completedAt),
    name: job.name,
    steps: [],
    labels: job.labels,
    runner_id: job.runnerId,
    runner_name: job.runnerName,
    runner_group_id: job.runnerGroupId,
    runner_group_name: job.runnerGroupName,
    workflow_name: job.workflowName,
  };
}

/** A `workflow_job` webhook payload for the job's current status; throws if it violates the schema. */
export function workflowJobPayload(job: SimJob, org: SimOrg, action: JobStatus): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    action,
    workflow_job: workflowJobObject(job),
    repository: repositoryObject(org, job.repo),
    organization: {
      ...(JOB_TEMPLATE.organization as Record<string, unknown>),
      login: org.login,
      id: org.id,
      url: `https://api.github.com/orgs/${org.login}`,
    },
    sender: { ...(JOB_TEMPLATE.sender as Record<string, unknown>), login: job.sender },
  };
  const errors = workflowJobSchemaErrors(payload);
  if (errors !== '') throw new PayloadSchemaError(errors);
  return payload;
}

/** The REST job resource (`GET /repos/{o}/{r}/actions/jobs/{id}`). */
export function restJob(job: SimJob): Record<string, unknown> {
  return workflowJobObject(job);
}

/** The REST workflow-run resource, from the real `workflow_run` example. */
export function restWorkflowRun(
  org: SimOrg,
  run: {
    id: number;
    repo: SimRepo;
    name: string;
    status: JobStatus;
    conclusion: JobConclusion;
    createdAt: number;
    updatedAt: number;
    headBranch: string;
    headSha: string;
  },
): Record<string, unknown> {
  const [fromOwner = 'octo-org', fromName = 'octo-repo'] = String(
    (RUN_TEMPLATE.repository as { full_name: string }).full_name,
  ).split('/');
  const key = `${org.login}/${run.repo.fullName}`;
  let text = runTemplateCache.get(key);
  if (text === undefined) {
    text = JSON.stringify(retarget(RUN_TEMPLATE, org, run.repo, { owner: fromOwner, name: fromName }));
    runTemplateCache.set(key, text);
  }
  const retargeted = JSON.parse(text) as Record<string, unknown>;
  const base = `https://api.github.com/repos/${run.repo.fullName}/actions/runs/${run.id}`;
  return {
    ...retargeted,
    id: run.id,
    name: run.name,
    display_title: run.name,
    path: `.github/workflows/${run.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.yml`,
    status: run.status,
    conclusion: run.conclusion,
    created_at: iso(run.createdAt),
    updated_at: iso(run.updatedAt),
    run_started_at: iso(run.createdAt),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    url: base,
    html_url: `https://github.com/${run.repo.fullName}/actions/runs/${run.id}`,
    jobs_url: `${base}/jobs`,
    repository: { ...(retargeted.repository as object), id: run.repo.id },
  };
}
