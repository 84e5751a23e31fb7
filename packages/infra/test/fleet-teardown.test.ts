import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import {
  DescribeInstancesCommand,
  EC2Client,
  TerminateInstancesCommand,
  type DescribeInstancesCommandInput,
  type DescribeInstancesCommandOutput,
  type TerminateInstancesCommandInput,
  type TerminateInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import {
  DeleteParametersCommand,
  GetParametersByPathCommand,
  SSMClient,
  type DeleteParametersCommandInput,
  type DeleteParametersCommandOutput,
  type GetParametersByPathCommandInput,
  type GetParametersByPathCommandOutput,
} from '@aws-sdk/client-ssm';
import * as pulumi from '@pulumi/pulumi';
import { mockClient } from 'aws-sdk-client-mock';
import type * as GitHubStandInModule from '@harrier/control-plane/src/standins/github';
import { loadOctokit } from '../src/components/github-webhook';
import {
  FleetTeardownTimeoutError,
  fleetTeardownProvider,
  isThrottle,
  orgRunnerDeregistration,
  teardownFleet,
  type FleetTeardownInputs,
  type TeardownDeps,
} from '../src/components/fleet-teardown';

const STACK = 'acme-prod';
const OTHER = 'acme-staging';

interface FakeInstance {
  stack: string | undefined;
  state: string;
  /** DescribeInstances calls left before a shutting-down instance shows as terminated. */
  pollsToTerminate: number;
}

/**
 * A small stateful EC2 + SSM account: instances move pending/running/stopped → shutting-down →
 * terminated, answers are paginated, and the next N calls of an operation can be throttled.
 */
class FakeAccount {
  readonly instances = new Map<string, FakeInstance>();
  readonly parameters = new Set<string>();
  readonly terminateRequests: string[][] = [];
  readonly describeRequests: DescribeInstancesCommandInput[] = [];
  readonly parameterRequests: GetParametersByPathCommandInput[] = [];
  readonly deleteRequests: string[][] = [];
  /** Operation name → how many upcoming calls fail with its throttling error. */
  readonly throttle = new Map<string, number>();
  /** Runs once per DescribeInstances call, after the answer (an in-flight Lambda launching, say). */
  onDescribe: ((call: number) => void) | undefined;
  readonly pageSize = 2;
  readonly shutdownPolls: number;

  constructor(options: { shutdownPolls?: number } = {}) {
    this.shutdownPolls = options.shutdownPolls ?? 2;
  }

  add(id: string, stack: string | undefined, state: string): this {
    this.instances.set(id, { stack, state, pollsToTerminate: this.shutdownPolls });
    return this;
  }

  private maybeThrottle(operation: string, name: string): void {
    const left = this.throttle.get(operation) ?? 0;
    if (left === 0) return;
    this.throttle.set(operation, left - 1);
    throw Object.assign(new Error('Rate exceeded'), { name, $metadata: { httpStatusCode: 400 } });
  }

  describe(input: DescribeInstancesCommandInput): DescribeInstancesCommandOutput {
    this.maybeThrottle('DescribeInstances', 'RequestLimitExceeded');
    this.describeRequests.push(input);
    // Time passes between polls: instances shutting down get closer to terminated.
    if (input.NextToken === undefined)
      for (const instance of this.instances.values())
        if (instance.state === 'shutting-down' && --instance.pollsToTerminate <= 0)
          instance.state = 'terminated';
    const tagFilter = input.Filters?.find((f) => f.Name === 'tag:harrier:stack')?.Values ?? [];
    const stateFilter = input.Filters?.find((f) => f.Name === 'instance-state-name')?.Values;
    const matching = [...this.instances.entries()].filter(
      ([, i]) =>
        i.stack !== undefined &&
        tagFilter.includes(i.stack) &&
        (!stateFilter || stateFilter.includes(i.state)),
    );
    const start = Number(input.NextToken ?? '0');
    const page = matching.slice(start, start + this.pageSize);
    const next = start + this.pageSize < matching.length ? String(start + this.pageSize) : undefined;
    if (next === undefined) this.onDescribe?.(this.describeRequests.filter((r) => !r.NextToken).length);
    return {
      $metadata: {},
      NextToken: next,
      Reservations: page.map(([id, i]) => ({
        Instances: [
          {
            InstanceId: id,
            State: { Name: i.state as 'running' },
            Tags: i.stack === undefined ? [] : [{ Key: 'harrier:stack', Value: i.stack }],
          },
        ],
      })),
    };
  }

  terminate(input: TerminateInstancesCommandInput): TerminateInstancesCommandOutput {
    this.maybeThrottle('TerminateInstances', 'RequestLimitExceeded');
    const ids = input.InstanceIds ?? [];
    this.terminateRequests.push(ids);
    return {
      $metadata: {},
      TerminatingInstances: ids.map((id) => {
        const instance = this.instances.get(id);
        if (!instance) throw Object.assign(new Error(`no ${id}`), { name: 'InvalidInstanceID.NotFound' });
        const previous = instance.state;
        if (previous !== 'terminated') instance.state = 'shutting-down';
        return {
          InstanceId: id,
          PreviousState: { Name: previous as 'running' },
          CurrentState: { Name: instance.state as 'shutting-down' },
        };
      }),
    };
  }

  parametersByPath(input: GetParametersByPathCommandInput): GetParametersByPathCommandOutput {
    this.maybeThrottle('GetParametersByPath', 'ThrottlingException');
    this.parameterRequests.push(input);
    const path = `${input.Path}/`;
    const matching = [...this.parameters].filter((name) => name.startsWith(path)).sort();
    const start = Number(input.NextToken ?? '0');
    const size = Math.min(input.MaxResults ?? 10, 10);
    return {
      $metadata: {},
      Parameters: matching.slice(start, start + size).map((Name) => ({ Name, Type: 'SecureString' })),
      NextToken: start + size < matching.length ? String(start + size) : undefined,
    };
  }

  deleteParameters(input: DeleteParametersCommandInput): DeleteParametersCommandOutput {
    this.maybeThrottle('DeleteParameters', 'ThrottlingException');
    const names = input.Names ?? [];
    if (names.length > 10) throw Object.assign(new Error('too many names'), { name: 'ValidationException' });
    this.deleteRequests.push(names);
    const deleted = names.filter((n) => this.parameters.delete(n));
    return {
      $metadata: {},
      DeletedParameters: deleted,
      InvalidParameters: names.filter((n) => !deleted.includes(n)),
    };
  }

  live(stack: string): string[] {
    return [...this.instances.entries()]
      .filter(([, i]) => i.stack === stack && i.state !== 'terminated')
      .map(([id]) => id)
      .sort();
  }
}

const ec2Mock = mockClient(EC2Client);
const ssmMock = mockClient(SSMClient);

function connect(account: FakeAccount): void {
  ec2Mock.reset();
  ssmMock.reset();
  ec2Mock
    .on(DescribeInstancesCommand)
    .callsFake((input: DescribeInstancesCommandInput) => account.describe(input));
  ec2Mock
    .on(TerminateInstancesCommand)
    .callsFake((input: TerminateInstancesCommandInput) => account.terminate(input));
  ssmMock
    .on(GetParametersByPathCommand)
    .callsFake((input: GetParametersByPathCommandInput) => account.parametersByPath(input));
  ssmMock
    .on(DeleteParametersCommand)
    .callsFake((input: DeleteParametersCommandInput) => account.deleteParameters(input));
}

/** A clock that only moves when the teardown sleeps: tests run instantly and see every pause. */
function fakeDeps(): TeardownDeps & { sleeps: number[]; logs: string[] } {
  let time = 0;
  const sleeps: number[] = [];
  const logs: string[] = [];
  return {
    ec2: new EC2Client({ region: 'eu-central-1' }),
    ssm: new SSMClient({ region: 'eu-central-1' }),
    commands: {
      DescribeInstancesCommand,
      TerminateInstancesCommand,
      GetParametersByPathCommand,
      DeleteParametersCommand,
    },
    sleep: (ms) => {
      sleeps.push(ms);
      time += ms;
      return Promise.resolve();
    },
    now: () => time,
    log: (message) => logs.push(message),
    sleeps,
    logs,
  };
}

const target: FleetTeardownInputs = {
  stack: STACK,
  region: 'eu-central-1',
  jitPrefix: `/harrier/${STACK}/jit/`,
  maxWaitSeconds: 600,
  firstPollSeconds: 5,
  maxPollSeconds: 30,
};

describe('fleet teardown (pulumi destroy)', () => {
  after(() => {
    ec2Mock.restore();
    ssmMock.restore();
  });

  it('terminates every instance of the stack in every live state and none of another stack', async () => {
    const account = new FakeAccount()
      .add('i-pending', STACK, 'pending')
      .add('i-running', STACK, 'running')
      .add('i-stopping', STACK, 'stopping')
      .add('i-warm', STACK, 'stopped')
      .add('i-other-running', OTHER, 'running')
      .add('i-other-warm', OTHER, 'stopped')
      .add('i-untagged', undefined, 'running');
    connect(account);
    const report = await teardownFleet(fakeDeps(), target);
    assert.deepEqual(report.terminated, ['i-pending', 'i-running', 'i-stopping', 'i-warm']);
    assert.deepEqual(account.live(STACK), []);
    const touched = account.terminateRequests.flat();
    for (const id of ['i-other-running', 'i-other-warm', 'i-untagged']) assert.ok(!touched.includes(id), id);
    assert.equal(account.instances.get('i-other-running')!.state, 'running');
    assert.equal(account.instances.get('i-other-warm')!.state, 'stopped');
  });

  it('re-checks the stack tag on every instance EC2 returns before terminating it', async () => {
    const account = new FakeAccount().add('i-ours', STACK, 'running').add('i-theirs', OTHER, 'running');
    connect(account);
    // An EC2 answer wider than the filter asked for (a filter EC2 ignored, say).
    ec2Mock
      .on(DescribeInstancesCommand)
      .callsFake((input: DescribeInstancesCommandInput) =>
        account.describe({ ...input, Filters: [{ Name: 'tag:harrier:stack', Values: [STACK, OTHER] }] }),
      );
    await teardownFleet(fakeDeps(), target);
    assert.deepEqual(account.terminateRequests.flat(), ['i-ours']);
    assert.equal(account.instances.get('i-theirs')!.state, 'running');
  });

  it('asks EC2 only for the stack tag and the live states', async () => {
    const account = new FakeAccount().add('i-1', STACK, 'running');
    connect(account);
    await teardownFleet(fakeDeps(), target);
    const filters = account.describeRequests[0]!.Filters!;
    assert.deepEqual(
      filters.map((f) => [f.Name, f.Values]),
      [
        ['tag:harrier:stack', [STACK]],
        ['instance-state-name', ['pending', 'running', 'stopping', 'stopped', 'shutting-down']],
      ],
    );
  });

  it('follows DescribeInstances pages to the last one', async () => {
    const account = new FakeAccount();
    for (let i = 0; i < 7; i += 1) account.add(`i-${i}`, STACK, i % 2 === 0 ? 'running' : 'stopped');
    account.add('i-other', OTHER, 'running');
    connect(account);
    const report = await teardownFleet(fakeDeps(), target);
    assert.equal(report.terminated.length, 7);
    assert.ok(
      account.describeRequests.some((r) => r.NextToken === '6'),
      'fetched the fourth page',
    );
    assert.deepEqual(account.live(STACK), []);
  });

  it('waits until the instances are terminated, polling with growing pauses up to the cap', async () => {
    const account = new FakeAccount({ shutdownPolls: 6 }).add('i-slow', STACK, 'running');
    connect(account);
    const deps = fakeDeps();
    const report = await teardownFleet(deps, target);
    assert.equal(account.instances.get('i-slow')!.state, 'terminated');
    assert.equal(report.polls, 7);
    assert.deepEqual(deps.sleeps, [5000, 10_000, 20_000, 30_000, 30_000, 30_000]);
    assert.equal(account.terminateRequests.length, 1, 'a shutting-down instance is not terminated again');
  });

  it('retries a throttled call and still terminates everything', async () => {
    const account = new FakeAccount().add('i-1', STACK, 'running').add('i-2', STACK, 'stopped');
    account.throttle.set('TerminateInstances', 2);
    account.throttle.set('DescribeInstances', 1);
    connect(account);
    const deps = fakeDeps();
    await teardownFleet(deps, target);
    assert.deepEqual(account.live(STACK), []);
    assert.deepEqual(deps.sleeps.slice(0, 3), [500, 500, 1000], 'backs off before each retry');
    assert.ok(deps.logs.some((l) => l.includes('TerminateInstances throttled')));
  });

  it('gives up on an error that is not throttling', async () => {
    const account = new FakeAccount().add('i-1', STACK, 'running');
    connect(account);
    ec2Mock
      .on(TerminateInstancesCommand)
      .rejects(Object.assign(new Error('not allowed'), { name: 'UnauthorizedOperation' }));
    await assert.rejects(teardownFleet(fakeDeps(), target), { name: 'UnauthorizedOperation' });
  });

  it('also terminates an instance launched while the teardown runs', async () => {
    const account = new FakeAccount().add('i-1', STACK, 'running');
    account.onDescribe = (call) => {
      // A reconcile invocation already in flight when its Lambda was deleted.
      if (call === 1) account.add('i-late', STACK, 'pending');
    };
    connect(account);
    const report = await teardownFleet(fakeDeps(), target);
    assert.deepEqual(report.terminated, ['i-1', 'i-late']);
    assert.deepEqual(account.live(STACK), []);
  });

  it('stops waiting at the bound and names the instances still alive, after deleting the parameters', async () => {
    const account = new FakeAccount({ shutdownPolls: 1000 }).add('i-stuck', STACK, 'running');
    account.parameters.add(`/harrier/${STACK}/jit/i-stuck`);
    connect(account);
    const deps = fakeDeps();
    await assert.rejects(teardownFleet(deps, { ...target, maxWaitSeconds: 120 }), (error: unknown) => {
      assert.ok(error instanceof FleetTeardownTimeoutError);
      assert.deepEqual(error.remaining, ['i-stuck']);
      assert.match(error.message, /after 120 s/);
      return true;
    });
    assert.equal(
      deps.sleeps.reduce((a, b) => a + b, 0),
      120_000,
    );
    assert.equal(account.parameters.size, 0);
  });

  it("deletes the stack's JIT parameters in batches of ten and leaves every other parameter", async () => {
    const account = new FakeAccount();
    for (let i = 0; i < 23; i += 1)
      account.parameters.add(`/harrier/${STACK}/jit/i-${String(i).padStart(3, '0')}`);
    account.parameters.add(`/harrier/${OTHER}/jit/i-keep`);
    account.parameters.add(`/harrier/${STACK}-old/jit/i-keep`);
    account.parameters.add(`/harrier/${STACK}/config`);
    connect(account);
    const report = await teardownFleet(fakeDeps(), target);
    assert.equal(report.parametersDeleted.length, 23);
    assert.deepEqual(
      account.deleteRequests.map((names) => names.length),
      [10, 10, 3],
    );
    assert.deepEqual(
      [...account.parameters].sort(),
      [`/harrier/${OTHER}/jit/i-keep`, `/harrier/${STACK}-old/jit/i-keep`, `/harrier/${STACK}/config`].sort(),
    );
  });

  it('lists parameter names without ever decrypting them', async () => {
    const account = new FakeAccount();
    account.parameters.add(`/harrier/${STACK}/jit/i-1`);
    connect(account);
    await teardownFleet(fakeDeps(), target);
    assert.ok(account.parameterRequests.length > 0);
    for (const request of account.parameterRequests) {
      assert.equal(request.WithDecryption, false);
      assert.equal(request.Path, `/harrier/${STACK}/jit`);
    }
  });

  it('hands every instance it saw to the runner deregistration, even when it times out', async () => {
    const account = new FakeAccount({ shutdownPolls: 1000 })
      .add('i-1', STACK, 'running')
      .add('i-2', STACK, 'shutting-down')
      .add('i-other', OTHER, 'running');
    connect(account);
    const asked: string[][] = [];
    const deps = {
      ...fakeDeps(),
      deregisterRunners: (names: string[]) => {
        asked.push(names);
        return Promise.resolve(names);
      },
    };
    await assert.rejects(teardownFleet(deps, { ...target, maxWaitSeconds: 30 }), FleetTeardownTimeoutError);
    assert.deepEqual(asked, [['i-1', 'i-2']]);
  });

  it('still completes when GitHub refuses the runner cleanup (a revoked token must not block the VPC)', async () => {
    const account = new FakeAccount().add('i-1', STACK, 'running');
    connect(account);
    const deps = {
      ...fakeDeps(),
      deregisterRunners: () =>
        Promise.reject(Object.assign(new Error('Bad credentials'), { name: 'HttpError', status: 401 })),
    };
    const report = await teardownFleet(deps, target);
    assert.deepEqual([report.terminated, report.runnersRemoved], [['i-1'], []]);
    assert.ok(deps.logs.some((l) => l.includes('could not remove runner registrations (HttpError 401)')));
  });

  it('makes one DescribeInstances call and no TerminateInstances when nothing is left', async () => {
    const account = new FakeAccount().add('i-gone', STACK, 'terminated');
    connect(account);
    const deps = fakeDeps();
    const report = await teardownFleet(deps, target);
    assert.deepEqual([report.polls, account.terminateRequests.length, deps.sleeps.length], [1, 0, 0]);
  });

  it('recognises EC2 and SSM throttling errors and nothing else', () => {
    assert.equal(isThrottle({ name: 'RequestLimitExceeded' }), true);
    assert.equal(isThrottle({ name: 'ThrottlingException' }), true);
    assert.equal(isThrottle({ name: 'Whatever', $metadata: { httpStatusCode: 429 } }), true);
    assert.equal(isThrottle({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } }), false);
  });
});

