import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { CredentialFormatError } from '../src/errors';
import { GitHubClient, parseCredential } from '../src/github/client';
import { GitHubStub } from './helpers/github-stub';

describe('GitHub credential', () => {
  let stub: GitHubStub;
  beforeEach(async () => {
    stub = await new GitHubStub().start();
  });
  afterEach(() => stub.close());

  it('reads a PAT from infra’s JSON shape or a bare string', () => {
    assert.deepEqual(parseCredential('{"token":"ghp_x"}', 'arn'), { kind: 'token', token: 'ghp_x' });
    assert.deepEqual(parseCredential('ghp_y\n', 'arn'), { kind: 'token', token: 'ghp_y' });
  });

  it('refuses a secret of another shape without echoing it', () => {
    assert.throws(
      () => parseCredential('{"password":"hunter2"}', 'arn:secret'),
      (error: unknown) => error instanceof CredentialFormatError && !error.message.includes('hunter2'),
    );
  });

  it('sends the PAT as the token', async () => {
    const client = new GitHubClient(stub.url, () => Promise.resolve({ kind: 'token', token: 'ghp_pat' }));
    await client.listRunners({ scope: 'org', org: 'acme' });
    assert.equal(stub.calls[0]?.authorization, 'token ghp_pat');
  });

  it('authenticates as a GitHub App: finds the org installation, then uses its installation token', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    stub.app = { appId: 4321, publicKey, installationId: 77, token: 'ghs_installationtoken' };
    const secret = JSON.stringify({
      appId: 4321,
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }),
    });
    const client = new GitHubClient(stub.url, () => Promise.resolve(parseCredential(secret, 'arn')), 'acme');

    await client.generateJitConfig(
      { scope: 'org', org: 'acme' },
      { name: 'i-0123456789abcdef0', labels: ['self-hosted'], runnerGroupId: 1 },
    );
    await client.listRunners({ scope: 'org', org: 'acme' });

    const ops = stub.calls.map((c) => c.operationId);
    assert.deepEqual(ops, [
      'apps/get-org-installation',
      'apps/create-installation-access-token',
      'actions/generate-runner-jitconfig-for-org',
      'actions/list-self-hosted-runners-for-org',
    ]);
    assert.equal(stub.calls[2]?.authorization, 'token ghs_installationtoken');
    assert.deepEqual(stub.violations, []);
  });
});
