import assert from 'node:assert/strict';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { TAG } from '../src/constants';
import { onJobInProgress } from '../src/domain/lifecycle';
import { planTerminations, reconcile } from '../src/domain/reconcile';
import { scaleUp } from '../src/domain/scale-up';
import type { InstanceRecord, InstanceState } from '../src/state/records';
import { parseConfig } from '../src/config';
import {
  newHarness,
  queuedEvent,
  startShared,
  stopShared,
  type Harness,
  type Shared,
} from './helpers/harness';

const MINUTE = 60_000;

describe('reconcile', () => {
  let shared: Shared;
  let h: Harness;
  before(async () => {
    shared = await startShared();
  });
  after(() => stopShared(shared));
  afterEach(() => h?.close());

  it('tops the pool up to the fleet size with pool-tagged launches, and not beyond', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '3' } });

    const first = await reconcile(h.deps);
    const second = await reconcile(h.deps);

    assert.equal(first.launched.length, 3);
    assert.equal(second.launched.length, 0);
    assert.equal(second.poolLevel, 3);
    for (const id of first.launched) assert.equal(h.aws.instance(id)!.tags[TAG.launch], 'pool');
  });

  it('replaces a warm instance claimed for a job, keeping the pool level', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '2' } });
    await reconcile(h.deps);
    await h.run(120_000);
    await scaleUp(h.deps, queuedEvent(1));

    const report = await reconcile(h.deps);

    assert.equal(report.launched.length, 1);
    assert.equal(report.poolLevel, 2);
  });

  it('terminates an instance claimed for a job that never became busy', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1', CLAIM_TIMEOUT_MINUTES: '15' } });
    await reconcile(h.deps);
    await h.run(120_000);
    const outcome = await scaleUp(h.deps, queuedEvent(1));
    const id = (outcome as { instanceId: string }).instanceId;
    await h.run(16 * MINUTE);

    const report = await reconcile(h.deps);

    assert.deepEqual(
      report.terminated.filter((t) => t.instanceId === id),
      [{ instanceId: id, reason: 'claim-timeout' }],
    );
  });

  it('terminates an instance tagged for this stack that has no record (a crash after RunInstances)', async () => {
    h = await newHarness(shared);
    const out = await h.deps.ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: { LaunchTemplateId: 'lt-0harrier' },
        MinCount: 1,
        MaxCount: 1,
        SubnetId: 'subnet-0a1',
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: TAG.stack, Value: 'test' }] }],
      }),
    );
    const orphan = out.Instances![0]!.InstanceId!;
    await h.run(11 * MINUTE);

    const report = await reconcile(h.deps);
    await h.run(10_000);

    assert.deepEqual(report.terminated, [{ instanceId: orphan, reason: 'orphan' }]);
    assert.equal(h.aws.instance(orphan)!.state, 'terminated');
  });

  it('closes the record of an instance EC2 no longer lists (a lost terminated event)', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' }, wireLifecycle: false });
    const [id] = (await reconcile(h.deps)).launched;
    await h.deps.ec2.send(
      new (await import('@aws-sdk/client-ec2')).TerminateInstancesCommand({ InstanceIds: [id!] }),
    );
    await h.run(2 * 60 * MINUTE);

    const report = await reconcile(h.deps);

    assert.ok(report.markedGone.includes(id!));
    assert.equal((await h.deps.store.getInstance(id!))?.state, 'terminated');
  });

  it('deletes offline registrations of Harrier runners whose instance is gone, and nothing else', async () => {
    h = await newHarness(shared);
    const add = (id: number, name: string, status: 'online' | 'offline') =>
      h.github.runners.set(id, { id, name, status, busy: false, labels: ['self-hosted'], scope: 'org' });
    add(1, 'i-0deadbeefdeadbeef', 'offline');
    add(2, 'i-0feedfacefeedface', 'online');
    add(3, 'someone-elses-runner', 'offline');

    const report = await reconcile(h.deps);

    assert.deepEqual(report.runnersDeleted, ['i-0deadbeefdeadbeef']);
    assert.deepEqual([...h.github.runners.keys()], [2, 3]);
    assert.deepEqual(h.github.violations, []);
  });

  it('re-drives a job GitHub still shows queued whose queued webhook was lost', async () => {
    h = await newHarness(shared);
    // The repository is known from an earlier job; job 2's queued delivery never arrived.
    const first = (await scaleUp(h.deps, queuedEvent(1))) as { instanceId: string };
    await onJobInProgress(h.deps, queuedEvent(1, { action: 'in_progress', runnerName: first.instanceId }));
    h.github.queuedJobs.push({
      id: 2,
      runId: 9002,
      repo: 'acme/web',
      name: 'test',
      workflowName: 'CI',
      labels: ['self-hosted'],
      createdAt: h.clock.now() - 5 * MINUTE,
    });

    const report = await reconcile(h.deps);

    assert.deepEqual(report.redriven, [2]);
    const out = await h.deps.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: h.queueUrl, MaxNumberOfMessages: 10 }),
    );
    const event = JSON.parse(out.Messages![0]!.Body!);
    assert.equal(event.jobId, 2);
    assert.equal(event.redrive, true);
    assert.equal((await scaleUp(h.deps, event)).kind, 'cold');
    assert.deepEqual(h.github.violations, []);
  });

  it('counts a runner whose job another runner took as on the way for the next queued job', async () => {
    h = await newHarness(shared);
    await scaleUp(h.deps, queuedEvent(1));
    // Job 1 ran on some other runner: the instance started for it is still coming, for job 2.
    await onJobInProgress(
      h.deps,
      queuedEvent(1, { action: 'in_progress', runnerName: 'i-0abcabcabcabcabca' }),
    );
    h.github.queuedJobs.push({
      id: 2,
      runId: 9002,
      repo: 'acme/web',
      name: 'test',
      workflowName: 'CI',
      labels: ['self-hosted'],
      createdAt: h.clock.now() - 5 * MINUTE,
    });

    const report = await reconcile(h.deps);

    assert.deepEqual(report.redriven, []);
  });

  it('at org scope counts a spare runner of one repository for a queued job of another', async () => {
    h = await newHarness(shared);
    await scaleUp(h.deps, queuedEvent(1));
    await onJobInProgress(
      h.deps,
      queuedEvent(1, { action: 'in_progress', runnerName: 'i-0abcabcabcabcabca' }),
    );
    await scaleUp(h.deps, queuedEvent(3, { repo: 'acme/api' }));
    await onJobInProgress(
      h.deps,
      queuedEvent(3, { repo: 'acme/api', action: 'in_progress', runnerName: 'i-0abcabcabcabcabcb' }),
    );
    const queuedJob = { runId: 9002, name: 'test', workflowName: 'CI', labels: ['self-hosted'] };
    h.github.queuedJobs.push(
      { ...queuedJob, id: 2, repo: 'acme/api', createdAt: h.clock.now() - 5 * MINUTE },
      { ...queuedJob, id: 4, repo: 'acme/api', createdAt: h.clock.now() - 5 * MINUTE },
      { ...queuedJob, id: 5, repo: 'acme/api', createdAt: h.clock.now() - 5 * MINUTE },
    );

    const report = await reconcile(h.deps);

    // Two spare runners (started for jobs 1 and 3) cover two of the three queued jobs.
    assert.equal(report.redriven.length, 1);
  });

  it('does not re-drive a queued job that has a runner on the way', async () => {
    h = await newHarness(shared);
    await scaleUp(h.deps, queuedEvent(1));
    h.github.queuedJobs.push({
      id: 1,
      runId: 9001,
      repo: 'acme/web',
      name: 'test',
      workflowName: 'CI',
      labels: ['self-hosted'],
      createdAt: h.clock.now() - 5 * MINUTE,
    });

    const report = await reconcile(h.deps);

    assert.deepEqual(report.redriven, []);
  });
});

