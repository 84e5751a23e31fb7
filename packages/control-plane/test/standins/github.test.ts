import assert from 'node:assert/strict';
import { Octokit } from '@octokit/rest';
import { Webhooks } from '@octokit/webhooks';
import { VirtualClock } from '../../src/standins/clock';
import { GitHubStandIn, type WebhookDelivery } from '../../src/standins/github';
import { workflowJobSchemaErrors } from '../../src/standins/github-payloads';

const TOKEN = 'ghp_standin_token';
const SECRET = 'webhook-secret';
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

async function status(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error: unknown) {
    return (error as { status: number }).status;
  }
}

describe('GitHub stand-in', () => {
  let clock: VirtualClock;
  let github: GitHubStandIn;
  let octokit: Octokit;
  let deliveries: WebhookDelivery[];

  const runFor = (ms: number): void => {
    const until = clock.now() + ms;
    while (clock.fireNext(until));
    clock.advanceTo(until);
  };
  const jitconfig = (name: string, labels = ['linux', 'x64']) =>
    octokit.rest.actions.generateRunnerJitconfigForOrg({ org: 'acme', name, runner_group_id: 1, labels });

  before(async () => {
    clock = new VirtualClock();
    github = new GitHubStandIn({ clock, token: TOKEN, webhookSecret: SECRET });
    const baseUrl = await github.listen();
    octokit = new Octokit({ auth: TOKEN, baseUrl, log: quiet });
    github.onDelivery((d) => deliveries.push(d));
  });
  after(() => github.close());
  beforeEach(() => {
    deliveries = [];
  });
  afterEach(() => {
    assert.deepEqual(
      github.responseViolations,
      [],
      'the stand-in answered outside GitHub’s documented schema',
    );
  });

  it('refuses generate-jitconfig without runner_group_id with 422 and records the violation', async () => {
    const answer = status(
      octokit.request('POST /orgs/{org}/actions/runners/generate-jitconfig', {
        org: 'acme',
        name: 'i-0001',
        labels: ['self-hosted'],
      } as never),
    );
    assert.equal(await answer, 422);
    assert.equal(github.contractViolations.length, 1);
    assert.match(github.contractViolations[0]!, /runner_group_id/);
    github.contractViolations.length = 0;
  });

  it('answers a JIT config over 4 KB that names the runner', async () => {
    const { data, status: code } = await jitconfig('i-00000000000000a01');
    assert.equal(code, 201);
    assert.ok(
      Buffer.byteLength(data.encoded_jit_config) > 4096,
      `${Buffer.byteLength(data.encoded_jit_config)} bytes`,
    );
    assert.equal(GitHubStandIn.decodeJitConfig(data.encoded_jit_config).name, 'i-00000000000000a01');
    assert.equal(data.runner.status, 'offline');
  });

  it('refuses a second runner with the same name with 409', async () => {
    await jitconfig('i-00000000000000a02');
    assert.equal(await status(jitconfig('i-00000000000000a02')), 409);
  });

  it('refuses a request with the wrong token with 401', async () => {
    const anonymous = new Octokit({ auth: 'nope', baseUrl: github.url, log: quiet });
    assert.equal(await status(anonymous.rest.meta.get()), 401);
    github.contractViolations.length = 0;
  });

  it('publishes GitHub’s webhook ranges in GET /meta', async () => {
    const { data } = await octokit.rest.meta.get();
    assert.ok(data.hooks?.includes('140.82.112.0/20'));
  });

  it('runs a queued job on a runner started with its JIT config, sending signed, schema-valid webhooks', async () => {
    const { data } = await jitconfig('i-00000000000000b01');
    const job = github.queueJob({ repo: 'web', labels: ['self-hosted', 'linux'], durationMs: 60_000 });
    const runner = github.startRunner(data.encoded_jit_config);
    runFor(5_000);
    assert.equal(github.job(job.id)?.status, 'in_progress');
    assert.equal(github.job(job.id)?.runnerName, 'i-00000000000000b01');
    runFor(60_000);
    assert.equal(await runner.exited, 0);
    await github.flushDeliveries();
    assert.deepEqual(
      deliveries.map((d) => d.action),
      ['queued', 'in_progress', 'completed'],
    );
    const verifier = new Webhooks({ secret: SECRET });
    for (const delivery of deliveries) {
      assert.ok(await verifier.verify(delivery.body, delivery.headers['x-hub-signature-256']!));
      assert.equal(workflowJobSchemaErrors(JSON.parse(delivery.body)), '');
    }
    const completed = JSON.parse(deliveries[2]!.body);
    assert.equal(completed.workflow_job.runner_name, 'i-00000000000000b01');
    assert.equal(completed.repository.full_name, 'acme/web');
    assert.equal(completed.organization.login, 'acme');
    const runners = await octokit.rest.actions.listSelfHostedRunnersForOrg({ org: 'acme' });
    assert.ok(
      !runners.data.runners.some((r) => r.name === 'i-00000000000000b01'),
      'an ephemeral runner is removed',
    );
  });

  it('leaves a job queued when no runner carries all its labels', async () => {
    const { data } = await jitconfig('i-00000000000000c01', ['linux']);
    const job = github.queueJob({ repo: 'api', labels: ['self-hosted', 'gpu'] });
    github.startRunner(data.encoded_jit_config);
    runFor(10_000);
    assert.equal(github.job(job.id)?.status, 'queued');
    github.cancelJob(job.id);
  });

  it('refuses to reuse a consumed JIT config: the runner exits 1', async () => {
    const { data } = await jitconfig('i-00000000000000d01');
    github.startRunner(data.encoded_jit_config);
    assert.equal(await github.startRunner(data.encoded_jit_config).exited, 1);
  });

  it('lists queued runs and their jobs in GitHub’s documented shape', async () => {
    const job = github.queueJob({ repo: 'docs', labels: ['self-hosted', 'arm64'], workflowName: 'Docs' });
    const runs = await octokit.rest.actions.listWorkflowRunsForRepo({
      owner: 'acme',
      repo: 'docs',
      status: 'queued',
    });
    assert.ok(runs.data.workflow_runs.some((r) => r.id === job.runId));
    const jobs = await octokit.rest.actions.listJobsForWorkflowRun({
      owner: 'acme',
      repo: 'docs',
      run_id: job.runId,
    });
    assert.equal(jobs.data.jobs[0]?.status, 'queued');
    const one = await octokit.rest.actions.getJobForWorkflowRun({
      owner: 'acme',
      repo: 'docs',
      job_id: job.id,
    });
    assert.deepEqual(one.data.labels, ['self-hosted', 'arm64']);
    github.cancelJob(job.id);
  });

  it('refuses to delete a busy runner with 422 and deletes an idle one', async () => {
    const busy = await jitconfig('i-00000000000000e01');
    const job = github.queueJob({ repo: 'web', durationMs: 600_000 });
    github.startRunner(busy.data.encoded_jit_config);
    runFor(5_000);
    const runnerId = github.job(job.id)!.runnerId!;
    assert.equal(
      await status(octokit.rest.actions.deleteSelfHostedRunnerFromOrg({ org: 'acme', runner_id: runnerId })),
      422,
    );
    const idle = await jitconfig('i-00000000000000e02');
    await octokit.rest.actions.deleteSelfHostedRunnerFromOrg({ org: 'acme', runner_id: idle.data.runner.id });
    assert.equal(
      await status(
        octokit.rest.actions.getSelfHostedRunnerForOrg({ org: 'acme', runner_id: idle.data.runner.id }),
      ),
      404,
    );
    runFor(600_000);
  });

  it('creates, updates, reads and deletes an org webhook without ever echoing the secret', async () => {
    const created = await octokit.rest.orgs.createWebhook({
      org: 'acme',
      name: 'web',
      config: { url: 'https://example.com/webhook', content_type: 'json', secret: SECRET },
      events: ['workflow_job'],
    });
    assert.equal(created.data.config.secret, '********');
    await octokit.rest.orgs.updateWebhook({ org: 'acme', hook_id: created.data.id, active: false });
    const read = await octokit.rest.orgs.getWebhook({ org: 'acme', hook_id: created.data.id });
    assert.equal(read.data.active, false);
    await octokit.rest.orgs.deleteWebhook({ org: 'acme', hook_id: created.data.id });
    assert.equal(await status(octokit.rest.orgs.getWebhook({ org: 'acme', hook_id: created.data.id })), 404);
  });

  describe('pagination', () => {
    let many: GitHubStandIn;
    let client: Octokit;
    const RUNNERS = 130;
    before(async () => {
      many = new GitHubStandIn({ clock: new VirtualClock(), token: TOKEN, webhookSecret: SECRET });
      client = new Octokit({ auth: TOKEN, baseUrl: await many.listen(), log: quiet });
      for (let i = 0; i < RUNNERS; i++) {
        const name = `i-${String(i).padStart(17, '0')}`;
        await client.rest.actions.generateRunnerJitconfigForOrg({
          org: 'acme',
          name,
          runner_group_id: 1,
          labels: ['x'],
        });
      }
    });
    after(() => many.close());

    it('lists more than 100 runners through Octokit paginate, following Link rel="next"', async () => {
      const before = many.calls.get('actions/list-self-hosted-runners-for-org') ?? 0;
      const runners = await client.paginate(client.rest.actions.listSelfHostedRunnersForOrg, {
        org: 'acme',
        per_page: 100,
      });
      assert.equal(new Set(runners.map((r) => r.name)).size, RUNNERS);
      assert.equal((many.calls.get('actions/list-self-hosted-runners-for-org') ?? 0) - before, 2);
      assert.deepEqual(many.contractViolations, []);
    });

    it('answers 30 a page by default with next and last links', async () => {
      const first = await client.rest.actions.listSelfHostedRunnersForOrg({ org: 'acme' });
      assert.equal(first.data.runners.length, 30);
      assert.equal(first.data.total_count, RUNNERS);
      assert.match(first.headers.link ?? '', /[?&]page=2[^>]*>; rel="next"/);
      assert.match(first.headers.link ?? '', /[?&]page=5[^>]*>; rel="last"/);
    });

    it('caps per_page at 100 and sends no next link from the last page', async () => {
      const capped = await client.rest.actions.listSelfHostedRunnersForOrg({ org: 'acme', per_page: 500 });
      assert.equal(capped.data.runners.length, 100);
      const last = await client.rest.actions.listSelfHostedRunnersForOrg({
        org: 'acme',
        per_page: 100,
        page: 2,
      });
      assert.equal(last.data.runners.length, RUNNERS - 100);
      assert.doesNotMatch(last.headers.link ?? '', /rel="next"/);
      assert.match(last.headers.link ?? '', /rel="prev"/);
    });
  });

  it('recorded no contract violation for the valid requests above', () => {
    assert.deepEqual(github.contractViolations, []);
  });
});
