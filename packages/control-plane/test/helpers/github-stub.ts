/**
 * A small GitHub REST stand-in for these tests: every request is checked against GitHub's
 * OpenAPI description (the committed extract) and so is every answer it gives, so a request
 * GitHub would refuse fails the test. It keeps runner registrations and queued jobs.
 */
import { randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GitHubContractError,
  checkGitHubResponse,
  matchGitHubRequest,
} from '../../src/standins/github-openapi';
import { queuedSimJob, restJob, restWorkflowRun, type SimRepo } from '../../src/standins/github-payloads';

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
  readonly calls: { operationId: string; at: number; body?: unknown; authorization?: string }[] = [];
  /** When set, the stub also plays the GitHub App endpoints: JWTs must verify with this key. */
  app?: { appId: number; publicKey: KeyObject; installationId: number; token: string };
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
        if (
          this.app !== undefined &&
          this.serveApp(req.method ?? 'GET', req.url ?? '/', req.headers.authorization, reply)
        )
          return;
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
        this.calls.push({
          operationId: matched.operationId,
          at: Date.now(),
          body,
          authorization: req.headers.authorization,
        });
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

  /**
   * The two App endpoints Harrier's App auth uses (not in the OpenAPI extract Harrier's own calls
   * are checked against): the org's installation, and an installation token. Both need a JWT
   * signed (RS256) by the App's private key whose issuer is the App id.
   */
  private serveApp(
    method: string,
    url: string,
    authorization: string | undefined,
    reply: (status: number, body?: unknown) => void,
  ): boolean {
    const app = this.app!;
    const isInstallation = method === 'GET' && /^\/orgs\/[^/]+\/installation$/.test(url);
    const isToken = method === 'POST' && url === `/app/installations/${app.installationId}/access_tokens`;
    if (!isInstallation && !isToken) return false;
    const jwt = /^bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
    const [header = '', payload = '', signature = ''] = jwt.split('.');
    const valid =
      verify(
        'RSA-SHA256',
        Buffer.from(`${header}.${payload}`),
        app.publicKey,
        Buffer.from(signature, 'base64url'),
      ) &&
      String((JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iss?: unknown }).iss) ===
        String(app.appId);
    this.calls.push({
      operationId: isToken ? 'apps/create-installation-access-token' : 'apps/get-org-installation',
      at: Date.now(),
      authorization,
    });
    if (!valid) {
      reply(401, { message: 'A JSON web token could not be decoded' });
      return true;
    }
    if (isInstallation) reply(200, { id: app.installationId, app_id: app.appId });
    else
      reply(201, {
        token: app.token,
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        permissions: { organization_self_hosted_runners: 'write' },
        repository_selection: 'all',
      });
    return true;
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
    return restJob(
      queuedSimJob({
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
        createdAt: j.createdAt,
      }),
    );
  }
}
