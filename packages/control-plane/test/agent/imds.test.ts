import assert from 'node:assert/strict';
import { createImdsClient, ImdsError } from '../../src/agent/imds';
import { startFakeImds, type FakeImds } from './fake-imds';

describe('agent IMDSv2 client', () => {
  let imds: FakeImds;
  before(async () => {
    imds = await startFakeImds({ instanceId: 'i-0aaaabbbbccccdddd', region: 'ap-southeast-2' });
  });
  after(() => imds.close());
  beforeEach(() => {
    imds.requests.length = 0;
    imds.tags.clear();
  });

  it('asks for a session token before its first read and sends it with every read', async () => {
    const client = createImdsClient({ baseUrl: imds.baseUrl });
    assert.equal(await client.instanceId(), 'i-0aaaabbbbccccdddd');
    assert.equal(await client.region(), 'ap-southeast-2');
    assert.deepEqual(
      imds.requests.map((r) => r.method),
      ['PUT', 'GET', 'GET'],
    );
    assert.ok(imds.requests.slice(1).every((r) => r.token === 'token-1'));
  });

  it('reads an instance tag by its key, colon included', async () => {
    imds.tags.set('harrier:jit', 'gen-7');
    const client = createImdsClient({ baseUrl: imds.baseUrl });
    assert.equal(await client.tag('harrier:jit'), 'gen-7');
  });

  it('answers undefined for a tag the instance does not have', async () => {
    const client = createImdsClient({ baseUrl: imds.baseUrl });
    assert.equal(await client.tag('harrier:bootstrap'), undefined);
  });

  it('gets a fresh token and retries once when its token has expired', async () => {
    const client = createImdsClient({ baseUrl: imds.baseUrl });
    await client.instanceId();
    imds.expireTokens();
    imds.tags.set('harrier:launch', 'pool');
    assert.equal(await client.tag('harrier:launch'), 'pool');
    assert.equal(imds.requests.filter((r) => r.method === 'PUT').length, 2);
  });

  it('fails with a named error when IMDS does not answer a required value', async () => {
    const client = createImdsClient({ baseUrl: `${imds.baseUrl}/nowhere` });
    await assert.rejects(client.instanceId(), ImdsError);
  });
});
