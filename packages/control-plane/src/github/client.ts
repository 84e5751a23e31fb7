/**
 * GitHub REST calls Harrier makes, through `@octokit/rest` with a configurable base URL (the
 * local stand-in serves the same paths on 127.0.0.1). The credential, read from Secrets Manager,
 * is a PAT or a GitHub App (installation tokens minted and refreshed by `@octokit/auth-app`);
 * the client is rebuilt only when the secret's value changes (rotation).
 */
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { CredentialFormatError, httpStatus } from '../errors';

/** Upper bound on one GitHub call so a slow API cannot eat a Lambda's whole timeout. */
export const GITHUB_REQUEST_TIMEOUT_MS = 10_000;

export type GitHubCredential =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: number; privateKey: string; installationId?: number };

/** Reads the current credential (cached by the caller); a bare string is taken as a token. */
export type CredentialSource = () => Promise<GitHubCredential | string>;

/**
 * Accepts what infra stores: `{"token": "..."}` (PAT), `{"appId": …, "privateKey": "...",
 * "installationId"?: …}` (GitHub App), or a bare token string.
 */
export function parseCredential(secret: string, arn: string): GitHubCredential {
  const trimmed = secret.trim();
  if (!trimmed.startsWith('{')) {
    if (trimmed === '') throw new CredentialFormatError(arn);
    return { kind: 'token', token: trimmed };
  }
  try {
    const parsed = JSON.parse(trimmed) as Record<string, unknown>;
    if (typeof parsed.token === 'string' && parsed.token !== '')
      return { kind: 'token', token: parsed.token };
    const appId = Number(parsed.appId);
    const installationId = parsed.installationId === undefined ? undefined : Number(parsed.installationId);
    if (
      Number.isSafeInteger(appId) &&
      appId > 0 &&
      typeof parsed.privateKey === 'string' &&
      parsed.privateKey.includes('PRIVATE KEY') &&
      (installationId === undefined || Number.isSafeInteger(installationId))
    )
      return { kind: 'app', appId, privateKey: parsed.privateKey, installationId };
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

const SILENT_LOG = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export class GitHubClient {
  private octokit?: { key: string; client: Promise<Octokit> };
  /** `x-ratelimit-remaining` from the last response, when GitHub sent it. */
  rateLimitRemaining: number | undefined;

  /** @param org the organization whose App installation is used when the credential is an App */
  constructor(
    private readonly apiUrl: string,
    private readonly credential: CredentialSource,
    private readonly org?: string,
  ) {}

  private async client(): Promise<Octokit> {
    const raw = await this.credential();
    const credential: GitHubCredential = typeof raw === 'string' ? { kind: 'token', token: raw } : raw;
    const key = JSON.stringify(credential);
    if (this.octokit?.key !== key) {
      const client = this.build(credential);
      // A failed build (installation lookup) must not stay cached.
      client.catch(() => {
        if (this.octokit?.client === client) this.octokit = undefined;
      });
      this.octokit = { key, client };
    }
    return this.octokit.client;
  }

  private async build(credential: GitHubCredential): Promise<Octokit> {
    const common = {
      baseUrl: this.apiUrl,
      userAgent: 'harrier-control-plane',
      request: { timeout: GITHUB_REQUEST_TIMEOUT_MS },
      log: SILENT_LOG,
    };
    let client: Octokit;
    if (credential.kind === 'token') client = new Octokit({ ...common, auth: credential.token });
    else {
      let installationId = credential.installationId;
      if (installationId === undefined) {
        if (this.org === undefined) throw new Error('a GitHub App credential needs the organization');
        // Authenticated as the App itself (JWT): which installation serves this organization?
        const asApp = new Octokit({
          ...common,
          authStrategy: createAppAuth,
          auth: { appId: credential.appId, privateKey: credential.privateKey },
        });
        installationId = (await asApp.rest.apps.getOrgInstallation({ org: this.org })).data.id;
      }
      // Installation tokens last an hour; auth-app caches and renews them.
      client = new Octokit({
        ...common,
        authStrategy: createAppAuth,
        auth: { appId: credential.appId, privateKey: credential.privateKey, installationId },
      });
    }
    client.hook.after('request', (response) => {
      const remaining = Number(response.headers['x-ratelimit-remaining']);
      if (Number.isFinite(remaining)) this.rateLimitRemaining = remaining;
    });
    return client;
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
    log: SILENT_LOG,
  });
  const { data } = await octokit.rest.meta.get();
  return data.hooks ?? [];
}
