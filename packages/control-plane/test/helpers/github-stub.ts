/**
 * A small GitHub REST stand-in for these tests: every request is checked against GitHub's
 * OpenAPI description (the committed extract) and so is every answer it gives, so a request
 * GitHub would refuse fails the test. It keeps runner registrations and queued jobs.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GitHubContractError,
  checkGitHubResponse,
  matchGitHubRequest,
} from '../../src/standins/github-openapi';
import { restJob, restWorkflowRun, type SimRepo } from '../../src/standins/github-payloads';

const ORG = { id: 9919, login: 'acme' };
const simRepo = (fullName: string): SimRepo => ({
  id: 1000 + fullName.length,
  name: fullName.split('/')[1] ?? fullName,
  fullName,
});

export interface StubRunner {
  id: number;
  name: string;
  status: 'online' | 'offline';
  busy: boolean;
  labels: string[];
  /** `org` or `owner/name`. */
  scope: string;
}

export interface StubQueuedJob {
  id: number;
  runId: number;
  repo: string;
  name: string;
  workflowName: string;
  labels: string[];
  createdAt: number;
}

export class GitHubStub {
  readonly calls: { operationId: string; at: number; body?: unknown }[] = [];
  readonly violations: string[] = [];
  readonly runners = new Map<number, StubRunner>();
  readonly queuedJobs: StubQueuedJob[] = [];
  hooks = ['192.30.252.0/22', '2a0a:a440::/29'];
  /** Status codes to answer, in order, for the next calls of an operation. */
  readonly failNext = new Map<string, number[]>();
  /** Size of each encoded JIT config (they exceed SSM's 4 KB standard tier today). */
  jitConfigBytes = 5_000;
  private nextRunnerId = 1;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const reply = (status: number, body?: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json', 'x-ratelimit-remaining': '4999' });
          res.end(body === undefined ? undefined : JSON.stringify(body));
        };
        let matched;
        try {
          matched = matchGitHubRequest({
            method: req.method ?? 'GET',
            path: req.url ?? '/',
            body: text === '' ? undefined : JSON.parse(text),
          });
        } catch (error: unknown) {
          if (error instanceof GitHubContractError) {
            this.violations.push(error.message);
            return reply(error.status, { message: error.message });
          }
          throw error;
        }
        const body: unknown = text === '' ? undefined : JSON.parse(text);
        this.calls.push({ operationId: matched.operationId, at: Date.now(), body });
        const injected = this.failNext.get(matched.operationId)?.shift();
        if (injected !== undefined) return reply(injected, { message: 'injected failure' });
        const [status, answer] = this.answer(matched.operationId, matched.pathParams, matched.query, body);
        const problems = checkGitHubResponse(matched.operationId, status, answer);
        this.violations.push(...problems);
        reply(status, answer);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  count(operationId: string): number {
    return this.calls.filter((c) => c.operationId === operationId).length;
  }

  private runnerObject(r: StubRunner) {
    return {
      id: r.id,
      name: r.name,
      os: 'linux',
      status: r.status,
      busy: r.busy,
      labels: r.labels.map((name, i) => ({ id: i + 1, name, type: 'custom' as const })),
    };
  }

  private answer(
    operationId: string,
    path: Record<string, string | number>,
    query: Record<string, string | number | boolean>,
    body: unknown,
  ): [number, unknown] {
    const scope = path.org !== undefined ? 'org' : `${path.owner}/${path.repo}`;
    switch (operationId) {
      case 'actions/generate-runner-jitconfig-for-org':
      case 'actions/generate-runner-jitconfig-for-repo': {
        const { name, labels } = body as { name: string; labels: string[] };
        if ([...this.runners.values()].some((r) => r.name === name && r.scope === scope))
          return [409, { message: 'Already exists - A runner with the name already exists.' }];
        const runner: StubRunner = {
          id: this.nextRunnerId++,
          name,
          status: 'offline',
          busy: false,
          labels,
          scope,
        };
        this.runners.set(runner.id, runner);
        const encoded = randomBytes(Math.ceil((this.jitConfigBytes * 3) / 4)).toString('base64');
        return [
          201,
          { runner: this.runnerObject(runner), encoded_jit_config: encoded.slice(0, this.jitConfigBytes) },
        ];
      }
      case 'actions/list-self-hosted-runners-for-org':
      case 'actions/list-self-hosted-runners-for-repo': {
        const runners = [...this.runners.values()].filter((r) => r.scope === scope);
        return [200, { total_count: runners.length, runners: runners.map((r) => this.runnerObject(r)) }];
      }
      case 'actions/delete-self-hosted-runner-from-org':
      case 'actions/delete-self-hosted-runner-from-repo': {
        const id = Number(path.runner_id);
        if (!this.runners.has(id)) return [404, { message: 'Not Found' }];
        this.runners.delete(id);
        return [204, undefined];
      }
      case 'actions/list-workflow-runs-for-repo': {
        const repo = `${path.owner}/${path.repo}`;
        const runIds = [...new Set(this.queuedJobs.filter((j) => j.repo === repo).map((j) => j.runId))];
        void query;
        return [
          200,
          { total_count: runIds.length, workflow_runs: runIds.map((id) => this.runObject(repo, id)) },
        ];
      }
      case 'actions/list-jobs-for-workflow-run': {
        const jobs = this.queuedJobs.filter((j) => j.runId === Number(path.run_id));
        return [200, { total_count: jobs.length, jobs: jobs.map((j) => this.jobObject(j)) }];
      }
      case 'meta/get':
        return [200, { verifiable_password_authentication: false, hooks: this.hooks }];
      default:
        return [404, { message: `stub does not serve ${operationId}` }];
    }
  }

  private runObject(repo: string, id: number): Record<string, unknown> {
    const at = Date.now();
    return restWorkflowRun(ORG, {
      id,
      repo: simRepo(repo),
      name: 'ci',
      status: 'queued',
      conclusion: null,
      createdAt: at,
      updatedAt: at,
      headBranch: 'main',
      headSha: 'a'.repeat(40),
    });
  }

  private jobObject(j: StubQueuedJob): Record<string, unknown> {
    return restJob({
      id: j.id,
      runId: j.runId,
      runAttempt: 1,
      repo: simRepo(j.repo),
      workflowName: j.workflowName,
      name: j.name,
      labels: j.labels,
      headBranch: 'main',
      headSha: 'a'.repeat(40),
      sender: 'octocat',
      status: 'queued',
      conclusion: null,
      createdAt: j.createdAt,
      startedAt: undefined,
      completedAt: undefined,
      runnerId: null,
      runnerName: null,
      runnerGroupId: null,
      runnerGroupName: null,
    });
  }
}
