import assert from 'node:assert/strict';
import { CONFIG_KEYS, HarrierConfigError, parseConfig, type RawConfig } from '../src/config';

const withToken = (values: RawConfig['values']): RawConfig => ({
  values,
  secretsPresent: new Set(['githubToken']),
});

function problemsOf(raw: RawConfig): string[] {
  try {
    parseConfig(raw);
  } catch (error: unknown) {
    if (error instanceof HarrierConfigError) return error.problems.map((p) => p.key);
    throw error;
  }
  return [];
}

describe('stack config', () => {
  it('needs only the org and a token, and documents every default', () => {
    const config = parseConfig(withToken({ githubOrg: 'acme' }));
    assert.equal(config.fleetSize, 2);
    assert.equal(config.architecture, 'x64');
    assert.equal(config.instanceType, 'm7i.large');
    assert.equal(config.reuseWindowMinutes, 0);
    assert.equal(config.runnerScope, 'org');
    assert.equal(config.runnerGroupId, 1);
    assert.equal(config.webhookIpAllowList, true);
    assert.equal(config.cacheRetentionDays, 30);
    assert.deepEqual(config.labels, ['self-hosted', 'linux', 'x64']);
    assert.match(config.runnerSha256.x64, /^[0-9a-f]{64}$/);
    assert.deepEqual(config.pools, []);
  });

  it('defaults to a Graviton type and arm64 labels on arm64', () => {
    const config = parseConfig(withToken({ githubOrg: 'acme', architecture: 'arm64' }));
    assert.equal(config.instanceType, 'm7g.large');
    assert.deepEqual(config.labels, ['self-hosted', 'linux', 'arm64']);
  });

  it('reports every problem at once, each with a hint', () => {
    let caught: unknown;
    try {
      parseConfig({
        values: { fleetSize: 'two', architecture: 'sparc', runnerScope: 'team', runnerVersion: '2.300.0' },
        secretsPresent: new Set(),
      });
    } catch (error: unknown) {
      caught = error;
    }
    assert.ok(caught instanceof HarrierConfigError);
    assert.deepEqual(caught.problems.map((p) => p.key).sort(), [
      'architecture',
      'fleetSize',
      'githubOrg',
      'githubToken',
      'runnerScope',
      'runnerSha256Arm64',
      'runnerSha256X64',
      'runnerVersion',
    ]);
    assert.ok(caught.problems.every((p) => p.hint.length > 0));
    assert.match(caught.message, /hint: pulumi config set --secret harrier:githubToken/);
  });

  it('refuses an instance type of the other architecture', () => {
    assert.deepEqual(
      problemsOf(withToken({ githubOrg: 'acme', architecture: 'arm64', instanceType: 'c7i.xlarge' })),
      ['instanceType'],
    );
    assert.deepEqual(problemsOf(withToken({ githubOrg: 'acme', instanceType: 'c7g.xlarge' })), [
      'instanceType',
    ]);
  });

  it('refuses a runner older than 2.327.1, which node24 actions need', () => {
    assert.ok(
      problemsOf(withToken({ githubOrg: 'acme', runnerVersion: '2.326.0' })).includes('runnerVersion'),
    );
  });

  it('accepts another runner version when its checksums are given', () => {
    const sum = 'ab'.repeat(32);
    const config = parseConfig(
      withToken({
        githubOrg: 'acme',
        runnerVersion: '2.330.0',
        runnerSha256X64: sum,
        runnerSha256Arm64: sum,
      }),
    );
    assert.equal(config.runnerVersion, '2.330.0');
  });

  it('accepts a GitHub App instead of a token, and requires its key', () => {
    assert.deepEqual(
      problemsOf({ values: { githubOrg: 'acme', githubAppId: '123' }, secretsPresent: new Set() }),
      ['githubAppPrivateKey'],
    );
    assert.deepEqual(
      problemsOf({
        values: { githubOrg: 'acme', githubAppId: '123' },
        secretsPresent: new Set(['githubAppPrivateKey']),
      }),
      [],
    );
  });

  it('always adds self-hosted to the labels', () => {
    assert.deepEqual(parseConfig(withToken({ githubOrg: 'acme', labels: 'Linux, GPU' })).labels, [
      'self-hosted',
      'linux',
      'gpu',
    ]);
  });

  it('reads extra pools from JSON and checks each', () => {
    const config = parseConfig(
      withToken({
        githubOrg: 'acme',
        pools: JSON.stringify([
          { name: 'large', labels: ['large'], instanceType: 'm7i.2xlarge', fleetSize: 1 },
        ]),
      }),
    );
    assert.deepEqual(config.pools, [
      {
        name: 'large',
        labels: ['self-hosted', 'large'],
        instanceType: 'm7i.2xlarge',
        architecture: 'x64',
        fleetSize: 1,
        volumeSizeGb: 40,
      },
    ]);
    assert.deepEqual(
      problemsOf(
        withToken({ githubOrg: 'acme', pools: [{ name: 'Bad Name', labels: ['linux'], instanceType: 'x' }] }),
      ).sort(),
      ['pools[0].instanceType', 'pools[0].labels', 'pools[0].name'],
    );
  });

  it('refuses a VPC CIDR outside /16 to /24', () => {
    assert.deepEqual(problemsOf(withToken({ githubOrg: 'acme', vpcCidr: '10.0.0.0/8' })), ['vpcCidr']);
  });

  it('documents every key it reads', () => {
    for (const key of [
      'githubOrg',
      'githubToken',
      'fleetSize',
      'instanceType',
      'architecture',
      'volumeSizeGb',
      'reuseWindowMinutes',
      'runnerScope',
      'runnerGroupId',
      'labels',
      'maxRunners',
      'runnerVersion',
      'maxWarmAgeDays',
      'webhookIpAllowList',
      'cacheRetentionDays',
      'pools',
    ])
      assert.ok(key in CONFIG_KEYS, key);
  });
});
