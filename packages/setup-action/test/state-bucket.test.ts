import assert from 'node:assert/strict';
import { ensureStateBucket, StateBucketError, tlsOnlyPolicy } from '../src/state-bucket';
import type { S3Standin } from './s3-standin';
import { startS3Standin } from './s3-standin';

describe('state bucket', () => {
  let s3: S3Standin;
  const log: string[] = [];
  beforeEach(async () => {
    s3 = await startS3Standin();
    log.length = 0;
  });
  afterEach(() => s3.close());

  it('leaves an existing bucket untouched', async () => {
    s3.buckets.add('acme-state');
    assert.equal(await ensureStateBucket(s3.client, 'acme-state', 'eu-west-1', (m) => log.push(m)), 'exists');
    assert.deepEqual(
      s3.requests.map((r) => r.method),
      ['HEAD'],
    );
  });

  it('creates a missing bucket in its region, then blocks public access, versions, encrypts and requires TLS', async () => {
    assert.equal(
      await ensureStateBucket(s3.client, 'acme-state', 'eu-west-1', (m) => log.push(m)),
      'created',
    );
    assert.deepEqual(
      s3.requests.map((r) => `${r.method} ${r.subresource}`),
      ['HEAD ', 'PUT ', 'PUT publicAccessBlock', 'PUT versioning', 'PUT encryption', 'PUT policy'],
    );
    const [, create, block, versioning, encryption, policy] = s3.requests;
    assert.match(create!.body, /<LocationConstraint>eu-west-1<\/LocationConstraint>/);
    for (const setting of [
      'BlockPublicAcls',
      'IgnorePublicAcls',
      'BlockPublicPolicy',
      'RestrictPublicBuckets',
    ])
      assert.match(block!.body, new RegExp(`<${setting}>true</${setting}>`));
    assert.match(versioning!.body, /<Status>Enabled<\/Status>/);
    assert.match(encryption!.body, /<SSEAlgorithm>AES256<\/SSEAlgorithm>/);
    assert.deepEqual(JSON.parse(policy!.body), JSON.parse(tlsOnlyPolicy('acme-state')));
  });

  it('sends no location constraint in us-east-1, which rejects one', async () => {
    const east = await startS3Standin('us-east-1');
    try {
      await ensureStateBucket(east.client, 'acme-state', 'us-east-1', (m) => log.push(m));
      assert.equal(east.requests[1]?.method, 'PUT');
      assert.doesNotMatch(east.requests[1]?.body ?? '', /LocationConstraint/);
    } finally {
      await east.close();
    }
  });

  it('explains a bucket that belongs to someone else', async () => {
    s3.forbidden.add('taken');
    await assert.rejects(
      ensureStateBucket(s3.client, 'taken', 'eu-west-1', (m) => log.push(m)),
      (error: unknown) => error instanceof StateBucketError && /another account/.test(error.message),
    );
    assert.equal(s3.requests.length, 1);
  });

  it('denies every non-TLS request to the bucket and its objects', () => {
    const statement = JSON.parse(tlsOnlyPolicy('b')).Statement[0];
    assert.equal(statement.Effect, 'Deny');
    assert.deepEqual(statement.Resource, ['arn:aws:s3:::b', 'arn:aws:s3:::b/*']);
    assert.deepEqual(statement.Condition, { Bool: { 'aws:SecureTransport': 'false' } });
  });
});
