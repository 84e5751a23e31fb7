import assert from 'node:assert/strict';
import {
  GitHubContractError,
  GITHUB_OPERATION_IDS,
  checkGitHubResponse,
  validateGitHubRequest,
} from '../../src/standins/github-openapi';

function contractError(fn: () => unknown): GitHubContractError {
  try {
    fn();
  } catch (error: unknown) {
    if (error instanceof GitHubContractError) return error;
    throw error;
  }
  assert.fail('expected a GitHubContractError');
}

describe('GitHub OpenAPI validator', () => {
  it('covers every operation Harrier calls, org and repo scope', () => {
    for (const id of [
      'actions/generate-runner-jitconfig-for-org',
      'actions/generate-runner-jitconfig-for-repo',
      'actions/list-self-hosted-runners-for-org',
      'actions/delete-self-hosted-runner-from-repo',
      'actions/list-workflow-runs-for-repo',
      'actions/list-jobs-for-workflow-run',
      'actions/get-job-for-workflow-run',
      'meta/get',
      'orgs/get',
      'orgs/create-webhook',
      'orgs/update-webhook',
      'orgs/delete-webhook',
      'orgs/get-webhook',
    ]) {
      assert.ok(GITHUB_OPERATION_IDS.includes(id), id);
    }
  });

  it('names the operation of a valid generate-jitconfig request', () => {
    const id = validateGitHubRequest({
      method: 'POST',
      path: '/orgs/acme/actions/runners/generate-jitconfig',
      body: { name: 'i-0abc', runner_group_id: 1, labels: ['self-hosted', 'linux'] },
    });
    assert.equal(id, 'actions/generate-runner-jitconfig-for-org');
  });

  it("names the GitHub App endpoints Harrier's App auth calls", () => {
    assert.equal(
      validateGitHubRequest({ method: 'GET', path: '/orgs/acme/installation' }),
      'apps/get-org-installation',
    );
    assert.equal(
      validateGitHubRequest({ method: 'POST', path: '/app/installations/77/access_tokens' }),
      'apps/create-installation-access-token',
    );
  });

  it('refuses an installation token request with an unknown permission level with 422', () => {
    const error = contractError(() =>
      validateGitHubRequest({
        method: 'POST',
        path: '/app/installations/77/access_tokens',
        body: { permissions: { organization_self_hosted_runners: 'owner' } },
      }),
    );
    assert.equal(error.status, 422);
  });

  it('refuses generate-jitconfig without runner_group_id with 422, as GitHub does', () => {
    const error = contractError(() =>
      validateGitHubRequest({
        method: 'POST',
        path: '/repos/acme/web/actions/runners/generate-jitconfig',
        body: { name: 'i-0abc', labels: ['self-hosted'] },
      }),
    );
    assert.equal(error.status, 422);
    assert.match(error.message, /runner_group_id/);
  });

  it('refuses a query value outside the documented enum', () => {
    const error = contractError(() =>
      validateGitHubRequest({ method: 'GET', path: '/repos/acme/web/actions/runs?status=queue' }),
    );
    assert.equal(error.status, 422);
    assert.match(error.message, /status/);
  });

  it('accepts a queued-runs listing with paging', () => {
    assert.equal(
      validateGitHubRequest({
        method: 'GET',
        path: '/repos/acme/web/actions/runs',
        query: { status: 'queued', per_page: 100, page: 2 },
      }),
      'actions/list-workflow-runs-for-repo',
    );
  });

  it('refuses an unknown query parameter, which GitHub would silently ignore', () => {
    const error = contractError(() =>
      validateGitHubRequest({ method: 'GET', path: '/repos/acme/web/actions/runs?per-page=100' }),
    );
    assert.match(error.message, /unknown query parameter per-page/);
  });

  it('refuses a non-integer path parameter', () => {
    const error = contractError(() =>
      validateGitHubRequest({ method: 'GET', path: '/repos/acme/web/actions/jobs/abc' }),
    );
    assert.match(error.message, /job_id must be integer/);
  });

  it('answers 404 for a path outside the extract', () => {
    const error = contractError(() => validateGitHubRequest({ method: 'GET', path: '/user/repos' }));
    assert.equal(error.status, 404);
  });

  it('answers 404 for a known path with the wrong method', () => {
    const error = contractError(() => validateGitHubRequest({ method: 'PUT', path: '/orgs/acme/hooks/12' }));
    assert.equal(error.status, 404);
    assert.match(error.message, /method not allowed/);
  });

  it('refuses an org webhook without config.url', () => {
    const error = contractError(() =>
      validateGitHubRequest({
        method: 'POST',
        path: '/orgs/acme/hooks',
        body: { name: 'web', config: { content_type: 'json' }, events: ['workflow_job'] },
      }),
    );
    assert.match(error.message, /url/);
  });

  it('accepts an org webhook update with events and a secret', () => {
    assert.equal(
      validateGitHubRequest({
        method: 'PATCH',
        path: '/orgs/acme/hooks/12',
        body: {
          config: { url: 'https://example.com/webhook', content_type: 'json', secret: 's' },
          events: ['workflow_job'],
          active: true,
        },
      }),
      'orgs/update-webhook',
    );
  });

  it('refuses a body on an operation that takes none', () => {
    const error = contractError(() =>
      validateGitHubRequest({ method: 'DELETE', path: '/orgs/acme/hooks/12', body: { x: 1 } }),
    );
    assert.match(error.message, /takes no request body/);
  });

  it('checks responses against the documented schema', () => {
    assert.deepEqual(checkGitHubResponse('orgs/delete-webhook', 204, undefined), []);
    assert.notDeepEqual(
      checkGitHubResponse('actions/generate-runner-jitconfig-for-org', 201, { runner: {} }),
      [],
    );
  });
});
