import assert from 'node:assert/strict';
import { InputError, parseInputs, splitList } from '../src/inputs';

const minimal = {
  'github-org': 'Acme-Corp',
  'github-token': 'ghp_exampleexampleexample',
  'aws-region': 'eu-west-1',
  'state-bucket': 'acme-harrier-state',
};

function parse(inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  return parseInputs((name) => inputs[name] ?? '', env);
}

function problemsOf(inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parse(inputs, env);
  } catch (error: unknown) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected the inputs to be rejected');
}

describe('inputs', () => {
  it('accepts the minimal inputs and resolves the defaults', () => {
    const inputs = parse(minimal);
    assert.equal(inputs.command, 'up');
    assert.equal(inputs.stack, 'acme-corp');
    assert.equal(inputs.createStateBucket, false);
    assert.equal(inputs.secretsProvider, 'awskms://alias/harrier-pulumi?region=eu-west-1');
    assert.equal(inputs.programDir, undefined);
    assert.deepEqual(inputs.config, { githubOrg: 'Acme-Corp', githubToken: 'ghp_exampleexampleexample' });
  });

  it('leaves every infra key unset when its input is empty, so the program default applies', () => {
    const { config } = parse(minimal);
    for (const key of ['fleetSize', 'reuseWindowMinutes', 'runnerGroupId', 'webhookIpAllowList'] as const)
      assert.equal(config[key], undefined);
  });

  it('takes the region from AWS_REGION when the input is empty', () => {
    const inputs = parse(
      { ...minimal, 'aws-region': '' },
      { AWS_REGION: 'ap-southeast-2', AWS_DEFAULT_REGION: 'us-east-1' },
    );
    assert.equal(inputs.awsRegion, 'ap-southeast-2');
  });

  it('parses every infra key into its type', () => {
    const { config } = parse({
      ...minimal,
      'fleet-size': '3',
      'instance-type': 'c7g.xlarge',
      architecture: 'arm64',
      'volume-size-gb': '100',
      'github-api-url': 'https://github.example.com/api/v3/',
      'runner-sha256-x64': 'A'.repeat(64),
      'log-retention-days': '30',
      'vpc-cidr': '10.1.0.0/20',
      'reuse-window-minutes': '15',
      'runner-scope': 'repo',
      'runner-group-id': '7',
      labels: 'harrier,\nlinux',
      'max-runners': '20',
      'runner-version': 'v2.329.0',
      'max-warm-age-days': '7',
      'webhook-ip-allow-list': 'false',
      'cache-retention-days': '14',
      pools: '[{ name: gpu, labels: [gpu], instanceType: g5.xlarge, architecture: x64, fleetSize: 0 }]',
    });
    assert.deepEqual(config, {
      githubOrg: 'Acme-Corp',
      githubToken: 'ghp_exampleexampleexample',
      githubApiUrl: 'https://github.example.com/api/v3',
      fleetSize: 3,
      instanceType: 'c7g.xlarge',
      architecture: 'arm64',
      volumeSizeGb: 100,
      reuseWindowMinutes: 15,
      runnerScope: 'repo',
      runnerGroupId: 7,
      labels: ['harrier', 'linux'],
      maxRunners: 20,
      runnerVersion: '2.329.0',
      runnerSha256X64: 'a'.repeat(64),
      maxWarmAgeDays: 7,
      webhookIpAllowList: false,
      cacheRetentionDays: 14,
      logRetentionDays: 30,
      vpcCidr: '10.1.0.0/20',
      pools: [{ name: 'gpu', labels: ['gpu'], instanceType: 'g5.xlarge', architecture: 'x64', fleetSize: 0 }],
    });
  });

  it('reports every problem at once, one line each', () => {
    const problems = problemsOf({
      command: 'deploy',
      'aws-region': 'Europe',
      'state-bucket': 'Bad_Bucket',
      'fleet-size': 'two',
      architecture: 'x86',
      'webhook-ip-allow-list': 'yes',
    });
    assert.equal(problems.length, 8, problems.join('\n'));
    for (const name of [
      'command',
      'github-org',
      'github-token',
      'aws-region',
      'state-bucket',
      'fleet-size',
      'architecture',
      'webhook-ip-allow-list',
    ])
      assert.ok(
        problems.some((p) => p.startsWith(`${name}:`)),
        `no problem reported for ${name}`,
      );
  });

  it('names the input and the fix in its message', () => {
    const problems = problemsOf({ ...minimal, 'state-bucket': '' });
    assert.deepEqual(problems, [
      `state-bucket: required; an S3 bucket name for the Pulumi state, e.g. 'acme-harrier-state'.`,
    ]);
  });

  it('requires a token for up and preview but not for destroy', () => {
    assert.ok(problemsOf({ ...minimal, 'github-token': '' })[0]?.startsWith('github-token: required'));
    assert.ok(
      problemsOf({ ...minimal, command: 'preview', 'github-token': '' })[0]?.startsWith('github-token'),
    );
    assert.equal(parse({ ...minimal, command: 'destroy', 'github-token': '' }).config.githubToken, undefined);
  });

  it('never echoes the token in a message', () => {
    const token = 'ghp_secret value';
    const problems = problemsOf({ ...minimal, 'github-token': token });
    assert.ok(problems.length === 1 && !problems[0]!.includes(token));
  });

  it('rejects a runner older than the first one that runs node24 actions', () => {
    assert.match(
      problemsOf({ ...minimal, 'runner-version': '2.326.0' })[0]!,
      /cannot run node24 actions; use 2\.327\.1/,
    );
  });

  it('rejects a maximum below the warm pool size', () => {
    assert.match(
      problemsOf({ ...minimal, 'fleet-size': '5', 'max-runners': '2' })[0]!,
      /max-runners: 2 is below fleet-size 5/,
    );
  });

  it('rejects out-of-range numbers with the range', () => {
    assert.deepEqual(problemsOf({ ...minimal, 'volume-size-gb': '8' }), [
      'volume-size-gb: 8 is out of range 20..16384.',
    ]);
  });

  it('points at the exact entry and key of a bad pool', () => {
    const problems = problemsOf({
      ...minimal,
      pools:
        '[{"name":"gpu","labels":["gpu"],"instanceType":"g5.xlarge","size":2}, {"name":"gpu","labels":[]}]',
    });
    assert.deepEqual(problems, [
      `pools[0]: unknown key 'size' (known: name, labels, instanceType, architecture, fleetSize, volumeSizeGb).`,
      `pools[1].name: 'gpu' is taken; give every pool its own name.`,
      'pools[1].labels: give a list of labels, e.g. [gpu].',
      `pools[1].instanceType: give an EC2 instance type, e.g. 'g5.xlarge'.`,
    ]);
  });

  it('rejects an instance type of the other architecture, as the infra program would', () => {
    assert.match(
      problemsOf({ ...minimal, 'instance-type': 'm7g.large' })[0]!,
      /'m7g.large' is an arm64 \(Graviton\) type but architecture is x64/,
    );
    assert.match(
      problemsOf({ ...minimal, architecture: 'arm64', 'instance-type': 'm7i.large' })[0]!,
      /is an x64 type/,
    );
  });

  it('accepts a GitHub App instead of a token, and wants its key with it', () => {
    const app = { ...minimal, 'github-token': '', 'github-app-id': '12345' };
    assert.deepEqual(problemsOf(app), [
      `github-app-private-key: required with github-app-id; pass the App's PEM key as a secret.`,
    ]);
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----';
    assert.equal(parse({ ...app, 'github-app-private-key': pem }).config.githubAppPrivateKey, pem);
  });

  it('rejects a VPC range outside /16 to /24', () => {
    assert.match(
      problemsOf({ ...minimal, 'vpc-cidr': '10.0.0.0/8' })[0]!,
      /^vpc-cidr: '10.0.0.0\/8' is not an IPv4 CIDR from \/16 to \/24/,
    );
  });

  it('rejects labels with spaces and a secrets provider it does not know', () => {
    const problems = problemsOf({ ...minimal, labels: 'my label', 'secrets-provider': 'vault' });
    assert.equal(problems.length, 2);
  });

  it('splits lists on commas and newlines and drops blanks', () => {
    assert.deepEqual(splitList('a, b\n\nc,'), ['a', 'b', 'c']);
  });
});
