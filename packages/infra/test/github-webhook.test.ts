import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import type * as OpenApiModule from '@harrier/control-plane/src/standins/github-openapi';
import {
  orgWebhookProvider,
  type OrgWebhookInputs,
  type OrgWebhookOutputs,
} from '../src/components/github-webhook';

type OpenApi = typeof OpenApiModule;

interface SeenRequest {
  method: string;
  path: string;
  operationId: string;
  authorization?: string;
  body: unknown;
}

/**
 * GitHub's org-hooks endpoints on 127.0.0.1. Every request goes through the control plane's check
 * against GitHub's OpenAPI description first (a request GitHub would refuse gets GitHub's 404/422),
 * and every answer is checked against the documented response schema.
 */
async function startGitHubStandIn(openapi: OpenApi) {
  const hooks = new Map<
    number,
    { id: number; events: string[]; active: boolean; config: Record<string, unknown> }
  >();
  const seen: SeenRequest[] = [];
  const responseProblems: string[] = [];
  let nextId = 9000;

  const readBody = async (request: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text === '' ? undefined : JSON.parse(text);
  };

  const hookBody = (hook: {
    id: number;
    events: string[];
    active: boolean;
    config: Record<string, unknown>;
  }) => ({
    id: hook.id,
    type: 'Organization',
    name: 'web',
    url: `https://api.github.com/orgs/acme/hooks/${hook.id}`,
    ping_url: `https://api.github.com/orgs/acme/hooks/${hook.id}/pings`,
    deliveries_url: `https://api.github.com/orgs/acme/hooks/${hook.id}/deliveries`,
    events: hook.events,
    active: hook.active,
    // GitHub never echoes the secret back.
    config: {
      url: hook.config.url,
      content_type: hook.config.content_type,
      insecure_ssl: '0',
      secret: '********',
    },
    created_at: '2026-12-03T12:00:00Z',
    updated_at: '2026-12-03T12:00:00Z',
  });

  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      let matched: ReturnType<OpenApi['matchGitHubRequest']>;
      try {
        matched = openapi.matchGitHubRequest({ method: request.method ?? 'GET', path: url.pathname, body });
      } catch (error: unknown) {
        if (error instanceof openapi.GitHubContractError) {
          response.writeHead(error.status, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ message: error.message }));
          return;
        }
        throw error;
      }
      seen.push({
        method: request.method ?? '',
        path: url.pathname,
        operationId: matched.operationId,
        ...(request.headers.authorization === undefined
          ? {}
          : { authorization: request.headers.authorization }),
        body,
      });
      const reply = (status: number, payload?: unknown): void => {
        responseProblems.push(...openapi.checkGitHubResponse(matched.operationId, status, payload));
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      // Like GitHub: an organization the token cannot see answers 404.
      if (!url.pathname.startsWith('/orgs/acme/'))
        return reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com' });
      const input = body as
        { events?: string[]; active?: boolean; config?: Record<string, unknown> } | undefined;
      const id = Number(matched.pathParams.hook_id);
      switch (matched.operationId) {
        case 'orgs/create-webhook': {
          const hook = {
            id: nextId++,
            events: input?.events ?? ['push'],
            active: input?.active ?? true,
            config: input?.config ?? {},
          };
          hooks.set(hook.id, hook);
          reply(201, hookBody(hook));
          return;
        }
        case 'orgs/update-webhook': {
          const hook = hooks.get(id);
          if (!hook)
            return reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com' });
          Object.assign(hook, {
            events: input?.events ?? hook.events,
            config: { ...hook.config, ...input?.config },
          });
          reply(200, hookBody(hook));
          return;
        }
        case 'orgs/delete-webhook':
          if (!hooks.delete(id))
            return reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com' });
          reply(204);
          return;
        default:
          reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com' });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hooks,
    seen,
    responseProblems,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('GitHubOrgWebhook dynamic provider against a GitHub stand-in', () => {
  let openapi: OpenApi;
  let github: Awaited<ReturnType<typeof startGitHubStandIn>>;
  let inputs: OrgWebhookInputs;

  before(async () => {
    openapi = await import('@harrier/control-plane/src/standins/github-openapi');
    github = await startGitHubStandIn(openapi);
  });
  after(() => github.close());
  beforeEach(() => {
    github.seen.length = 0;
    github.responseProblems.length = 0;
    inputs = {
      org: 'acme',
      url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhook',
      secret: 'whsec-first-0123456789abcdef',
      token: 'ghp_standInToken0123456789',
      apiUrl: github.url,
      events: ['workflow_job'],
    };
  });
  afterEach(() => assert.deepEqual(github.responseProblems, []));

  it('creates an org webhook for workflow_job deliveries as signed JSON', async () => {
    const created = await orgWebhookProvider.create(inputs);
    assert.equal(github.seen.length, 1);
    const request = github.seen[0]!;
    assert.equal(request.operationId, 'orgs/create-webhook');
    assert.deepEqual(request.body, {
      name: 'web',
      active: true,
      events: ['workflow_job'],
      config: { url: inputs.url, content_type: 'json', secret: inputs.secret, insecure_ssl: '0' },
    });
    assert.equal(created.id, String(created.outs!.hookId));
    assert.ok(github.hooks.has(created.outs!.hookId));
  });

  it('authenticates with the token from its inputs, in the Authorization header only', async () => {
    await orgWebhookProvider.create(inputs);
    const request = github.seen[0]!;
    assert.equal(request.authorization, `token ${inputs.token}`);
    assert.ok(!request.path.includes(inputs.token));
    assert.ok(!JSON.stringify(request.body).includes(inputs.token));
  });

  it('updates the same hook in place when the URL or secret changes', async () => {
    const created = await orgWebhookProvider.create(inputs);
    const olds = created.outs as OrgWebhookOutputs;
    const news = {
      ...inputs,
      url: 'https://xyz.execute-api.eu-west-1.amazonaws.com/webhook',
      secret: 'whsec-rotated',
    };
    const diff = await orgWebhookProvider.diff!(created.id, olds, news);
    assert.deepEqual([diff.changes, diff.replaces], [true, []]);
    const updated = await orgWebhookProvider.update!(created.id, olds, news);
    assert.equal(updated.outs!.hookId, olds.hookId);
    const request = github.seen.at(-1)!;
    assert.equal(request.operationId, 'orgs/update-webhook');
    assert.equal(request.path, `/orgs/acme/hooks/${olds.hookId}`);
    assert.equal(github.hooks.get(olds.hookId)!.config.secret, 'whsec-rotated');
  });

  it('replaces the hook when the organization changes', async () => {
    const created = await orgWebhookProvider.create(inputs);
    const diff = await orgWebhookProvider.diff!(created.id, created.outs as OrgWebhookOutputs, {
      ...inputs,
      org: 'other',
    });
    assert.deepEqual(diff.replaces, ['org']);
  });

  it('reports no change when nothing changed', async () => {
    const created = await orgWebhookProvider.create(inputs);
    const diff = await orgWebhookProvider.diff!(created.id, created.outs as OrgWebhookOutputs, { ...inputs });
    assert.equal(diff.changes, false);
  });

  it('deletes the hook on destroy, so nothing is left in GitHub', async () => {
    const created = await orgWebhookProvider.create(inputs);
    await orgWebhookProvider.delete!(created.id, created.outs as OrgWebhookOutputs);
    assert.equal(github.seen.at(-1)!.operationId, 'orgs/delete-webhook');
    assert.equal(github.hooks.has(created.outs!.hookId), false);
  });

  it('treats a hook already deleted by hand as deleted', async () => {
    const created = await orgWebhookProvider.create(inputs);
    github.hooks.clear();
    await orgWebhookProvider.delete!(created.id, created.outs as OrgWebhookOutputs);
    assert.equal(github.seen.at(-1)!.operationId, 'orgs/delete-webhook');
  });

  it('surfaces GitHub refusing a request instead of recording a hook that does not exist', async () => {
    await assert.rejects(orgWebhookProvider.create({ ...inputs, org: 'ghost' }), (error: unknown) => {
      return (error as { status?: number }).status === 404;
    });
  });

  it('answers 422, as GitHub does, to a hook request without config.url', async () => {
    const response = await fetch(`${github.url}/orgs/acme/hooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'web', config: { content_type: 'json' } }),
    });
    assert.equal(response.status, 422);
  });

  it('works as Pulumi runs it: serialized, loaded from text, from the repository root', async () => {
    // The same two steps as pulumi.dynamic.Resource and the provider host (require-from-string).
    const serialized = await pulumi.runtime.serializeFunction(() => orgWebhookProvider, {
      allowSecrets: true,
    });
    const load = createRequire(__filename);
    const requireFromString = load(
      load.resolve('require-from-string', { paths: [path.dirname(load.resolve('@pulumi/pulumi'))] }),
    ) as (code: string) => { handler: () => typeof orgWebhookProvider };
    const hosted = requireFromString(serialized.text).handler();
    const before = process.cwd();
    process.chdir(path.resolve(__dirname, '..', '..', '..'));
    try {
      const created = await hosted.create(inputs);
      assert.ok(github.hooks.has(created.outs!.hookId));
      await hosted.delete!(created.id, created.outs as OrgWebhookOutputs);
      assert.equal(github.hooks.has(created.outs!.hookId), false);
    } finally {
      process.chdir(before);
    }
    assert.ok(!serialized.text.includes(inputs.token), 'no token captured in the provider text');
  });
});
