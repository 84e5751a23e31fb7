import assert from 'node:assert/strict';
import { CreateTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterNotFound,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_AGENT_SETTINGS, MissingTagError, runAgent, type AgentDeps } from '../../src/agent/agent';
import { createImdsClient } from '../../src/agent/imds';
import { deleteJitConfig, JitConfigMissingError } from '../../src/agent/jit-parameter';
import { STEP_ATTEMPTS, StepGaveUpError } from '../../src/agent/retry';
import type { RunnerLaunch } from '../../src/agent/runner-process';
import { memoryConsumedStore } from '../../src/agent/state';
import { startFakeImds, type FakeImds } from './fake-imds';

const INSTANCE = 'i-0fedcba9876543210';
const PARAMETER = `/harrier/acme-prod/jit/${INSTANCE}`;
// Shaped like a real JIT config: base64 of a JSON document, long enough to need the advanced tier.
const JIT_CONFIG = Buffer.from(
  JSON.stringify({ '.runner': 'x'.repeat(3000), '.credentials': 'y'.repeat(2000) }),
).toString('base64');

/** SSM as the agent sees it: a SecureString store where GetParameter fails once a name is deleted. */
function fakeSsm(parameters: Map<string, string>) {
  const ssm = mockClient(SSMClient);
  ssm.on(GetParameterCommand).callsFake((input: { Name: string; WithDecryption?: boolean }) => {
    const value = parameters.get(input.Name);
    if (value === undefined) throw new ParameterNotFound({ message: 'not found', $metadata: {} });
    return {
      Parameter: {
        Name: input.Name,
        Type: 'SecureString',
        Value: input.WithDecryption ? value : 'AQICAH...',
      },
    };
  });
  ssm.on(DeleteParameterCommand).callsFake((input: { Name: string }) => {
    if (!parameters.delete(input.Name)) throw new ParameterNotFound({ message: 'not found', $metadata: {} });
    return {};
  });
  return ssm;
}

const mockEc2 = () => mockClient(EC2Client);

const throttled = (name = 'ThrottlingException') => Object.assign(new Error('Rate exceeded'), { name });

