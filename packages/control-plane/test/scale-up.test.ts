import assert from 'node:assert/strict';
import { StopInstancesCommand } from '@aws-sdk/client-ec2';
import { jitParameterName, TAG } from '../src/constants';
import { reconcile } from '../src/domain/reconcile';
import { scaleUp } from '../src/domain/scale-up';
import { NoCapacityError } from '../src/errors';
import {
  newHarness,
  queuedEvent,
  startShared,
  stopShared,
  type Harness,
  type Shared,
} from './helpers/harness';

/** Fills the pool through the real path: reconcile launches, the bootstrap stops, lifecycle marks warm. */
async function warmPool(h: Harness): Promise<string[]> {
  await reconcile(h.deps);
  await h.run(120_000);
  const warm = await h.deps.store.instancesIn('default', 'warm');
  return warm.map((w) => w.instanceId);
}

describe('scale-up', () => {
  let shared: Shared;
  let h: Harness;
  before(async () => {
    shared = await startShared();
  });
  after(() => stopShared(shared));
  afterEach(() => h?.close());

  it('claims a warm instance, hands it a JIT config in an advanced SecureString and starts it', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    const [warmId] = await warmPool(h);
    assert.ok(warmId);

    const outcome = await scaleUp(h.deps, queuedEvent(1));

    assert.deepEqual(outcome, { kind: 'warm', instanceId: warmId });
    const instance = h.aws.instance(warmId)!;
    assert.equal(instance.state, 'pending');
    assert.equal(instance.shutdownBehavior, 'terminate');
    assert.ok(instance.tags[TAG.jit]);
    assert.ok(h.aws.parameterNames().includes(jitParameterName('test', warmId)));
    const jit = h.github.calls.find((c) => c.operationId === 'actions/generate-runner-jitconfig-for-org');
    assert.deepEqual(jit?.body, {
      name: warmId,
      runner_group_id: 1,
      labels: ['self-hosted', 'linux', 'x64'],
      work_folder: '_work',
    });
    assert.deepEqual(h.github.violations, []);
    const job = await h.deps.store.getJob(1);
    assert.equal(job?.dispatch, 'started');
    assert.equal(job?.instanceId, warmId);
    const record = await h.deps.store.getInstance(warmId);
    assert.equal(record?.inServiceSince, h.deps.now(), 'max lifetime counts from the claim');
  });

  it('launches a cold instance tagged harrier:launch=cold when no instance is warm', async () => {
    h = await newHarness(shared);

    const outcome = await scaleUp(h.deps, queuedEvent(2));

    assert.equal(outcome.kind, 'cold');
    const instance = h.aws.instance((outcome as { instanceId: string }).instanceId)!;
    assert.equal(instance.tags[TAG.launch], 'cold');
    assert.equal(instance.tags[TAG.stack], 'test');
    assert.equal(instance.shutdownBehavior, 'terminate');
    assert.ok(instance.tags[TAG.jit]);
    assert.equal(h.telemetry.counts.get('ColdLaunches'), 1);
  });

  it('acts once per job id: a duplicate delivery claims nothing more', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '2' } });
    await warmPool(h);

    const first = await scaleUp(h.deps, queuedEvent(3));
    const second = await scaleUp(h.deps, queuedEvent(3, { deliveryId: 'another-delivery' }));

    assert.equal(first.kind, 'warm');
    assert.equal(second.kind, 'duplicate');
    assert.equal((await h.deps.store.instancesIn('default', 'warm')).length, 1);
    assert.equal(h.github.count('actions/generate-runner-jitconfig-for-org'), 1);
  });

  it('ignores jobs whose labels the pool does not serve', async () => {
    h = await newHarness(shared);
    const outcome = await scaleUp(h.deps, queuedEvent(4, { labels: ['ubuntu-latest'] }));
    assert.deepEqual(outcome, { kind: 'ignored', reason: 'labels' });
    assert.equal(h.aws.listInstances().length, 0);
  });

  it('releases a warm instance EC2 cannot start and falls back to a cold launch in another AZ', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    const [warmId] = await warmPool(h);
    const warmZone = h.aws.instance(warmId!)!.availabilityZone;
    h.aws.faults.exhaustedZones.add(warmZone);

    const outcome = await scaleUp(h.deps, queuedEvent(5));

    assert.equal(outcome.kind, 'cold');
    const cold = h.aws.instance((outcome as { instanceId: string }).instanceId)!;
    assert.notEqual(cold.availabilityZone, warmZone);
    assert.equal((await h.deps.store.getInstance(warmId!))?.state, 'warm');
    assert.ok((h.telemetry.counts.get('CapacityErrors') ?? 0) >= 1);
    // The registration made for the instance that could not start is gone again.
    assert.equal([...h.github.runners.values()].filter((r) => r.name === warmId).length, 0);
  });

  it('throws a retryable NoCapacityError when no AZ has capacity, keeping the job pending', async () => {
    h = await newHarness(shared);
    h.aws.faults.exhaustedZones.add('us-east-1a');
    h.aws.faults.exhaustedZones.add('us-east-1b');

    await assert.rejects(scaleUp(h.deps, queuedEvent(6)), NoCapacityError);

    assert.equal((await h.deps.store.getJob(6))?.dispatch, 'pending');
    h.aws.faults.exhaustedZones.clear();
    assert.equal((await scaleUp(h.deps, queuedEvent(6))).kind, 'cold');
  });

  it('resumes the same instance when a retry follows a crash between claim and start', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '2' } });
    await warmPool(h);
    // The crash: GitHub fails generate-jitconfig after the claim, so the attempt throws.
    h.github.failNext.set('actions/generate-runner-jitconfig-for-org', [502]);
    await assert.rejects(scaleUp(h.deps, queuedEvent(7)));
    const claimed = await h.deps.store.instancesIn('default', 'claimed');
    assert.equal(claimed.length, 1);

    const retry = await scaleUp(h.deps, queuedEvent(7));

    assert.deepEqual(retry, { kind: 'resumed', instanceId: claimed[0]!.instanceId });
    assert.equal((await h.deps.store.instancesIn('default', 'warm')).length, 1);
    assert.equal((await h.deps.store.getJob(7))?.dispatch, 'started');
  });

  it('claims another instance when the retry cannot start the one it had claimed, never reporting it as the runner', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    const [warmId] = await warmPool(h);
    h.github.failNext.set('actions/generate-runner-jitconfig-for-org', [502]);
    await assert.rejects(scaleUp(h.deps, queuedEvent(9)));
    // Between the attempts the instance was stopped again, and its AZ ran out of capacity.
    await h.run(20_000);
    h.aws.faults.exhaustedZones.add(h.aws.instance(warmId!)!.availabilityZone);
    await h.deps.ec2.send(new StopInstancesCommand({ InstanceIds: [warmId!] }));
    await h.run(10_000);

    const retry = await scaleUp(h.deps, queuedEvent(9));

    assert.equal(retry.kind, 'cold');
    assert.notEqual((retry as { instanceId: string }).instanceId, warmId);
    assert.equal((await h.deps.store.getInstance(warmId!))?.state, 'warm');
    assert.equal((await h.deps.store.getJob(9))?.instanceId, (retry as { instanceId: string }).instanceId);
  });

  it('replaces a runner registration left by an earlier attempt (409) instead of failing', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    const [warmId] = await warmPool(h);
    h.github.runners.set(999, {
      id: 999,
      name: warmId!,
      status: 'offline',
      busy: false,
      labels: [],
      scope: 'org',
    });

    const outcome = await scaleUp(h.deps, queuedEvent(8));

    assert.equal(outcome.kind, 'warm');
    assert.equal(h.github.runners.has(999), false);
    assert.deepEqual(h.github.violations, []);
  });

  it('gives 5 warm instances to exactly 5 of 50 concurrent jobs and launches 45 cold, none twice', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '5' } });
    const warm = await warmPool(h);
    assert.equal(warm.length, 5);

    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => scaleUp(h.deps, queuedEvent(100 + i))),
    );

    const ids = outcomes.map((o) => (o as { instanceId: string }).instanceId);
    assert.equal(outcomes.filter((o) => o.kind === 'warm').length, 5);
    assert.equal(outcomes.filter((o) => o.kind === 'cold').length, 45);
    assert.equal(new Set(ids).size, 50);
    assert.deepEqual(new Set(ids.filter((id) => warm.includes(id))), new Set(warm));
    assert.equal(h.github.count('actions/generate-runner-jitconfig-for-org'), 50);
  });
});
