import assert from 'node:assert/strict';
import { PulumiCommand } from '@pulumi/pulumi/automation';
import type { PulumiCli } from '../src/pulumi-cli';
import { resolvePulumiCli } from '../src/pulumi-cli';
import { standinRoot, tempDir, withEnv } from './helpers';

describe('pulumi CLI', () => {
  const log: string[] = [];
  const skipCheck = { PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'true' };
  // Where the stand-in records its calls; the CLI's children inherit the test's environment.
  let previousDir: string | undefined;
  before(() => {
    previousDir = process.env.PULUMI_STANDIN_DIR;
    process.env.PULUMI_STANDIN_DIR = tempDir('cli');
  });
  after(() => {
    if (previousDir === undefined) delete process.env.PULUMI_STANDIN_DIR;
    else process.env.PULUMI_STANDIN_DIR = previousDir;
  });

  it('uses the CLI in pulumi-root when given', async () => {
    const command = await withEnv(skipCheck, () =>
      resolvePulumiCli({ root: standinRoot, log: (m) => log.push(m) }),
    );
    assert.equal(command.command, `${standinRoot}/bin/pulumi`);
    assert.equal(command.version?.toString(), '3.200.0');
  });

  it('uses the CLI on PATH when there is one', async () => {
    const command = await withEnv({ ...skipCheck, PATH: `${standinRoot}/bin:${process.env.PATH}` }, () =>
      resolvePulumiCli({ log: (m) => log.push(m) }),
    );
    assert.equal(command.command, 'pulumi');
  });

  it('installs the requested version into the tool cache when none is on PATH', async () => {
    const installs: { version?: string; root?: string }[] = [];
    // The real installer downloads from get.pulumi.com; this one records what it was asked.
    const cli: PulumiCli = {
      get: () => Promise.reject(new Error('spawn pulumi ENOENT')),
      install: (opts) => {
        installs.push({ version: opts?.version?.toString(), root: opts?.root });
        return PulumiCommand.get({ root: standinRoot, skipVersionCheck: true });
      },
    };
    await resolvePulumiCli(
      { version: '3.210.0', toolCache: '/opt/hostedtoolcache', log: (m) => log.push(m) },
      cli,
    );
    assert.deepEqual(installs, [{ version: '3.210.0', root: '/opt/hostedtoolcache/pulumi/3.210.0' }]);
    assert.match(log.at(-1)!, /No usable Pulumi CLI on PATH \(spawn pulumi ENOENT\); installing 3\.210\.0/);
  });
});
