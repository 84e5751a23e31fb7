import assert from 'node:assert/strict';
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
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

/** Job events waiting on the job queue (re-drives), parsed as scale-up would receive them. */
async function queuedMessages(h: Harness): Promise<JobEvent[]> {
  const out = await h.deps.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: h.queueUrl, MaxNumberOfMessages: 10 }),
  );
  return (out.Messages ?? []).map((m) => JSON.parse(m.Body!) as JobEvent);
}

async function claimedFor(h: Harness, jobId: number): Promise<string[]> {
  const claimed = await h.deps.store.instancesIn('default', 'claimed');
  return claimed.filter((i) => i.claimedForJobId === jobId).map((i) => i.instanceId);
}

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

  describe('when a runner takes another job than the one it was started for', () => {
    it('re-drives the displaced job at once when the job it took had no runner on the way, and the re-drive claims another instance', async () => {
      h = await newHarness(shared, { env: { FLEET_SIZE: '2' } });
      const [x, y] = await warmPool(h);
      const first = await scaleUp(h.deps, queuedEvent(1));
      const taker = first.kind === 'warm' ? first.instanceId : assert.fail('job 1 got no warm instance');
      // Job 2's queued delivery was lost: no runner is on the way for it, yet a runner took it.
      await onJobInProgress(h.deps, progress(2, taker));

      assert.equal(h.telemetry.counts.get('JobsRedriven'), 1);
      assert.equal((await h.deps.store.getJob(1))?.dispatch, 'pending');
      const [redrive, ...rest] = await queuedMessages(h);
      assert.deepEqual([redrive?.jobId, redrive?.redrive, rest.length], [1, true, 0]);

      const outcome = await scaleUp(h.deps, redrive!);
      const other = taker === x ? y : x;
      assert.deepEqual(outcome, { kind: 'warm', instanceId: other });
      assert.deepEqual(await claimedFor(h, 1), [other]);
      assert.equal((await h.deps.store.getJob(1))?.instanceId, other);
    });

    it('moves the displaced job onto the runner still on the way for the job it took, and re-drives nothing', async () => {
      h = await newHarness(shared, { env: { FLEET_SIZE: '2' } });
      await warmPool(h);
      const forOne = await scaleUp(h.deps, queuedEvent(1));
      const forTwo = await scaleUp(h.deps, queuedEvent(2));
      assert.ok(forOne.kind === 'warm' && forTwo.kind === 'warm');

      await onJobInProgress(h.deps, progress(2, forOne.instanceId));

      assert.deepEqual(await claimedFor(h, 1), [forTwo.instanceId]);
      const job = await h.deps.store.getJob(1);
      assert.deepEqual([job?.dispatch, job?.instanceId], ['started', forTwo.instanceId]);
      assert.equal(h.telemetry.counts.get('JobsRedriven'), undefined);
      assert.deepEqual(await queuedMessages(h), []);
      // That runner then takes job 1 as expected: no further re-drive.
      await onJobInProgress(h.deps, progress(1, forTwo.instanceId));
      assert.equal(h.telemetry.counts.get('JobsRedriven'), undefined);
    });

    it('re-drives nothing when the displaced job already has a runner', async () => {
      h = await newHarness(shared, { env: { FLEET_SIZE: '2' } });
      await warmPool(h);
      const forOne = await scaleUp(h.deps, queuedEvent(1));
      assert.ok(forOne.kind === 'warm');
      await onJobInProgress(h.deps, progress(1, 'GitHub Actions 3'));

      await onJobInProgress(h.deps, progress(2, forOne.instanceId));

      assert.equal(h.telemetry.counts.get('JobsRedriven'), undefined);
      assert.deepEqual(await queuedMessages(h), []);
    });

    it('launches nothing for a queued delivery that arrives after the job was already taken', async () => {
      h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
      const [x] = await warmPool(h);
      await scaleUp(h.deps, queuedEvent(1));
      await onJobInProgress(h.deps, progress(2, x!));
      const before = h.aws.listInstances().length;

      const outcome = await scaleUp(h.deps, queuedEvent(2));

      assert.equal(outcome.kind, 'duplicate');
      assert.equal(h.aws.listInstances().length, before);
      assert.deepEqual(await claimedFor(h, 2), []);
    });

    it('claims exactly one instance for the displaced job however often its re-drive is delivered', async () => {
      h = await newHarness(shared, { env: { FLEET_SIZE: '3' } });
      const [x] = await warmPool(h);
      await scaleUp(h.deps, queuedEvent(1));
      const taker = (await h.deps.store.getJob(1))!.instanceId!;
      await onJobInProgress(h.deps, progress(2, taker));
      // The same in_progress again (a duplicate delivery) must not re-drive a second time.
      await onJobInProgress(h.deps, progress(2, taker));
      const [redrive] = await queuedMessages(h);
      assert.ok(redrive !== undefined && x !== undefined);

      const outcomes = [];
      for (const event of [redrive, redrive, queuedEvent(1, { redrive: true })])
        outcomes.push((await scaleUp(h.deps, event)).kind);

      assert.deepEqual(outcomes, ['warm', 'duplicate', 'duplicate']);
      assert.equal((await claimedFor(h, 1)).length, 1);
      assert.equal(h.telemetry.counts.get('JobsRedriven'), 1);
      assert.equal((await h.deps.store.instancesIn('default', 'warm')).length, 1);
    });
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