describe('harrier agent', () => {
  let imds: FakeImds;
  let parameters: Map<string, string>;
  let ssm: ReturnType<typeof fakeSsm>;
  let ec2: ReturnType<typeof mockEc2>;
  let launches: RunnerLaunch[];
  let powerOffs: number;
  let clock: number;
  let onSleep: (slept: number) => void;
  let logs: { event: string; fields: Record<string, unknown> }[];

  before(async () => {
    imds = await startFakeImds({ instanceId: INSTANCE });
  });
  after(() => imds.close());
  beforeEach(() => {
    imds.tags.clear();
    imds.tags.set('harrier:stack', 'acme-prod');
    parameters = new Map();
    ssm = fakeSsm(parameters);
    ec2 = mockEc2();
    ec2.on(CreateTagsCommand).resolves({});
    launches = [];
    powerOffs = 0;
    clock = 0;
    onSleep = () => undefined;
    logs = [];
  });
  afterEach(() => {
    ssm.restore();
    ec2.restore();
  });

  function deps(overrides: Partial<AgentDeps['settings']> = {}, runnerExit = 0): AgentDeps {
    let slept = 0;
    return {
      metadata: createImdsClient({ baseUrl: imds.baseUrl }),
      ssm: new SSMClient({ region: 'eu-west-1' }),
      ec2: new EC2Client({ region: 'eu-west-1' }),
      runRunner: (launch) => {
        launches.push(launch);
        return Promise.resolve(runnerExit);
      },
      powerOff: () => {
        powerOffs += 1;
        return Promise.resolve();
      },
      consumed: memoryConsumedStore(),
      sleep: (ms) => {
        clock += ms;
        slept += 1;
        onSleep(slept);
        return Promise.resolve();
      },
      now: () => clock,
      log: (event, fields = {}) => logs.push({ event, fields }),
      settings: { ...DEFAULT_AGENT_SETTINGS, pollIntervalMs: 1000, jitWaitSeconds: 60, ...overrides },
    };
  }

  it('tags a freshly bootstrapped pool instance harrier:bootstrap=ok and powers it off', async () => {
    imds.tags.set('harrier:launch', 'pool');
    const outcome = await runAgent(deps());
    assert.deepEqual(outcome, { kind: 'bootstrapped' });
    const calls = ec2.commandCalls(CreateTagsCommand);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.args[0].input, {
      Resources: [INSTANCE],
      Tags: [{ Key: 'harrier:bootstrap', Value: 'ok' }],
    });
    assert.equal(powerOffs, 1);
    assert.equal(launches.length, 0);
  });

  it('runs the runner as soon as a bootstrapped pool instance finds its config generation', async () => {
    imds.tags.set('harrier:launch', 'pool');
    imds.tags.set('harrier:bootstrap', 'ok');
    imds.tags.set('harrier:jit', 'gen-1');
    parameters.set(PARAMETER, JIT_CONFIG);
    const outcome = await runAgent(deps());
    assert.deepEqual(outcome, { kind: 'done', jobsRun: 1 });
    assert.equal(ec2.commandCalls(CreateTagsCommand).length, 0);
    assert.equal(launches[0]!.env.ACTIONS_RUNNER_INPUT_JITCONFIG, JIT_CONFIG);
  });

  it('passes the JIT config only in the environment, never in argv', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    parameters.set(PARAMETER, JIT_CONFIG);
    await runAgent(deps());
    const launch = launches[0]!;
    assert.equal(launch.command, '/opt/actions-runner/run.sh');
    assert.deepEqual(launch.args, []);
    assert.ok(![launch.command, ...launch.args].some((arg) => arg.includes(JIT_CONFIG.slice(0, 40))));
    assert.equal(launch.env.ACTIONS_RUNNER_INPUT_JITCONFIG, JIT_CONFIG);
    assert.equal(launch.env.HARRIER_CACHE_ROOT, '/mnt/harrier-cache');
    assert.equal(launch.env.USER, 'runner');
  });

  it('reads its own parameter with decryption and deletes it before the runner starts', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    parameters.set(PARAMETER, JIT_CONFIG);
    let presentWhileRunning: boolean | undefined;
    const d = deps();
    d.runRunner = () => {
      presentWhileRunning = parameters.has(PARAMETER);
      return Promise.resolve(0);
    };
    await runAgent(d);
    assert.deepEqual(ssm.commandCalls(GetParameterCommand)[0]!.args[0].input, {
      Name: PARAMETER,
      WithDecryption: true,
    });
    assert.deepEqual(ssm.commandCalls(DeleteParameterCommand)[0]!.args[0].input, { Name: PARAMETER });
    assert.equal(presentWhileRunning, false);
    assert.equal(parameters.size, 0);
  });

  it('shuts down after the runner exits when no reuse window is configured', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    parameters.set(PARAMETER, JIT_CONFIG);
    await runAgent(deps({ reuseWindowMinutes: 0 }, 3));
    assert.equal(launches.length, 1);
    assert.equal(powerOffs, 1);
  });

  it('polls until harrier:jit appears when the config is not ready at boot', async () => {
    imds.tags.set('harrier:launch', 'cold');
    onSleep = (n) => {
      if (n === 3) {
        parameters.set(PARAMETER, JIT_CONFIG);
        imds.tags.set('harrier:jit', 'gen-1');
      }
    };
    const outcome = await runAgent(deps());
    assert.deepEqual(outcome, { kind: 'done', jobsRun: 1 });
    assert.equal(clock, 3000);
  });

  it('gives up and powers off when no config arrives within the wait bound', async () => {
    imds.tags.set('harrier:launch', 'cold');
    const outcome = await runAgent(deps({ jitWaitSeconds: 30 }));
    assert.deepEqual(outcome, { kind: 'no-config', jobsRun: 0 });
    assert.equal(clock, 30_000);
    assert.equal(powerOffs, 1);
    assert.equal(ssm.commandCalls(GetParameterCommand).length, 0);
  });

  it('never runs a generation it consumed before a reboot', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    const d = deps({ jitWaitSeconds: 10 });
    d.consumed = memoryConsumedStore('gen-1');
    const outcome = await runAgent(d);
    assert.deepEqual(outcome, { kind: 'no-config', jobsRun: 0 });
    assert.equal(launches.length, 0);
  });

  it('waits through the reuse window for a new generation and runs it', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    parameters.set(PARAMETER, JIT_CONFIG);
    const d = deps({ reuseWindowMinutes: 5 });
    const configs = [JIT_CONFIG, `${JIT_CONFIG}2`];
    d.runRunner = (launch) => {
      launches.push(launch);
      if (launches.length === 1) {
        // lifecycle marks the machine idle; later scale-up writes a repository-scoped config for it
        onSleep = (n) => {
          if (n === 10) {
            parameters.set(PARAMETER, configs[1]!);
            imds.tags.set('harrier:jit', 'gen-2');
          }
        };
      }
      return Promise.resolve(0);
    };
    const outcome = await runAgent(d);
    assert.deepEqual(outcome, { kind: 'no-config', jobsRun: 2 });
    assert.deepEqual(
      launches.map((l) => l.env.ACTIONS_RUNNER_INPUT_JITCONFIG),
      configs,
    );
    assert.equal(powerOffs, 1);
  });

  it('shuts down when the reuse window passes without a new generation', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    parameters.set(PARAMETER, JIT_CONFIG);
    const outcome = await runAgent(deps({ reuseWindowMinutes: 2 }));
    assert.deepEqual(outcome, { kind: 'no-config', jobsRun: 1 });
    assert.equal(clock, 120_000);
    assert.equal(powerOffs, 1);
  });

  it('fails with a named error when the announced parameter does not exist', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    await assert.rejects(runAgent(deps()), JitConfigMissingError);
    assert.equal(launches.length, 0);
  });

  it('refuses to run on an instance without the harrier:stack tag', async () => {
    imds.tags.delete('harrier:stack');
    await assert.rejects(runAgent(deps()), MissingTagError);
  });

  it('retries a parameter read throttled twice and still runs the job', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    parameters.set(PARAMETER, JIT_CONFIG);
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .callsFake((input: { Name: string }) => ({
        Parameter: { Name: input.Name, Type: 'SecureString', Value: parameters.get(input.Name) },
      }));
    const outcome = await runAgent(deps());
    assert.deepEqual(outcome, { kind: 'done', jobsRun: 1 });
    assert.equal(ssm.commandCalls(GetParameterCommand).length, 3);
    assert.equal(launches[0]!.env.ACTIONS_RUNNER_INPUT_JITCONFIG, JIT_CONFIG);
    assert.deepEqual(
      logs.filter((l) => l.event === 'read-jit-config-retry').map((l) => l.fields.attempt),
      [1, 2],
    );
  });

  it('gives up on a persistently throttled read after a bounded window with one clear log line', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    ssm.on(GetParameterCommand).rejects(throttled());
    await assert.rejects(runAgent(deps()), StepGaveUpError);
    assert.equal(ssm.commandCalls(GetParameterCommand).length, STEP_ATTEMPTS);
    // With no jitter (the default) the back-offs are 0.75 + 1.5 + 3 + 6 s: a real window, but bounded.
    assert.equal(clock, 11_250);
    assert.deepEqual(
      logs.filter((l) => l.event === 'read-jit-config-gave-up').map((l) => l.fields),
      [{ attempts: STEP_ATTEMPTS, error: 'ThrottlingException' }],
    );
    assert.equal(launches.length, 0);
    // The entry point powers off once on the thrown error; runAgent itself must not loop or power off.
    assert.equal(powerOffs, 0);
  });

  it('retries a throttled delete, so the runner never starts while its config is readable', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    parameters.set(PARAMETER, JIT_CONFIG);
    ssm
      .on(DeleteParameterCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .callsFake((input: { Name: string }) => (parameters.delete(input.Name), {}));
    let presentWhileRunning: boolean | undefined;
    const d = deps();
    d.runRunner = () => {
      presentWhileRunning = parameters.has(PARAMETER);
      return Promise.resolve(0);
    };
    assert.deepEqual(await runAgent(d), { kind: 'done', jobsRun: 1 });
    assert.equal(ssm.commandCalls(DeleteParameterCommand).length, 3);
    assert.equal(ssm.commandCalls(GetParameterCommand).length, 1);
    assert.equal(presentWhileRunning, false);
  });

  it('treats a retried delete that finds the parameter already gone as done', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    parameters.set(PARAMETER, JIT_CONFIG);
    // The first delete succeeds on the server but its answer is lost on the way back.
    ssm
      .on(DeleteParameterCommand)
      .callsFakeOnce((input: { Name: string }) => {
        parameters.delete(input.Name);
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      })
      .rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    assert.deepEqual(await runAgent(deps()), { kind: 'done', jobsRun: 1 });
    assert.equal(launches[0]!.env.ACTIONS_RUNNER_INPUT_JITCONFIG, JIT_CONFIG);
  });

  it('treats a delete refused on a parameter it can no longer read as done (tag policy, already gone)', async () => {
    imds.tags.set('harrier:launch', 'cold');
    imds.tags.set('harrier:jit', 'gen-1');
    parameters.set(PARAMETER, JIT_CONFIG);
    const denied = () => Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    ssm
      .on(DeleteParameterCommand)
      .callsFake((input: { Name: string }) => {
        // Gone on the server; the tag condition cannot match a missing parameter any more.
        parameters.delete(input.Name);
        throw denied();
      })
      .on(GetParameterCommand, { Name: PARAMETER, WithDecryption: false })
      .rejects(denied());
    assert.deepEqual(await runAgent(deps()), { kind: 'done', jobsRun: 1 });
    assert.equal(parameters.has(PARAMETER), false);
  });

  it('keeps failing a refused delete while the parameter is still readable', async () => {
    parameters.set(PARAMETER, JIT_CONFIG);
    ssm
      .on(DeleteParameterCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await assert.rejects(deleteJitConfig(new SSMClient({ region: 'us-east-1' }), PARAMETER), {
      name: 'AccessDeniedException',
    });
    assert.equal(parameters.has(PARAMETER), true);
  });

  it('retries a throttled bootstrap report and powers the pool instance off once', async () => {
    imds.tags.set('harrier:launch', 'pool');
    ec2
      .on(CreateTagsCommand)
      .rejectsOnce(throttled('RequestLimitExceeded'))
      .rejectsOnce(throttled('RequestLimitExceeded'))
      .resolves({});
    const outcome = await runAgent(deps());
    assert.deepEqual(outcome, { kind: 'bootstrapped' });
    assert.equal(ec2.commandCalls(CreateTagsCommand).length, 3);
    assert.equal(powerOffs, 1);
  });

  it('spreads its back-offs with the jitter source it is given', async () => {
    imds.tags.set('harrier:launch', 'pool');
    ec2.on(CreateTagsCommand).rejectsOnce(throttled('RequestLimitExceeded')).resolves({});
    const d = deps();
    d.random = () => 0.2;
    await runAgent(d);
    assert.equal(clock, 600); // ceiling 1 s: 500 ms fixed + 0.2 of the random 500 ms
  });

  it('keeps waiting through a failed IMDS read', async () => {
    imds.tags.set('harrier:launch', 'cold');
    const d = deps();
    const metadata = d.metadata;
    let reads = 0;
    d.metadata = {
      ...metadata,
      tag: (key) => {
        if (key === 'harrier:jit' && ++reads === 1) return Promise.reject(new Error('connect ETIMEDOUT'));
        return metadata.tag(key);
      },
    };
    onSleep = (n) => {
      if (n === 2) {
        parameters.set(PARAMETER, JIT_CONFIG);
        imds.tags.set('harrier:jit', 'gen-1');
      }
    };
    const outcome = await runAgent(d);
    assert.deepEqual(outcome, { kind: 'done', jobsRun: 1 });
  });
});
