import assert from 'node:assert/strict';
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { jitParameterName } from '../src/constants';
import { onInstanceStateChange, onJobCompleted, onJobInProgress } from '../src/domain/lifecycle';
import { reconcile } from '../src/domain/reconcile';
import { scaleUp } from '../src/domain/scale-up';
import type { JobEvent } from '../src/domain/job-event';
import {
  newHarness,
  queuedEvent,
  startShared,
  stopShared,
  type Harness,
  type Shared,
} from './helpers/harness';

const progress = (jobId: number, runnerName: string, extra: Partial<JobEvent> = {}): JobEvent =>
  queuedEvent(jobId, { action: 'in_progress', runnerName, ...extra });
const completed = (jobId: number, runnerName: string | null, extra: Partial<JobEvent> = {}): JobEvent =>
  queuedEvent(jobId, { action: 'completed', runnerName, ...extra });

async function warmPool(h: Harness): Promise<string[]> {
  await reconcile(h.deps);
  await h.run(120_000);
  return (await h.deps.store.instancesIn('default', 'warm')).map((w) => w.instanceId);
}

describe('lifecycle', () => {
  let shared: Shared;
  let h: Harness;
  before(async () => {
    shared = await startShared();
  });
  after(() => stopShared(shared));
  afterEach(() => h?.close());

  it('makes a pool instance warm only after it stopped with a successful bootstrap tag', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '2' } });
    await reconcile(h.deps);
    assert.equal((await h.deps.store.instancesIn('default', 'provisioning')).length, 2);
    await h.run(120_000);
    const warm = await h.deps.store.instancesIn('default', 'warm');
    assert.equal(warm.length, 2);
    assert.equal(warm[0]!.runnerVersion, '2.329.0');
    assert.equal(h.aws.instance(warm[0]!.instanceId)!.state, 'stopped');
  });

  it('terminates a pool instance that stopped without reporting its bootstrap', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' }, bootstrapOk: false });
    const report = await reconcile(h.deps);
    await h.run(120_000);
    const id = report.launched[0]!;
    assert.equal((await h.deps.store.getInstance(id))?.state, 'terminated');
    assert.equal(h.aws.instance(id)!.state, 'terminated');
  });

  it('ignores state changes of instances it has no record of', async () => {
    h = await newHarness(shared);
    const outcome = await onInstanceStateChange(h.deps, {
      instanceId: 'i-0aaaaaaaaaaaaaaaa',
      state: 'stopped',
    });
    assert.deepEqual(outcome, { kind: 'ignored', reason: 'unknown instance' });
  });

  it('marks the instance busy on in_progress and terminates it on completed', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    const [id] = await warmPool(h);
    await scaleUp(h.deps, queuedEvent(1));

    assert.deepEqual(await onJobInProgress(h.deps, progress(1, id!)), { kind: 'busy', instanceId: id });
    assert.equal((await h.deps.store.getInstance(id!))?.runningJobId, 1);
    assert.deepEqual(await onJobCompleted(h.deps, completed(1, id!)), {
      kind: 'terminating',
      instanceId: id,
    });
    await h.run(10_000);

    assert.equal(h.aws.instance(id!)!.state, 'terminated');
    assert.equal((await h.deps.store.getInstance(id!))?.state, 'terminated');
    assert.equal((await h.deps.store.getJob(1))?.status, 'completed');
  });

  it('records which job a runner really took when it took another job than the one it was started for', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    const [id] = await warmPool(h);
    await scaleUp(h.deps, queuedEvent(1));
    await scaleUp(h.deps, queuedEvent(2));

    await onJobInProgress(h.deps, progress(2, id!));

    const instance = await h.deps.store.getInstance(id!);
    assert.equal(instance?.claimedForJobId, 1);
    assert.equal(instance?.runningJobId, 2);
    assert.equal((await h.deps.store.getJob(2))?.runnerName, id);
    assert.equal((await h.deps.store.getJob(1))?.status, 'queued');
  });

  it('still terminates an instance whose in_progress delivery was lost', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    const [id] = await warmPool(h);
    await scaleUp(h.deps, queuedEvent(1));
    assert.equal((await onJobCompleted(h.deps, completed(1, id!))).kind, 'terminating');
  });

  it('closes the record of a busy instance that shut itself down after a lost completed webhook', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    const [id] = await warmPool(h);
    await scaleUp(h.deps, queuedEvent(1));
    await onJobInProgress(h.deps, progress(1, id!));

    // No completed delivery: the agent's shutdown terminates the instance (shutdown = terminate).
    await h.deps.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id!] }));
    await h.run(10_000);

    assert.equal((await h.deps.store.getInstance(id!))?.state, 'terminated');
    assert.equal(h.telemetry.counts.get('JobsRedriven'), undefined);
  });

  it('keeps a reordered queued from acting after completed was seen', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    await onJobCompleted(h.deps, completed(5, null));
    const outcome = await scaleUp(h.deps, queuedEvent(5));
    assert.equal(outcome.kind, 'duplicate');
    assert.equal(h.aws.listInstances().length, 0);
  });

  it('ignores in_progress of runners that are not Harrier instances', async () => {
    h = await newHarness(shared);
    const outcome = await onJobInProgress(h.deps, progress(6, 'GitHub Actions 5'));
    assert.deepEqual(outcome, { kind: 'ignored', reason: 'not a Harrier runner' });
  });

  describe('with a reuse window', () => {
    it('idles the instance with the job fingerprint and reuses it for the same repo, workflow, job and actor at repo scope', async () => {
      h = await newHarness(shared, { env: { FLEET_SIZE: '1', REUSE_WINDOW_MINUTES: '10' } });
      const [id] = await warmPool(h);
      await scaleUp(h.deps, queuedEvent(1));
      await onJobInProgress(h.deps, progress(1, id!));
      assert.equal((await onJobCompleted(h.deps, completed(1, id!))).kind, 'idle');

      const other = await scaleUp(h.deps, queuedEvent(2, { sender: 'someone-else' }));
      const same = await scaleUp(h.deps, queuedEvent(3));

      assert.equal(other.kind, 'cold');
      assert.deepEqual(same, { kind: 'reused', instanceId: id });
      assert.equal(h.github.count('actions/generate-runner-jitconfig-for-repo'), 1);
      assert.deepEqual(h.github.violations, []);
    });

    it('terminates idle instances once the window is over', async () => {
      h = await newHarness(shared, { env: { FLEET_SIZE: '1', REUSE_WINDOW_MINUTES: '10' } });
      const [id] = await warmPool(h);
      await scaleUp(h.deps, queuedEvent(1));
      await onJobCompleted(h.deps, completed(1, id!));
      h.clock.advanceTo(h.clock.now() + 11 * 60_000);
      await h.run(11 * 60_000);

      const report = await reconcile(h.deps);

      assert.deepEqual(
        report.terminated.filter((t) => t.instanceId === id),
        [{ instanceId: id, reason: 'idle-expired' }],
      );
    });
  });

  it('closes the record, drops an unread JIT parameter and re-drives the job when an instance dies on the way', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    const [id] = await warmPool(h);
    await scaleUp(h.deps, queuedEvent(1));
    assert.ok(h.aws.parameterNames().includes(jitParameterName('test', id!)));

    const outcome = await onInstanceStateChange(h.deps, { instanceId: id!, state: 'terminated' });

    assert.deepEqual(outcome, { kind: 'terminated', instanceId: id });
    assert.equal(h.aws.parameterNames().includes(jitParameterName('test', id!)), false);
    assert.equal(h.telemetry.counts.get('JobsRedriven'), 1);
  });
});