describe('the fleet teardown provider', () => {
  after(() => {
    ec2Mock.restore();
    ssmMock.restore();
  });

  const fast: FleetTeardownInputs = { ...target, firstPollSeconds: 0.001, maxPollSeconds: 0.002 };

  it('records the stack, region and prefix on create and update without calling AWS', async () => {
    const account = new FakeAccount().add('i-1', STACK, 'running');
    connect(account);
    const created = await fleetTeardownProvider.create(fast);
    assert.equal(created.id, `harrier-fleet-teardown-${STACK}`);
    assert.deepEqual(created.outs, fast);
    const updated = await fleetTeardownProvider.update!(created.id, fast, { ...fast, maxWaitSeconds: 300 });
    assert.equal(updated.outs!.maxWaitSeconds, 300);
    assert.equal(ec2Mock.calls().length + ssmMock.calls().length, 0);
    assert.equal(account.instances.get('i-1')!.state, 'running');
  });

  it('never replaces itself (replacing would terminate the live fleet during pulumi up)', async () => {
    for (const change of [
      { stack: 'renamed' },
      { region: 'us-west-2' },
      { jitPrefix: '/x/' },
      { maxWaitSeconds: 1 },
    ]) {
      const diff = await fleetTeardownProvider.diff!('id', fast, { ...fast, ...change });
      assert.deepEqual([diff.changes, diff.replaces], [true, []], JSON.stringify(change));
    }
    assert.equal((await fleetTeardownProvider.diff!('id', fast, { ...fast })).changes, false);
  });

  it('terminates the fleet and deletes the JIT parameters on delete, in the recorded region', async () => {
    const account = new FakeAccount()
      .add('i-1', STACK, 'running')
      .add('i-2', STACK, 'stopped')
      .add('i-other', OTHER, 'running');
    account.parameters.add(`/harrier/${STACK}/jit/i-1`);
    account.throttle.set('DescribeInstances', 1);
    connect(account);
    await fleetTeardownProvider.delete!(`harrier-fleet-teardown-${STACK}`, fast);
    assert.deepEqual(account.live(STACK), []);
    assert.equal(account.instances.get('i-other')!.state, 'running');
    assert.equal(account.parameters.size, 0);
    const client = ec2Mock.call(0).thisValue as EC2Client;
    assert.equal(await client.config.region(), 'eu-central-1');
  });

  it('uses the deployment’s named AWS profile when one was recorded', async () => {
    const account = new FakeAccount().add('i-1', STACK, 'running');
    connect(account);
    await fleetTeardownProvider.delete!('id', { ...fast, profile: 'harrier-admin' });
    const clients = [ec2Mock.call(0).thisValue as EC2Client, ssmMock.call(0).thisValue as SSMClient];
    assert.deepEqual(
      clients.map((c) => c.config.profile),
      ['harrier-admin', 'harrier-admin'],
    );
  });

  it('works as Pulumi runs it: serialized, loaded from text, from the repository root', async () => {
    const account = new FakeAccount().add('i-1', STACK, 'running');
    connect(account);
    const serialized = await pulumi.runtime.serializeFunction(() => fleetTeardownProvider, {
      allowSecrets: false,
    });
    const load = createRequire(__filename);
    const requireFromString = load(
      load.resolve('require-from-string', { paths: [path.dirname(load.resolve('@pulumi/pulumi'))] }),
    ) as (code: string) => { handler: () => typeof fleetTeardownProvider };
    const hosted = requireFromString(serialized.text).handler();
    const before = process.cwd();
    process.chdir(path.resolve(__dirname, '..', '..', '..'));
    try {
      await hosted.delete!('id', fast);
    } finally {
      process.chdir(before);
    }
    assert.deepEqual(account.live(STACK), []);
    assert.doesNotMatch(serialized.text, /AWS_SECRET_ACCESS_KEY|aws_secret/i);
  });
});

