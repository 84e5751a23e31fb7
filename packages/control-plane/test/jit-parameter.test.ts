import assert from 'node:assert/strict';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { JIT_PARAMETER_OWNER_TAG, TAG, jitParameterName } from '../src/constants';
import { reconcile } from '../src/domain/reconcile';
import { scaleUp } from '../src/domain/scale-up';
import {
  newHarness,
  queuedEvent,
  startShared,
  stopShared,
  type Harness,
  type Shared,
} from './helpers/harness';

/** The stand-in's account and region (src/standins/aws.ts defaults), as in the harness's secret ARNs. */
const ownerArn = (instanceId: string): string => `arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`;

describe('JIT parameter ownership tag', () => {
  let shared: Shared;
  let h: Harness;
  before(async () => {
    shared = await startShared();
  });
  after(() => stopShared(shared));
  afterEach(() => h?.close());

  async function harness(env: Record<string, string> = {}): Promise<void> {
    h = await newHarness(shared, { env });
  }
  const ownerTag = (name: string): string | undefined => h.aws.parameterTags(name)?.[JIT_PARAMETER_OWNER_TAG];
  const tagCalls = (): number => h.aws.calls.get('SSM.AddTagsToResource') ?? 0;

  async function warmInstance(): Promise<string> {
    await reconcile(h.deps);
    await h.run(120_000);
    const [warm] = await h.deps.store.instancesIn('default', 'warm');
    assert.ok(warm, 'the pool has a warm instance');
    return warm.instanceId;
  }

  it("creates a warm instance's parameter already tagged with that instance's ARN, in one call", async () => {
    await harness({ FLEET_SIZE: '1' });
    const instanceId = await warmInstance();

    await scaleUp(h.deps, queuedEvent(1));

    const name = jitParameterName('test', instanceId);
    assert.equal(ownerTag(name), ownerArn(instanceId));
    assert.deepEqual(
      h.aws.parameterPuts.map((p) => [p.Name, p.Overwrite]),
      [[name, undefined]],
    );
    assert.equal(tagCalls(), 0);
    assert.ok(h.aws.instance(instanceId)?.tags[TAG.jit], 'the agent is told after the tagged write');
  });

  it("tags a cold instance's parameter with that instance's ARN", async () => {
    await harness();

    const outcome = await scaleUp(h.deps, queuedEvent(2));

    assert.equal(outcome.kind, 'cold');
    const instanceId = (outcome as { instanceId: string }).instanceId;
    assert.equal(ownerTag(jitParameterName('test', instanceId)), ownerArn(instanceId));
  });

  it('replaces a parameter an earlier crashed attempt left behind with a tagged one', async () => {
    await harness({ FLEET_SIZE: '1' });
    const instanceId = await warmInstance();
    const name = jitParameterName('test', instanceId);
    // As written by an attempt that crashed before the harrier:jit tag (and by code without the tag).
    await h.deps.ssm.send(
      new PutParameterCommand({ Name: name, Value: 'stale', Type: 'SecureString', Tier: 'Advanced' }),
    );

    await scaleUp(h.deps, queuedEvent(3));

    const read = await h.deps.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    assert.notEqual(read.Parameter?.Value, 'stale');
    assert.equal(ownerTag(name), ownerArn(instanceId));
    assert.equal(tagCalls(), 0);
    assert.ok(h.aws.parameterPuts.every((p) => p.Overwrite === undefined));
    const warnings = h.telemetry.lines.filter(
      (l) => l.level === 'warn' && l.message.includes('left by an earlier attempt'),
    );
    assert.equal(warnings.length, 1);
  });
});
