import assert from 'node:assert/strict';
import * as pulumi from '@pulumi/pulumi';
import { HarrierConfigError } from '../src/config';
import { loadConfig } from '../src/load-config';

describe('loading harrier:* from the Pulumi stack config', () => {
  afterEach(() => pulumi.runtime.setAllConfig({}, []));

  it('reads plain keys, structured pools and the token as a secret Output', async () => {
    pulumi.runtime.setAllConfig(
      {
        'harrier:githubOrg': 'acme',
        'harrier:githubToken': 'ghp_fromStackConfig',
        'harrier:fleetSize': '3',
        'harrier:pools': JSON.stringify([{ name: 'big', labels: ['big'], instanceType: 'm7i.2xlarge' }]),
      },
      ['harrier:githubToken'],
    );
    const { config, secrets } = loadConfig();
    assert.equal(config.fleetSize, 3);
    assert.equal(config.pools[0]?.name, 'big');
    assert.ok(secrets.githubToken !== undefined);
    assert.equal(await pulumi.isSecret(pulumi.output(secrets.githubToken)), true);
  });

  it('fails with every problem when the org and token are missing', () => {
    pulumi.runtime.setAllConfig({ 'harrier:fleetSize': '-1' }, []);
    assert.throws(
      () => loadConfig(),
      (error: unknown) => error instanceof HarrierConfigError && error.problems.length === 3,
    );
  });
});