describe('runner registrations on pulumi destroy, against the GitHub stand-in', () => {
  const TOKEN = 'ghp_teardownStandIn0123456789';
  let github: GitHubStandInModule.GitHubStandIn;
  let register: (name: string) => Promise<void>;
  const quiet = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };

  before(async () => {
    const { GitHubStandIn } = await import('@harrier/control-plane/src/standins/github');
    const { VirtualClock } = await import('@harrier/control-plane/src/standins/clock');
    github = new GitHubStandIn({ clock: new VirtualClock(), token: TOKEN, webhookSecret: 'unused' });
    await github.listen();
    const { Octokit } = await loadOctokit();
    const octokit = new Octokit({ auth: TOKEN, baseUrl: github.url, log: quiet });
    register = async (name) => {
      await octokit.rest.actions.generateRunnerJitconfigForOrg({
        org: 'acme',
        name,
        runner_group_id: 1,
        labels: ['linux', 'x64'],
      });
    };
  });
  after(async () => {
    await github.close();
    ec2Mock.restore();
    ssmMock.restore();
  });
  afterEach(() => {
    assert.deepEqual(github.contractViolations, []);
    assert.deepEqual(github.responseViolations, []);
  });

  it('removes the registrations named after the instances, found by name among many, and no other', async () => {
    for (let i = 0; i < 101; i += 1) await register(`someone-else-${i}`);
    for (const name of ['i-0aaa', 'i-0bbb']) await register(name);
    const { Octokit } = await loadOctokit();
    const octokit = new Octokit({ auth: TOKEN, baseUrl: github.url, log: quiet });
    const removed = await orgRunnerDeregistration(
      octokit,
      'acme',
      () => undefined,
    )(['i-0aaa', 'i-0bbb', 'i-0gone']);
    assert.deepEqual(removed, ['i-0aaa', 'i-0bbb']);
    const left = github.listRunners().map((r) => r.name);
    assert.equal(left.length, 101);
    assert.ok(!left.some((name) => name.startsWith('i-')));
    assert.equal(github.calls.get('actions/list-self-hosted-runners-for-org'), 3, 'one lookup per name');
  });

  it('terminates the fleet and removes its runners on delete, with the token from the inputs', async () => {
    await register('i-0ccc');
    await register('i-0ddd');
    const account = new FakeAccount().add('i-0ccc', STACK, 'running').add('i-0ddd', STACK, 'stopped');
    connect(account);
    await fleetTeardownProvider.delete!('id', {
      ...target,
      firstPollSeconds: 0.001,
      maxPollSeconds: 0.002,
      githubOrg: 'acme',
      githubToken: TOKEN,
      githubApiUrl: github.url,
    });
    assert.deepEqual(account.live(STACK), []);
    const names = github.listRunners().map((r) => r.name);
    assert.ok(!names.includes('i-0ccc') && !names.includes('i-0ddd'), names.join(','));
  });
});
