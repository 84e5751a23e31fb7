import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../src/config';

const valid = {
  HARRIER_STACK_ID: 'acme-prod',
  TABLE_NAME: 'harrier-state',
  JOB_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/harrier-jobs.fifo',
  LAUNCH_TEMPLATE_ID: 'lt-0123456789abcdef0',
  SUBNET_IDS: 'subnet-a, subnet-b',
  GITHUB_OWNER: 'acme',
  GITHUB_CREDENTIAL_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:gh',
  WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hook',
};

describe('config', () => {
  it('fills documented defaults for everything optional', () => {
    const config = parseConfig(valid);
    assert.deepEqual(config.pool, {
      name: 'default',
      labels: ['self-hosted', 'linux', 'x64'],
      fleetSize: 2,
      launchTemplateId: 'lt-0123456789abcdef0',
      launchTemplateVersion: '$Default',
      subnetIds: ['subnet-a', 'subnet-b'],
    });
    assert.equal(config.github.scope, 'org');
    assert.equal(config.github.runnerGroupId, 1);
    assert.equal(config.github.apiUrl, 'https://api.github.com');
    assert.equal(config.timing.reuseWindowMs, 0);
    assert.equal(config.webhookIpAllowList, true);
  });

  it('always gives runners the self-hosted label and lower-cases labels', () => {
    assert.deepEqual(parseConfig({ ...valid, RUNNER_LABELS: 'Linux,ARM64' }).pool.labels, [
      'linux',
      'arm64',
      'self-hosted',
    ]);
  });

  it('takes the partition, region and account for instance ARNs from the credential secret ARN', () => {
    const config = parseConfig({
      ...valid,
      GITHUB_CREDENTIAL_SECRET_ARN:
        'arn:aws-cn:secretsmanager:cn-north-1:210987654321:secret:harrier/gh-AbCdEf',
    });
    assert.deepEqual(config.aws, { partition: 'aws-cn', region: 'cn-north-1', accountId: '210987654321' });
  });

  it('refuses a credential secret that is not a Secrets Manager ARN', () => {
    assert.throws(
      () => parseConfig({ ...valid, GITHUB_CREDENTIAL_SECRET_ARN: 'harrier/github' }),
      /GITHUB_CREDENTIAL_SECRET_ARN must be a Secrets Manager ARN/,
    );
  });

  it('reports every problem in one error', () => {
    const env: Record<string, string> = {
      ...valid,
      JOB_QUEUE_URL: 'https://sqs/standard-queue',
      SUBNET_IDS: 'subnet-a',
      FLEET_SIZE: 'many',
      RUNNER_SCOPE: 'enterprise',
    };
    delete env.GITHUB_OWNER;
    assert.throws(
      () => parseConfig(env),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 5);
        assert.match(error.message, /GITHUB_OWNER is not set/);
        assert.match(error.message, /FIFO/);
        return true;
      },
    );
  });

  it('never echoes a secret value: only ARNs are configuration', () => {
    const error = (() => {
      try {
        parseConfig({ ...valid, FLEET_SIZE: '-1' });
      } catch (e: unknown) {
        return e as Error;
      }
      return undefined;
    })();
    assert.ok(error);
    assert.doesNotMatch(error.message, /arn:aws:secretsmanager/);
  });
});
