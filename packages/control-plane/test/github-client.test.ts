import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CredentialFormatError } from '../src/errors';
import { GitHubClient, parseCredential } from '../src/github/client';
import { GitHubContractError, validateGitHubRequest } from '../src/standins/github-openapi';
import { GitHubStub } from './helpers/github-stub';

/**
 * A contract check in front of the stub: every request (the App endpoints included, which the stub
 * answers without one) goes through `validateGitHubRequest`; what GitHub would refuse is recorded
 * and answered as GitHub would, never reaching the stub. (Answers are not checked here: the stub's
 * installation answer carries only the fields Harrier reads.)
 */
async function contractFront(
  target: string,
): Promise<{ url: string; violations: string[]; close(): Promise<void> }> {
  const violations: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        validateGitHubRequest({
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          body: text === '' ? undefined : JSON.parse(text),
        });
      } catch (error: unknown) {
        if (!(error instanceof GitHubContractError)) throw error;
        violations.push(error.message);
        res.writeHead(error.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: error.message }));
        return;
      }
      const forward = httpRequest(
        `${target}${req.url}`,
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('end', () => {
            const body = Buffer.concat(parts).toString('utf8');
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            res.end(body);
          });
        },
      );
      forward.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    violations,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('GitHub credential', () => {
  let stub: GitHubStub;
  let front: Awaited<ReturnType<typeof contractFront>>;
  beforeEach(async () => {
    stub = await new GitHubStub().start();
    front = await contractFront(stub.url);
  });
  afterEach(async () => {
    await front.close();
    await stub.close();
  });

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
    const client = new GitHubClient(front.url, () => Promise.resolve(parseCredential(secret, 'arn')), 'acme');

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
    assert.deepEqual(front.violations, [], 'every request, App endpoints included, is GitHub-valid');
  });

  it('the contract check in front of the stub refuses an App request GitHub would refuse', async () => {
    const answer = await fetch(`${front.url}/app/installations/not-a-number/access_tokens`, {
      method: 'POST',
    });
    assert.equal(answer.status, 422);
    assert.equal(front.violations.length, 1);
    assert.equal(stub.calls.length, 0, 'the stub never saw it');
  });
});
