/**
 * GitHub stand-in: the REST operations Harrier calls, served by `node:http` on 127.0.0.1, every
 * request checked against GitHub's published OpenAPI description (a request GitHub would refuse is
 * refused here the same way, and recorded as a contract violation that tests assert is empty); an
 * organization with repositories, workflow runs and jobs; self-hosted runners that register with
 * their JIT config and take queued jobs matching their labels (any job: runners are fungible); and
 * signed `workflow_job` webhooks built from GitHub's real example payloads.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhooks } from '@octokit/webhooks';
import type { Clock, TimerHandle } from './clock';
import {
  GitHubContractError,
  checkGitHubResponse,
  documentedStatuses,
  matchGitHubRequest,
  warmUpValidators,
} from './github-openapi';
import {
  queuedSimJob,
  restJob,
  restWorkflowRun,
  workflowJobPayload,
  workflowJobSchemaErrors,
  type JobConclusion,
  type JobStatus,
  type SimJob,
  type SimOrg,
  type SimRepo,
} from './github-payloads';
import { seededRandom, type Random } from './random';

/** GitHub's published webhook source ranges (`GET /meta` → `hooks`). */
export const GITHUB_HOOK_RANGES = [
  '192.30.252.0/22',
  '185.199.108.0/22',
  '140.82.112.0/20',
  '143.55.64.0/20',
];
/** A source address inside those ranges, for deliveries that come "from GitHub". */
export const GITHUB_HOOK_SOURCE_IP = '140.82.115.36';
/** REST requests per hour for a token, as GitHub enforces for a PAT. */
export const RATE_LIMIT_PER_HOUR = 5_000;
/** GitHub's API version header value Octokit sends and GitHub answers with. */
const API_VERSION = '2022-11-28';
const HOUR_MS = 3_600_000;
/** Answers per (operation, status) checked against the documented response schema. */
const RESPONSE_CHECKS_PER_OPERATION = 25;

export interface GitHubStandInOptions {
  clock: Clock;
  /** @default 'acme' */
  org?: string;
  /** Repository names in the org. @default ['web', 'api', 'docs'] */
  repos?: string[];
  /** Token Harrier must send. */
  token: string;
  /** Secret webhooks are signed with. */
  webhookSecret: string;
  /** Runner groups that exist. @default [1] (Default) */
  runnerGroupIds?: number[];
  /** Time between a runner starting and it listening for jobs. @default 3 s */
  runnerConnectMs?: number;
  /** A runner that dies mid-job fails the job after this long, as GitHub does. @default 10 min */
  lostRunnerTimeoutMs?: number;
  /** `GET /meta` hooks ranges. @default GITHUB_HOOK_RANGES */
  hookRanges?: string[];
  /** @default 1 */
  seed?: number;
}

/** One webhook delivery, as GitHub would POST it. */
export interface WebhookDelivery {
  id: string;
  event: 'workflow_job';
  action: JobStatus;
  jobId: number;
  /** Exact bytes of the body (the signature covers these). */
  body: string;
  headers: Record<string, string>;
}

interface SimRunner {
  id: number;
  name: string;
  labels: string[];
  groupId: number;
  /** `'org'` or the repository full name it is registered to. */
  scope: string;
  status: 'offline' | 'online';
  busy: boolean;
  jitConfig: string;
  configUsed: boolean;
  jobId?: number;
  listening: boolean;
  exit?: (code: number) => void;
  timer?: TimerHandle;
}

interface SimRun {
  id: number;
  repo: SimRepo;
  name: string;
  createdAt: number;
  headBranch: string;
  headSha: string;
  jobIds: number[];
}

