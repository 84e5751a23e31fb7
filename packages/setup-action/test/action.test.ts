// The whole action, in process, against the stand-in Pulumi CLI (a real executable the Automation
// API spawns) and the S3 stand-in, with inputs and file commands set the way the runner sets them.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PulumiCommand } from '@pulumi/pulumi/automation';
import type { RunDeps } from '../src/main';
import { run } from '../src/main';
import type { StandinCall } from './helpers';
import {
  captureLog,
  inputEnv,
  makeProgramDir,
  readCalls,
  readOutputFile,
  standinRoot,
  tempDir,
  withEnv,
} from './helpers';
import type { S3Standin } from './s3-standin';
import { startS3Standin } from './s3-standin';

const TOKEN = 'ghp_e2eTokenThatMustNeverBeLogged';

describe('setup action, end to end with a stand-in Pulumi CLI', () => {
  let s3: S3Standin;
  let programDir: string;
  let standinDir: string;
  let runnerDir: string;
  const execs: string[] = [];

  before(async () => {
    s3 = await startS3Standin();
  });
  after(() => s3.close());
  beforeEach(() => {
    programDir = makeProgramDir();
    standinDir = tempDir('standin');
    runnerDir = tempDir('runner');
    s3.requests.length = 0;
    execs.length = 0;
  });

  const deps = (): RunDeps => ({
    env: { ...process.env, GITHUB_WORKSPACE: runnerDir },
    actionDir: '/nonexistent/packages/setup-action',
    s3: () => Promise.resolve(s3.client),
    pulumi: () => PulumiCommand.get({ root: standinRoot, skipVersionCheck: true }),
    exec: (commandLine) => {
      execs.push(commandLine);
      return Promise.resolve(0);
    },
  });

  async function runAction(inputs: Record<string, string>) {
    const files = { output: join(runnerDir, 'output'), summary: join(runnerDir, 'summary') };
    writeFileSync(files.summary, '');
    writeFileSync(files.output, '');
    const env = {
      ...inputEnv({
        'github-org': 'Acme',
        'github-token': TOKEN,
        'aws-region': 'eu-west-1',
        'state-bucket': 'acme-harrier-state',
        'program-dir': programDir,
        ...inputs,
      }),
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      PULUMI_STANDIN_DIR: standinDir,
    };
    const { result, log, exitCode } = await withEnv(env, () => captureLog(() => run(deps())));
    return {
      result,
      log,
      exitCode,
      calls: readCalls(standinDir),
      outputs: readOutputFile(files.output),
      summary: readFileSync(files.summary, 'utf8'),
    };
  }

  /** `stack select`, `config set-all`, `up`: the subcommand of each call. */
  const commands = (calls: StandinCall[]) =>
    calls.map(({ argv: [verb, sub] }) => (verb === 'stack' || verb === 'config' ? `${verb} ${sub}` : verb));

  it('creates the stack on first run with the KMS secrets provider, then configures and deploys it', async () => {
    const { calls, exitCode, log } = await runAction({});
    assert.equal(exitCode, 0, log);
    assert.deepEqual(commands(calls), [
      'stack select',
      'stack init',
      'config set-all',
      'up',
      'stack output',
      'stack output',
      'stack history',
    ]);
    const init = calls[1]!.argv;
    assert.equal(
      init[init.indexOf('--secrets-provider') + 1],
      'awskms://alias/harrier-pulumi?region=eu-west-1',
    );
  });

  it('runs Pulumi in the program directory against the S3 backend', async () => {
    const { calls } = await runAction({});
    for (const call of calls) {
      assert.equal(call.cwd, programDir);
      assert.equal(call.env.PULUMI_BACKEND_URL, 's3://acme-harrier-state?region=eu-west-1');
    }
    assert.match(
      readFileSync(join(programDir, 'Pulumi.acme.yaml'), 'utf8'),
      /secretsprovider: awskms:\/\/alias\/harrier-pulumi\?region=eu-west-1/,
    );
  });

  it('passes the token only as a secret config value, and every other input as plaintext', async () => {
    const { calls } = await runAction({ 'fleet-size': '3', labels: 'harrier,linux' });
    const argv = calls.find((c) => c.argv[1] === 'set-all')!.argv;
    assert.equal(argv[argv.indexOf(`harrier:githubToken=${TOKEN}`) - 1], '--secret');
    assert.equal(argv[argv.indexOf('harrier:fleetSize=3') - 1], '--plaintext');
    assert.equal(argv[argv.indexOf('harrier:labels=harrier,linux') - 1], '--plaintext');
    assert.equal(argv[argv.indexOf('aws:region=eu-west-1') - 1], '--plaintext');
  });

  it('publishes the stack outputs as step outputs', async () => {
    const { outputs } = await runAction({
      labels: 'harrier',
      pools: '[{ name: large, labels: [large], instanceType: m7i.2xlarge }]',
    });
    assert.deepEqual(outputs, {
      'webhook-url': 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhook',
      bucket: 'harrier-cache-acme-0a1b2c',
      'dashboard-url':
        'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=harrier-acme',
      labels: '["self-hosted","harrier"]',
    });
  });

  it('writes what changed and the next steps to the job summary', async () => {
    const { summary } = await runAction({
      labels: 'self-hosted,harrier',
      pools: '[{ name: large, labels: [large], instanceType: m7i.2xlarge }]',
    });
    assert.match(summary, /\| create \| 42 \|/);
    assert.ok(summary.includes('runs-on: [self-hosted, harrier]'));
    assert.ok(summary.includes('| `runs-on` for pool large | `[self-hosted, large]` |'), summary);
  });

  it('streams Pulumi output to the log and masks the token', async () => {
    const { log } = await runAction({});
    assert.match(log, /Updating \(acme\):/);
    assert.ok(log.startsWith(`::add-mask::${TOKEN}`), 'the token is registered as a secret first');
    assert.equal(log.split(TOKEN).length, 2, 'the token appears nowhere but in the mask command');
  });

  it('masks every line of a GitHub App private key', async () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAsecretline\n-----END RSA PRIVATE KEY-----';
    const { log, exitCode } = await runAction({
      'github-token': '',
      'github-app-id': '42',
      'github-app-private-key': pem,
    });
    assert.equal(exitCode, 0, log);
    const maskLines = log.split('\n').filter((line) => line.startsWith('::add-mask::'));
    assert.ok(maskLines.includes('::add-mask::MIIEpAIBAAKCAQEAsecretline'));
    const rest = log
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    assert.ok(!rest.includes('MIIEpAIBAAKCAQEAsecretline'));
  });

  it('starts every run from a fresh stack file, so a key removed from the workflow is unset', async () => {
    writeFileSync(join(programDir, 'Pulumi.acme.yaml'), 'config:\n  harrier:fleetSize: "9"\n');
    await runAction({});
    assert.doesNotMatch(readFileSync(join(programDir, 'Pulumi.acme.yaml'), 'utf8'), /fleetSize/);
  });

  it('selects the existing stack on a second run and reports nothing changed', async () => {
    await runAction({});
    const second = await runAction({});
    assert.deepEqual(commands(second.calls).slice(7, 10), ['stack select', 'config set-all', 'up']);
    assert.deepEqual(second.result?.changes, { same: 42 });
  });

  it('previews without deploying, reporting what up would create', async () => {
    const { calls, result, summary } = await runAction({ command: 'preview' });
    assert.ok(commands(calls).includes('preview'));
    assert.ok(!commands(calls).includes('up'));
    assert.deepEqual(result?.changes, { create: 42 });
    assert.match(summary, /What `up` would do/);
  });

  it('destroys without a token', async () => {
    await runAction({});
    const { result, exitCode, log } = await runAction({ command: 'destroy', 'github-token': '' });
    assert.equal(exitCode, 0, log);
    assert.deepEqual(result?.changes, { delete: 42 });
  });

  it('fails before running anything when an input is invalid', async () => {
    const { calls, exitCode, log } = await runAction({ 'fleet-size': 'many', 'aws-region': 'mars' });
    assert.equal(exitCode, 1);
    assert.deepEqual(calls, []);
    assert.match(log, /::error::The setup action's inputs have 2 problems:/);
  });

  it("fails the step with Pulumi's own error when the update fails", async () => {
    const { exitCode, log, outputs, summary } = await withEnv({ PULUMI_STANDIN_FAIL: 'up' }, () =>
      runAction({}),
    );
    assert.equal(exitCode, 1);
    assert.match(log, /::error::.*not authorized to perform ec2:CreateVpc/);
    assert.deepEqual(outputs, {});
    assert.match(summary, /## Harrier: setup failed \(CommandError\)/);
  });

  it('keeps the token out of the error and the summary when setting config fails', async () => {
    const { exitCode, log, summary } = await withEnv({ PULUMI_STANDIN_FAIL: 'config' }, () => runAction({}));
    assert.equal(exitCode, 1);
    assert.match(log, /::error::.*config failed/);
    assert.equal(log.split(TOKEN).length, 2, 'only the ::add-mask:: line names it');
    assert.ok(summary.includes('harrier:githubToken=***'), summary);
    assert.ok(!summary.includes(TOKEN));
  });

  it('creates the state bucket before the first deploy when asked', async () => {
    const { exitCode, log } = await runAction({ 'create-state-bucket': 'true' });
    assert.equal(exitCode, 0, log);
    assert.deepEqual(s3.requests.map((r) => `${r.method} ${r.subresource}`).slice(0, 2), ['HEAD ', 'PUT ']);
    assert.ok(s3.buckets.has('acme-harrier-state'));
  });

  it('does not touch S3 unless asked to create the bucket', async () => {
    await runAction({});
    assert.deepEqual(s3.requests, []);
  });

  it('installs the program dependencies when node_modules is missing', async () => {
    programDir = tempDir('bare-program');
    writeFileSync(join(programDir, 'Pulumi.yaml'), 'name: harrier\nruntime: nodejs\n');
    writeFileSync(join(programDir, 'package.json'), JSON.stringify({ packageManager: 'pnpm@10.34.9' }));
    const { exitCode, log } = await runAction({});
    assert.equal(exitCode, 0, log);
    assert.deepEqual(execs, ['npx --yes pnpm@10.34.9 install --frozen-lockfile']);
    assert.equal(existsSync(join(programDir, 'node_modules')), false);
  });
});