describe('planTerminations', () => {
  const config = parseConfig({
    HARRIER_STACK_ID: 'test',
    TABLE_NAME: 't',
    JOB_QUEUE_URL: 'https://sqs/q.fifo',
    LAUNCH_TEMPLATE_ID: 'lt-1',
    SUBNET_IDS: 'subnet-a,subnet-b',
    GITHUB_OWNER: 'acme',
    GITHUB_CREDENTIAL_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:gh',
    WEBHOOK_SECRET_ARN: 'arn:hook',
    REUSE_WINDOW_MINUTES: '10',
    MAX_WARM_AGE_HOURS: '24',
    MIN_RUNNER_VERSION: '2.327.1',
  });
  const now = Date.UTC(2026, 0, 10);
  const record = (
    state: InstanceState,
    ageMs: number,
    extra: Partial<InstanceRecord> = {},
  ): InstanceRecord => ({
    pk: `instance#i-${state}`,
    kind: 'instance',
    instanceId: `i-${state}-${ageMs}`,
    pool: 'default',
    launch: 'pool',
    state,
    version: 1,
    stateKey: '',
    stateSince: now - ageMs,
    launchedAt: now - ageMs,
    ...extra,
  });
  const plan = (...records: InstanceRecord[]) => {
    const snapshot = new Map<InstanceState, InstanceRecord[]>();
    for (const r of records) snapshot.set(r.state, [...(snapshot.get(r.state) ?? []), r]);
    return planTerminations(snapshot, config, now).map((p) => p.reason);
  };

  it('keeps young instances of every state', () => {
    assert.deepEqual(plan(record('idle', MINUTE), record('claimed', MINUTE), record('warm', MINUTE)), []);
  });
  it('expires idle instances after the reuse window', () => {
    assert.deepEqual(plan(record('idle', 10 * MINUTE)), ['idle-expired']);
  });
  it('replaces warm instances older than the maximum warm age', () => {
    assert.deepEqual(plan(record('warm', 25 * 60 * MINUTE)), ['warm-too-old']);
  });
  it('replaces warm instances whose runner is older than the minimum version', () => {
    assert.deepEqual(plan(record('warm', MINUTE, { runnerVersion: '2.326.0' })), ['runner-outdated']);
  });
  it('terminates a busy instance past the maximum lifetime', () => {
    assert.deepEqual(plan(record('busy', 421 * MINUTE)), ['max-lifetime']);
  });
  it('counts the maximum lifetime from the claim, not from the launch of a long-warm pool instance', () => {
    const warmForDays = { launchedAt: now - 3 * 24 * 60 * MINUTE };
    assert.deepEqual(plan(record('busy', MINUTE, { ...warmForDays, inServiceSince: now - MINUTE })), []);
    assert.deepEqual(plan(record('busy', MINUTE, { ...warmForDays, inServiceSince: now - 421 * MINUTE })), [
      'max-lifetime',
    ]);
  });
  it('gives up on a pool instance whose bootstrap hangs for 30 minutes', () => {
    assert.deepEqual(plan(record('provisioning', 30 * MINUTE)), ['bootstrap-timeout']);
  });
});