interface SimHook {
  id: number;
  config: Record<string, unknown>;
  events: string[];
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface QueueJobInput {
  /** Repository name (not full name). */
  repo: string;
  workflowName?: string;
  jobName?: string;
  labels?: string[];
  sender?: string;
  headBranch?: string;
  /** How long the job runs once a runner takes it. @default 3 min */
  durationMs?: number;
  /** Add the job to this run instead of a new one. */
  runId?: number;
}

/** An HTTP error answered with GitHub's error body. */
/** GitHub's list pagination: 30 items a page unless `per_page` says otherwise, never more than 100. */
export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 100;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export class GitHubStandIn {
  readonly org: SimOrg;
  /** Requests GitHub would have refused (or that never authenticated): tests assert this is empty. */
  readonly contractViolations: string[] = [];
  /** Answers of the stand-in that do not match GitHub's documented response schema. */
  readonly responseViolations: string[] = [];
  /** Requests by operation id. */
  readonly calls = new Map<string, number>();

  private readonly clock: Clock;
  private readonly random: Random;
  private readonly token: string;
  private readonly webhooks: Webhooks;
  private readonly runnerGroupIds: number[];
  private readonly runnerConnectMs: number;
  private readonly lostRunnerTimeoutMs: number;
  private readonly hookRanges: string[];
  private readonly repos = new Map<string, SimRepo>();
  private readonly runners = new Map<number, SimRunner>();
  private readonly runs = new Map<number, SimRun>();
  private readonly jobs = new Map<number, SimJob & { durationMs: number; timer?: TimerHandle }>();
  private readonly hooks = new Map<number, SimHook>();
  private readonly deliveryListeners = new Set<(delivery: WebhookDelivery) => void>();
  private readonly pendingSignatures = new Set<Promise<void>>();
  private lastDelivery: Promise<void> = Promise.resolve();
  private nextId = { runner: 100, run: 9_000_000_000, job: 30_000_000_000, hook: 500_000_000, delivery: 0 };
  private rateWindow = { start: 0, used: 0 };
  private server: Server | undefined;
  private readonly responseChecks = new Map<string, number>();

  constructor(options: GitHubStandInOptions) {
    this.clock = options.clock;
    this.random = seededRandom(options.seed ?? 1);
    this.token = options.token;
    this.webhooks = new Webhooks({ secret: options.webhookSecret });
    this.org = { id: 91_000_001, login: options.org ?? 'acme' };
    (options.repos ?? ['web', 'api', 'docs']).forEach((name, i) => {
      this.repos.set(name, { id: 700_000_001 + i, name, fullName: `${this.org.login}/${name}` });
    });
    this.runnerGroupIds = options.runnerGroupIds ?? [1];
    this.runnerConnectMs = options.runnerConnectMs ?? 3_000;
    this.lostRunnerTimeoutMs = options.lostRunnerTimeoutMs ?? 10 * 60_000;
    this.hookRanges = options.hookRanges ?? GITHUB_HOOK_RANGES;
    this.rateWindow.start = this.clock.now();
  }

  // ---- HTTP --------------------------------------------------------------------------------------

  /**
   * Compiles every schema validator now (the OpenAPI operations, the webhook schema), so the first
   * request or webhook is not slower than the rest: local mode scales wall time into simulated time.
   */
  warmUp(): void {
    warmUpValidators();
    workflowJobSchemaErrors({});
  }

  /** Starts the REST server on 127.0.0.1 (ephemeral port); returns its base URL. */
  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => void this.serve(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('GitHub stand-in is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    for (const job of this.jobs.values()) if (job.timer) this.clock.clearTimer(job.timer);
    for (const runner of this.runners.values()) if (runner.timer) this.clock.clearTimer(runner.timer);
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    let operationId = 'unknown';
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      // GitHub answers 401/403/404 on any operation without documenting each; only check the rest.
      // Each (operation, status) is checked for its first answers only: drift is structural, and a
      // simulated day makes thousands of identical calls.
      const checkKey = `${operationId} ${status}`;
      const checked = this.responseChecks.get(checkKey) ?? 0;
      if (
        operationId !== 'unknown' &&
        checked < RESPONSE_CHECKS_PER_OPERATION &&
        (status < 400 || documentedStatuses(operationId).includes(String(status)))
      ) {
        this.responseChecks.set(checkKey, checked + 1);
        const drift = checkGitHubResponse(operationId, status, body);
        this.responseViolations.push(...drift);
      }
      this.rateHeaders(res);
      res.setHeader('x-github-api-version-selected', API_VERSION);
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      if (body === undefined) {
        res.writeHead(status).end();
      } else {
        res
          .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
          .end(JSON.stringify(body));
      }
    };
    try {
      const auth = req.headers.authorization;
      const authenticated = auth === `token ${this.token}` || auth === `Bearer ${this.token}`;
      // GET /meta is public (GitHub serves it without a token); everything else Harrier calls needs one.
      const isPublic = method === 'GET' && /^\/(api\/v3\/)?meta\/?(\?|$)/.test(path);
      if (!authenticated && (auth !== undefined || !isPublic)) {
        this.contractViolations.push(`${method} ${path}: missing or wrong credentials`);
        throw new HttpError(401, auth === undefined ? 'Requires authentication' : 'Bad credentials');
      }
      if (!this.takeRateLimit()) throw new HttpError(403, 'API rate limit exceeded for user ID 1.');
      let body: unknown;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          this.contractViolations.push(`${method} ${path}: body is not JSON`);
          throw new HttpError(400, 'Problems parsing JSON');
        }
      }
      const matched = matchGitHubRequest({ method, path, body });
      operationId = matched.operationId;
      this.calls.set(operationId, (this.calls.get(operationId) ?? 0) + 1);
      const listUrl = new URL(path, `http://${req.headers.host ?? '127.0.0.1'}`);
      const [status, answer, headers] = this.dispatch(
        operationId,
        matched.pathParams,
        matched.query,
        body,
        listUrl,
      );
      send(status, answer, headers);
    } catch (error: unknown) {
      if (error instanceof GitHubContractError) {
        this.contractViolations.push(error.message);
        send(error.status, {
          message: error.status === 404 ? 'Not Found' : 'Invalid request.',
          documentation_url: 'https://docs.github.com/rest',
          ...(error.status === 422 ? { errors: error.violations } : {}),
          status: String(error.status),
        });
      } else if (error instanceof HttpError) {
        send(error.status, {
          message: error.message,
          documentation_url: 'https://docs.github.com/rest',
          status: String(error.status),
        });
      } else {
        send(500, { message: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private takeRateLimit(): boolean {
    if (this.clock.now() - this.rateWindow.start >= HOUR_MS)
      this.rateWindow = { start: this.clock.now(), used: 0 };
    this.rateWindow.used += 1;
    return this.rateWindow.used <= RATE_LIMIT_PER_HOUR;
  }

  private rateHeaders(res: ServerResponse): void {
    res.setHeader('x-ratelimit-limit', String(RATE_LIMIT_PER_HOUR));
    res.setHeader('x-ratelimit-remaining', String(Math.max(0, RATE_LIMIT_PER_HOUR - this.rateWindow.used)));
    res.setHeader('x-ratelimit-used', String(this.rateWindow.used));
    res.setHeader('x-ratelimit-reset', String(Math.ceil((this.rateWindow.start + HOUR_MS) / 1000)));
    res.setHeader('x-ratelimit-resource', 'core');
  }

  private dispatch(
    operationId: string,
    params: Record<string, string | number>,
    query: Record<string, string | number | boolean>,
    body: unknown,
    url: URL,
  ): [number, unknown, Record<string, string>?] {
    const [status, answer] = this.answer(operationId, params, query, body, url);
    return [status, answer, this.link === undefined ? {} : { link: this.link }];
  }

  /** The `Link` header of the list answer being built, as GitHub sends it (none when one page). */
  private link: string | undefined;

  /**
   * One page of a list, as GitHub cuts it: `per_page` (default 30, capped at 100) and `page` (from
   * 1), with a `Link` header naming the first/prev/next/last pages so Octokit's `paginate` follows it.
   */
  private page(items: unknown[], query: Record<string, string | number | boolean>, url: URL): unknown[] {
    const perPage = Math.min(MAX_PER_PAGE, Math.max(1, Number(query.per_page ?? DEFAULT_PER_PAGE)));
    const index = Math.max(1, Number(query.page ?? 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const at = (n: number): string => {
      const target = new URL(url);
      target.searchParams.set('per_page', String(perPage));
      target.searchParams.set('page', String(n));
      return `<${target.toString()}>`;
    };
    const links: string[] = [];
    if (index > 1) links.push(`${at(index - 1)}; rel="prev"`);
    if (index < last) links.push(`${at(index + 1)}; rel="next"`, `${at(last)}; rel="last"`);
    if (index > 1) links.push(`${at(1)}; rel="first"`);
    this.link = links.length > 0 ? links.join(', ') : undefined;
    return items.slice((index - 1) * perPage, index * perPage);
  }

  private answer(
    operationId: string,
    params: Record<string, string | number>,
    query: Record<string, string | number | boolean>,
    body: unknown,
    url: URL,
  ): [number, unknown] {
    this.link = undefined;
    const input = (body ?? {}) as Record<string, unknown>;
    const page = (items: unknown[]): unknown[] => this.page(items, query, url);
    switch (operationId) {
      case 'meta/get':
        return [
          200,
          { verifiable_password_authentication: false, hooks: this.hookRanges, actions: [], api: [] },
        ];
      case 'orgs/get':
        this.requireOrg(params.org);
        return [200, this.orgObject()];
      case 'actions/generate-runner-jitconfig-for-org':
        this.requireOrg(params.org);
        return [201, this.generateJitConfig('org', input)];
      case 'actions/generate-runner-jitconfig-for-repo':
        return [201, this.generateJitConfig(this.requireRepo(params.owner, params.repo).fullName, input)];
      case 'actions/list-self-hosted-runners-for-org': {
        this.requireOrg(params.org);
        const all = this.runnersIn('org').filter((r) => query.name === undefined || r.name === query.name);
        return [200, { total_count: all.length, runners: page(all.map((r) => this.runnerObject(r))) }];
      }
      case 'actions/list-self-hosted-runners-for-repo': {
        const repo = this.requireRepo(params.owner, params.repo);
        const all = [...this.runnersIn(repo.fullName), ...this.runnersIn('org')].filter(
          (r) => query.name === undefined || r.name === query.name,
        );
        return [200, { total_count: all.length, runners: page(all.map((r) => this.runnerObject(r))) }];
      }
      case 'actions/get-self-hosted-runner-for-org':
      case 'actions/get-self-hosted-runner-for-repo':
        return [200, this.runnerObject(this.requireRunner(params))];
      case 'actions/delete-self-hosted-runner-from-org':
      case 'actions/delete-self-hosted-runner-from-repo':
        this.deleteRunner(this.requireRunner(params));
        return [204, undefined];
      case 'actions/list-workflow-runs-for-repo': {
        const repo = this.requireRepo(params.owner, params.repo);
        const runs = [...this.runs.values()]
          .filter((run) => run.repo.id === repo.id)
          .map((run) => ({ run, status: this.runStatus(run) }))
          .filter(
            ({ status }) =>
              query.status === undefined ||
              status.status === query.status ||
              status.conclusion === query.status,
          )
          .sort((a, b) => b.run.createdAt - a.run.createdAt);
        return [
          200,
          {
            total_count: runs.length,
            workflow_runs: page(runs.map(({ run, status }) => this.runObject(run, status))),
          },
        ];
      }
      case 'actions/list-jobs-for-workflow-run': {
        const repo = this.requireRepo(params.owner, params.repo);
        const run = this.runs.get(Number(params.run_id));
        if (!run || run.repo.id !== repo.id) throw new HttpError(404, 'Not Found');
        const jobs = run.jobIds.map((id) => this.jobs.get(id)!);
        return [200, { total_count: jobs.length, jobs: page(jobs.map((job) => restJob(job))) }];
      }
      case 'actions/get-job-for-workflow-run': {
        const repo = this.requireRepo(params.owner, params.repo);
        const job = this.jobs.get(Number(params.job_id));
        if (!job || job.repo.id !== repo.id) throw new HttpError(404, 'Not Found');
        return [200, restJob(job)];
      }
      case 'orgs/list-webhooks':
        this.requireOrg(params.org);
        return [200, page([...this.hooks.values()].map((h) => this.hookObject(h)))];
      case 'orgs/create-webhook': {
        this.requireOrg(params.org);
        const now = this.clock.now();
        const hook: SimHook = {
          id: ++this.nextId.hook,
          config: this.hookConfig(input.config as Record<string, unknown>),
          events: (input.events as string[] | undefined) ?? ['push'],
          active: (input.active as boolean | undefined) ?? true,
          createdAt: now,
          updatedAt: now,
        };
        this.hooks.set(hook.id, hook);
        return [201, this.hookObject(hook)];
      }
      case 'orgs/get-webhook':
        return [200, this.hookObject(this.requireHook(params))];
      case 'orgs/update-webhook': {
        const hook = this.requireHook(params);
        if (input.config !== undefined)
          hook.config = this.hookConfig({ ...hook.config, ...(input.config as object) });
        if (input.events !== undefined) hook.events = input.events as string[];
        if (input.active !== undefined) hook.active = input.active as boolean;
        hook.updatedAt = this.clock.now();
        return [200, this.hookObject(hook)];
      }
      case 'orgs/delete-webhook':
        this.hooks.delete(this.requireHook(params).id);
        return [204, undefined];
      default:
        throw new HttpError(501, `the stand-in does not implement ${operationId}`);
    }
  }

  // ---- REST objects ------------------------------------------------------------------------------

  private requireOrg(org: string | number | undefined): void {
    if (String(org).toLowerCase() !== this.org.login.toLowerCase()) throw new HttpError(404, 'Not Found');
  }

  private requireRepo(owner: string | number | undefined, name: string | number | undefined): SimRepo {
    this.requireOrg(owner);
    const repo = this.repos.get(String(name));
    if (!repo) throw new HttpError(404, 'Not Found');
    return repo;
  }

  private requireRunner(params: Record<string, string | number>): SimRunner {
    const scope = params.repo === undefined ? 'org' : this.requireRepo(params.owner, params.repo).fullName;
    if (params.org !== undefined) this.requireOrg(params.org);
    const runner = this.runners.get(Number(params.runner_id));
    if (!runner || runner.scope !== scope) throw new HttpError(404, 'Not Found');
    return runner;
  }

  private requireHook(params: Record<string, string | number>): SimHook {
    this.requireOrg(params.org);
    const hook = this.hooks.get(Number(params.hook_id));
    if (!hook) throw new HttpError(404, 'Not Found');
    return hook;
  }

  private orgObject(): Record<string, unknown> {
    const api = `https://api.github.com/orgs/${this.org.login}`;
    return {
      login: this.org.login,
      id: this.org.id,
      node_id: Buffer.from(`04:Organization${this.org.id}`).toString('base64'),
      url: api,
      repos_url: `${api}/repos`,
      events_url: `${api}/events`,
      hooks_url: `${api}/hooks`,
      issues_url: `${api}/issues`,
      members_url: `${api}/members{/member}`,
      public_members_url: `${api}/public_members{/member}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${this.org.id}?v=4`,
      description: 'Harrier local stand-in organization',
      html_url: `https://github.com/${this.org.login}`,
      has_organization_projects: true,
      has_repository_projects: true,
      public_repos: this.repos.size,
      public_gists: 0,
      followers: 0,
      following: 0,
      type: 'Organization',
      created_at: '2020-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      archived_at: null,
    };
  }

  private hookConfig(config: Record<string, unknown>): Record<string, unknown> {
    // GitHub never returns the secret: it answers `********`.
    const { secret, ...rest } = config;
    return {
      content_type: 'form',
      insecure_ssl: '0',
      ...rest,
      ...(secret === undefined ? {} : { secret: '********' }),
    };
  }

  private hookObject(hook: SimHook): Record<string, unknown> {
    const url = `https://api.github.com/orgs/${this.org.login}/hooks/${hook.id}`;
    return {
      id: hook.id,
      url,
      ping_url: `${url}/pings`,
      deliveries_url: `${url}/deliveries`,
      name: 'web',
      events: hook.events,
      active: hook.active,
      config: hook.config,
      updated_at: new Date(hook.updatedAt).toISOString(),
      created_at: new Date(hook.createdAt).toISOString(),
      type: 'Organization',
    };
  }

  private runnerObject(runner: SimRunner): Record<string, unknown> {
    return {
      id: runner.id,
      runner_group_id: runner.groupId,
      name: runner.name,
      os: 'Linux',
      status: runner.status,
      busy: runner.busy,
      ephemeral: true,
      labels: runner.labels.map((name, i) => ({
        id: i + 1,
        name,
        type: name === 'self-hosted' ? 'read-only' : 'custom',
      })),
    };
  }

  private runStatus(run: SimRun): { status: JobStatus; conclusion: JobConclusion } {
    const jobs = run.jobIds.map((id) => this.jobs.get(id)!);
    if (jobs.every((job) => job.status === 'completed')) {
      return {
        status: 'completed',
        conclusion: jobs.some((j) => j.conclusion === 'failure') ? 'failure' : 'success',
      };
    }
    if (jobs.some((job) => job.status === 'in_progress' || job.status === 'completed')) {
      return { status: 'in_progress', conclusion: null };
    }
    return { status: 'queued', conclusion: null };
  }

  private runObject(
    run: SimRun,
    status: { status: JobStatus; conclusion: JobConclusion },
  ): Record<string, unknown> {
    const updatedAt = Math.max(run.createdAt, ...run.jobIds.map((id) => this.jobs.get(id)?.completedAt ?? 0));
    return restWorkflowRun(this.org, {
      id: run.id,
      repo: run.repo,
      name: run.name,
      status: status.status,
      conclusion: status.conclusion,
      createdAt: run.createdAt,
      updatedAt,
      headBranch: run.headBranch,
      headSha: run.headSha,
    });
  }

  // ---- runners -----------------------------------------------------------------------------------

  private runnersIn(scope: string): SimRunner[] {
    return [...this.runners.values()].filter((r) => r.scope === scope);
  }

  private generateJitConfig(scope: string, input: Record<string, unknown>): Record<string, unknown> {
    const name = String(input.name);
    const groupId = Number(input.runner_group_id);
    if (!this.runnerGroupIds.includes(groupId)) throw new HttpError(404, 'Not Found');
    // Names are unique per org (and per repo): a second registration with the same name is a 409.
    const sameScope =
      scope === 'org' ? this.runnersIn('org') : [...this.runnersIn(scope), ...this.runnersIn('org')];
    if (sameScope.some((r) => r.name === name)) {
      throw new HttpError(409, `Already exists - A runner with the name ${name} already exists.`);
    }
    const labels = [...new Set(['self-hosted', ...(input.labels as string[]).map((l) => l.toLowerCase())])];
    const runner: SimRunner = {
      id: ++this.nextId.runner,
      name,
      labels,
      groupId,
      scope,
      status: 'offline',
      busy: false,
      jitConfig: '',
      configUsed: false,
      listening: false,
    };
    runner.jitConfig = this.encodeJitConfig(runner);
    this.runners.set(runner.id, runner);
    return { runner: this.runnerObject(runner), encoded_jit_config: runner.jitConfig };
  }

  /**
   * Shaped like the real thing: base64 of a JSON map of the runner's config files, including an RSA
   * key, which is why a JIT config is over 5 KB and needs SSM's advanced tier.
   */
  private encodeJitConfig(runner: SimRunner): string {
    const file = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');
    const rsa = Object.fromEntries(
      ['d', 'dp', 'dq', 'exponent', 'inverseQ', 'modulus', 'p', 'q'].map((k) => [
        k,
        // A 3072-bit key: modulus and private exponent 384 bytes, the CRT parts 192.
        randomBytes(k === 'exponent' ? 3 : k === 'd' || k === 'modulus' ? 384 : 192).toString('base64'),
      ]),
    );
    return file({
      '.runner': file({
        AgentId: String(runner.id),
        AgentName: runner.name,
        DisableUpdate: 'False',
        Ephemeral: 'True',
        PoolId: String(runner.groupId),
        PoolName: 'Default',
        ServerUrl: `https://pipelines.actions.githubusercontent.com/${randomBytes(24).toString('base64url')}`,
        GitHubUrl: `https://github.com/${runner.scope === 'org' ? this.org.login : runner.scope}`,
        WorkFolder: '_work',
      }),
      '.credentials': file({
        Scheme: 'OAuth',
        Data: {
          clientId: randomBytes(16).toString('hex'),
          authorizationUrl: `https://vstoken.actions.githubusercontent.com/_apis/oauth2/token/${randomBytes(16).toString('hex')}`,
          requireFipsCryptography: 'False',
        },
      }),
      '.credentials_rsaparams': file(rsa),
    });
  }

  /** Reads the runner id and name out of a JIT config, as the runner does with `.runner`. */
  static decodeJitConfig(encoded: string): { runnerId: number; name: string } {
    const files = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Record<string, string>;
    const runner = JSON.parse(Buffer.from(files['.runner'] ?? '', 'base64').toString('utf8')) as Record<
      string,
      string
    >;
    return { runnerId: Number(runner.AgentId), name: String(runner.AgentName) };
  }

  /**
   * Runs a runner with its JIT config (what `run.sh` does with `ACTIONS_RUNNER_INPUT_JITCONFIG`):
   * it connects, takes one job, and exits 0 when the job completes. Exits 1 at once when the config
   * is unknown, already used, or its registration was deleted. `stop()` is the machine going away.
   */
  startRunner(encodedJitConfig: string): { exited: Promise<number>; stop: () => void } {
    let runner: SimRunner | undefined;
    try {
      const decoded = GitHubStandIn.decodeJitConfig(encodedJitConfig);
      runner = this.runners.get(decoded.runnerId);
    } catch {
      runner = undefined;
    }
    if (!runner || runner.jitConfig !== encodedJitConfig || runner.configUsed) {
      return { exited: Promise.resolve(1), stop: () => undefined };
    }
    const active = runner;
    active.configUsed = true;
    const exited = new Promise<number>((resolve) => {
      active.exit = resolve;
    });
    active.status = 'online';
    active.timer = this.clock.setTimer(this.runnerConnectMs, () => {
      active.timer = undefined;
      active.listening = true;
      this.assignJobs();
    });
    return { exited, stop: () => this.runnerLost(active) };
  }

  private runnerLost(runner: SimRunner): void {
    if (runner.status === 'offline') return;
    runner.status = 'offline';
    runner.listening = false;
    if (runner.timer) this.clock.clearTimer(runner.timer);
    runner.exit?.(137);
    const job = runner.jobId === undefined ? undefined : this.jobs.get(runner.jobId);
    if (job && job.status === 'in_progress') {
      // GitHub notices the lost runner after a while and fails the job.
      if (job.timer) this.clock.clearTimer(job.timer);
      job.timer = this.clock.setTimer(this.lostRunnerTimeoutMs, () => this.completeJob(job, 'failure'));
    }
  }

  private deleteRunner(runner: SimRunner): void {
    if (runner.busy)
      throw new HttpError(422, `Bad request - Runner "${runner.name}" is still running a job"`);
    this.runners.delete(runner.id);
    if (runner.timer) this.clock.clearTimer(runner.timer);
    runner.status = 'offline';
    runner.listening = false;
    runner.exit?.(0);
  }

  // ---- jobs --------------------------------------------------------------------------------------

  /** A workflow run queues a job: GitHub sends `workflow_job` `queued`. */
  queueJob(input: QueueJobInput): SimJob {
    const repo = this.repos.get(input.repo);
    if (!repo) throw new Error(`unknown repository ${input.repo}`);
    const now = this.clock.now();
    let run = input.runId === undefined ? undefined : this.runs.get(input.runId);
    if (!run) {
      run = {
        id: ++this.nextId.run,
        repo,
        name: input.workflowName ?? 'CI',
        createdAt: now,
        headBranch: input.headBranch ?? 'main',
        headSha: randomHex(this.random, 40),
        jobIds: [],
      };
      this.runs.set(run.id, run);
    }
    const job = {
      ...queuedSimJob({
        id: ++this.nextId.job,
        runId: run.id,
        runAttempt: 1,
        repo,
        workflowName: run.name,
        name: input.jobName ?? 'build',
        labels: (input.labels ?? ['self-hosted', 'linux', 'x64']).map((l) => l.toLowerCase()),
        headBranch: run.headBranch,
        headSha: run.headSha,
        sender: input.sender ?? 'octocat',
        createdAt: now,
      }),
      durationMs: input.durationMs ?? 3 * 60_000,
    };
    run.jobIds.push(job.id);
    this.jobs.set(job.id, job);
    this.emitJob(job, 'queued');
    this.assignJobs();
    return { ...job };
  }

  /** GitHub hands each queued job to an idle online runner whose labels cover the job's labels. */
  private assignJobs(): void {
    const queued = [...this.jobs.values()]
      .filter((j) => j.status === 'queued')
      .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
    for (const job of queued) {
      const runner = [...this.runners.values()].find(
        (r) =>
          r.listening &&
          !r.busy &&
          r.jobId === undefined &&
          (r.scope === 'org' || r.scope === job.repo.fullName) &&
          job.labels.every((label) => r.labels.includes(label)),
      );
      if (!runner) continue;
      runner.busy = true;
      runner.jobId = job.id;
      job.status = 'in_progress';
      job.startedAt = this.clock.now();
      job.runnerId = runner.id;
      job.runnerName = runner.name;
      job.runnerGroupId = runner.groupId;
      job.runnerGroupName = 'Default';
      this.emitJob(job, 'in_progress');
      job.timer = this.clock.setTimer(job.durationMs, () => this.completeJob(job, 'success'));
    }
  }

  private completeJob(
    job: SimJob & { timer?: TimerHandle },
    conclusion: 'success' | 'failure' | 'cancelled',
  ): void {
    if (job.status === 'completed') return;
    job.timer = undefined;
    job.status = 'completed';
    job.conclusion = conclusion;
    job.completedAt = this.clock.now();
    this.emitJob(job, 'completed');
    const runner = job.runnerId === null ? undefined : this.runners.get(job.runnerId);
    if (runner && runner.jobId === job.id) {
      // An ephemeral (JIT) runner is removed by GitHub after its one job, and its process exits.
      this.runners.delete(runner.id);
      runner.busy = false;
      runner.status = 'offline';
      runner.listening = false;
      runner.exit?.(0);
    }
  }

  /** Cancels a queued job (a user cancelling the run): `completed` with `cancelled`. */
  cancelJob(jobId: number): void {
    const job = this.jobs.get(jobId);
    if (job && job.status === 'queued') this.completeJob(job, 'cancelled');
  }

  // ---- webhooks ----------------------------------------------------------------------------------

  /** Receives every webhook delivery GitHub would send to the org hook. */
  onDelivery(listener: (delivery: WebhookDelivery) => void): () => void {
    this.deliveryListeners.add(listener);
    return () => this.deliveryListeners.delete(listener);
  }

  /** Resolves once every delivery emitted so far has been signed and handed to the listeners. */
  async flushDeliveries(): Promise<void> {
    while (this.pendingSignatures.size > 0) await Promise.all([...this.pendingSignatures]);
  }

  /** Signs a body with the webhook secret (`sha256=<hex>`), as GitHub does. */
  sign(body: string): Promise<string> {
    return this.webhooks.sign(body);
  }

  private emitJob(job: SimJob, action: JobStatus): void {
    const body = JSON.stringify(workflowJobPayload({ ...job }, this.org, action));
    const id = uuidFrom(++this.nextId.delivery, this.random);
    // Signing is asynchronous (WebCrypto) and may finish out of order; chaining keeps deliveries in
    // the order GitHub emitted them, so a seeded simulation draws its faults in the same order.
    const signed = this.sign(body);
    const pending = Promise.all([signed, this.lastDelivery]).then(([signature]) => {
      const delivery: WebhookDelivery = {
        id,
        event: 'workflow_job',
        action,
        jobId: job.id,
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/7a3c0e1',
          'x-github-event': 'workflow_job',
          'x-github-delivery': id,
          'x-github-hook-id': String([...this.hooks.keys()][0] ?? 500000001),
          'x-github-hook-installation-target-type': 'organization',
          'x-github-hook-installation-target-id': String(this.org.id),
          'x-hub-signature-256': signature,
        },
      };
      for (const listener of this.deliveryListeners) listener(delivery);
    });
    this.lastDelivery = pending;
    this.pendingSignatures.add(pending);
    void pending.finally(() => this.pendingSignatures.delete(pending));
  }

  // ---- inspection --------------------------------------------------------------------------------

  listJobs(): SimJob[] {
    return [...this.jobs.values()].map(({ timer: _timer, durationMs: _d, ...job }) => ({ ...job }));
  }

  job(jobId: number): SimJob | undefined {
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    const { timer: _timer, durationMs: _d, ...rest } = job;
    return { ...rest };
  }

  listRunners(): {
    id: number;
    name: string;
    status: string;
    busy: boolean;
    scope: string;
    labels: string[];
  }[] {
    return [...this.runners.values()].map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      busy: r.busy,
      scope: r.scope,
      labels: [...r.labels],
    }));
  }

  listHooks(): { id: number; url: unknown; events: string[]; active: boolean }[] {
    return [...this.hooks.values()].map((h) => ({
      id: h.id,
      url: h.config.url,
      events: h.events,
      active: h.active,
    }));
  }
}

function randomHex(random: Random, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(random.next() * 16).toString(16);
  return out;
}

/** A version-4-shaped UUID from the seeded source, so delivery ids repeat run to run. */
function uuidFrom(counter: number, random: Random): string {
  const hex = randomHex(random, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${counter.toString(16).padStart(12, '0')}`;
}
