/**
 * GitHub REST calls Harrier makes, through `@octokit/rest` with a configurable base URL (the
 * local stand-in serves the same paths on 127.0.0.1). The credential is a PAT read from
 * Secrets Manager; the client is rebuilt only when the secret's value changes (rotation).
 */
import { Octokit } from '@octokit/rest';
import { CredentialFormatError, httpStatus } from '../errors';

/** Upper bound on one GitHub call so a slow API cannot eat a Lambda's whole timeout. */
export const GITHUB_REQUEST_TIMEOUT_MS = 10_000;

export type TokenSource = () => Promise<string>;

/** Accepts the secret as a bare token or as JSON `{"token": "..."}` (what infra stores). */
export function parseCredential(secret: string, arn: string): string {
  const trimmed = secret.trim();
  if (!trimmed.startsWith('{')) {
    if (trimmed === '') throw new CredentialFormatError(arn);
    return trimmed;
  }
  try {
    const parsed = JSON.parse(trimmed) as { token?: unknown };
    if (typeof parsed.token === 'string' && parsed.token !== '') return parsed.token;
  } catch {
    // fall through to the format error, which never echoes the secret
  }
  throw new CredentialFormatError(arn);
}

export interface RunnerRegistration {
  id: number;
  name: string;
  status: string;
  busy: boolean;
}

export interface QueuedJob {
  id: number;
  runId: number;
  name: string;
  workflowName: string;
  labels: string[];
  status: string;
  createdAt: string;
}

/** Where a runner registers: the org, or one repository (`owner/name`). */
export type RunnerTarget = { scope: 'org'; org: string } | { scope: 'repo'; owner: string; repo: string };

export class GitHubClient {
  private octokit?: { token: string; client: Octokit };
  /** `x-ratelimit-remaining` from the last response, when GitHub sent it. */
  rateLimitRemaining: number | undefined;

  constructor(
    private readonly apiUrl: string,
    private readonly token: TokenSource,
  ) {}

  private async client(): Promise<Octokit> {
    const token = await this.token();
    if (this.octokit?.token !== token) {
      const client = new Octokit({
        auth: token,
        baseUrl: this.apiUrl,
        userAgent: 'harrier-control-plane',
        request: { timeout: GITHUB_REQUEST_TIMEOUT_MS },
        log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      });
      client.hook.after('request', (response) => {
        const remaining = Number(response.headers['x-ratelimit-remaining']);
        if (Number.isFinite(remaining)) this.rateLimitRemaining = remaining;
      });
      this.octokit = { token, client };
    }
    return this.octokit.client;
  }

  /** Registers a just-in-time runner and returns its encoded config (a secret: never log it). */
  async generateJitConfig(
    target: RunnerTarget,
    runner: { name: string; labels: string[]; runnerGroupId: number },
  ): Promise<{ runnerId: number; encodedJitConfig: string }> {
    const octokit = await this.client();
    const body = {
      name: runner.name,
      runner_group_id: runner.runnerGroupId,
      labels: runner.labels,
      work_folder: '_work',
    };
    const { data } =
      target.scope === 'org'
        ? await octokit.rest.actions.generateRunnerJitconfigForOrg({ org: target.org, ...body })
        : await octokit.rest.actions.generateRunnerJitconfigForRepo({
            owner: target.owner,
            repo: target.repo,
            ...body,
          });
    return { runnerId: data.runner.id, encodedJitConfig: data.encoded_jit_config };
  }

  async listRunners(target: RunnerTarget): Promise<RunnerRegistration[]> {
    const octokit = await this.client();
    const runners =
      target.scope === 'org'
        ? await octokit.paginate(octokit.rest.actions.listSelfHostedRunnersForOrg, {
            org: target.org,
            per_page: 100,
          })
        : await octokit.paginate(octokit.rest.actions.listSelfHostedRunnersForRepo, {
            owner: target.owner,
            repo: target.repo,
            per_page: 100,
          });
    return runners.map((r) => ({ id: r.id, name: r.name, status: r.status, busy: r.busy }));
  }

  /** Deletes a runner registration; one GitHub already removed (404) is not an error. */
  async deleteRunner(target: RunnerTarget, runnerId: number): Promise<void> {
    const octokit = await this.client();
    try {
      if (target.scope === 'org')
        await octokit.rest.actions.deleteSelfHostedRunnerFromOrg({ org: target.org, runner_id: runnerId });
      else
        await octokit.rest.actions.deleteSelfHostedRunnerFromRepo({
          owner: target.owner,
          repo: target.repo,
          runner_id: runnerId,
        });
    } catch (error: unknown) {
      if (httpStatus(error) !== 404) throw error;
    }
  }

  /** Jobs GitHub still shows queued in one repository (queued runs, then their jobs). */
  async listQueuedJobs(owner: string, repo: string): Promise<QueuedJob[]> {
    const octokit = await this.client();
    const { data: runs } = await octokit.rest.actions.listWorkflowRunsForRepo({
      owner,
      repo,
      status: 'queued',
      per_page: 100,
    });
    const jobs: QueuedJob[] = [];
    for (const run of runs.workflow_runs) {
      const { data } = await octokit.rest.actions.listJobsForWorkflowRun({
        owner,
        repo,
        run_id: run.id,
        filter: 'latest',
        per_page: 100,
      });
      for (const job of data.jobs)
        if (job.status === 'queued')
          jobs.push({
            id: job.id,
            runId: job.run_id,
            name: job.name,
            workflowName: job.workflow_name ?? run.name ?? '',
            labels: job.labels,
            status: job.status,
            createdAt: job.created_at,
          });
    }
    return jobs;
  }
}

/** GitHub's webhook source ranges (`GET /meta` → `hooks`); public, no credential needed. */
export async function fetchHookRanges(apiUrl: string, timeoutMs: number): Promise<string[]> {
  const octokit = new Octokit({
    baseUrl: apiUrl,
    userAgent: 'harrier-control-plane',
    request: { signal: AbortSignal.timeout(timeoutMs) },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  const { data } = await octokit.rest.meta.get();
  return data.hooks ?? [];
}
