import assert from 'node:assert/strict';
import { toPulumiConfig } from '../src/config-map';

describe('config map', () => {
  it('namespaces every key under harrier: and sets the AWS region for the provider', () => {
    const map = toPulumiConfig({ awsRegion: 'eu-west-1', config: { githubOrg: 'acme', fleetSize: 3 } });
    assert.deepEqual(Object.keys(map).sort(), ['aws:region', 'harrier:fleetSize', 'harrier:githubOrg']);
    assert.deepEqual(map['aws:region'], { value: 'eu-west-1' });
  });

  it('marks the GitHub token and App key, and only those, secret', () => {
    const map = toPulumiConfig({
      awsRegion: 'eu-west-1',
      config: { githubOrg: 'acme', githubToken: 'ghp_x', githubAppPrivateKey: 'pem', runnerScope: 'org' },
    });
    assert.deepEqual(map['harrier:githubToken'], { value: 'ghp_x', secret: true });
    assert.deepEqual(map['harrier:githubAppPrivateKey'], { value: 'pem', secret: true });
    assert.equal(map['harrier:githubOrg']?.secret, false);
    assert.equal(map['harrier:runnerScope']?.secret, false);
  });

  it('writes numbers and booleans as text, labels comma-separated and pools as JSON', () => {
    const map = toPulumiConfig({
      awsRegion: 'us-east-1',
      config: {
        githubOrg: 'acme',
        reuseWindowMinutes: 0,
        webhookIpAllowList: false,
        labels: ['harrier', 'linux'],
        pools: [{ name: 'gpu', labels: ['gpu'], instanceType: 'g5.xlarge' }],
      },
    });
    assert.equal(map['harrier:reuseWindowMinutes']?.value, '0');
    assert.equal(map['harrier:webhookIpAllowList']?.value, 'false');
    assert.equal(map['harrier:labels']?.value, 'harrier,linux');
    assert.deepEqual(JSON.parse(map['harrier:pools']!.value), [
      { name: 'gpu', labels: ['gpu'], instanceType: 'g5.xlarge' },
    ]);
  });

  it('leaves out keys the user did not set', () => {
    const map = toPulumiConfig({
      awsRegion: 'us-east-1',
      config: { githubOrg: 'acme', fleetSize: undefined },
    });
    assert.equal('harrier:fleetSize' in map, false);
  });
});
