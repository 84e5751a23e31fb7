import assert from 'node:assert/strict';
import type { Deps } from '../src/domain/deps';
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
import { CallTrace } from './helpers/trace';

function traced(deps: Deps, trace: CallTrace): Deps {
  const db = trace.wrap((deps.store as unknown as { db: object }).db, 'dynamodb');
  Object.assign(deps.store as unknown as { db: object }, { db });
  return {
    ...deps,
    ec2: trace.wrap(deps.ec2, 'ec2'),
    ssm: trace.wrap(deps.ssm, 'ssm'),
    github: trace.wrap(deps.github, 'github'),
  };
}

describe('queued → StartInstances remote calls', () => {
  let shared: Shared;
  let h: Harness;
  before(async () => {
    shared = await startShared();
  });
  after(() => stopShared(shared));
  afterEach(() => h?.close());

  it('reaches StartInstances on the warm path at sequential call 3 and a delivered config by call 5', async () => {
    h = await newHarness(shared, { env: { FLEET_SIZE: '1' } });
    await reconcile(h.deps);
    await h.run(120_000);
    // Warm the secret cache, as a warm Lambda container has it.
    await h.deps.github.listRunners({ scope: 'org', org: 'acme' });
    // Only scale-up's own calls: EC2 state-change events go to another Lambda.
    h.unwireLifecycle();
    const trace = new CallTrace();

    await scaleUp(traced(h.deps, trace), queuedEvent(1));

    const start = trace.depthOf('ec2.StartInstancesCommand');
    const tag = trace.depthOf('ec2.CreateTagsCommand');
    console.log(`      calls: ${trace.calls.map((c) => `${c.depth}:${c.name}`).join(', ')}`);
    assert.ok(start !== undefined && start <= 5, `StartInstances at depth ${start}`);
    assert.equal(start, 3);
    assert.equal(tag, 5);
  });

  it('reaches RunInstances on the cold path at sequential call 2 and a delivered config by call 5', async () => {
    h = await newHarness(shared);
    await h.deps.github.listRunners({ scope: 'org', org: 'acme' });
    // Only scale-up's own calls: EC2 state-change events go to another Lambda.
    h.unwireLifecycle();
    const trace = new CallTrace();

    await scaleUp(traced(h.deps, trace), queuedEvent(2));

    console.log(`      calls: ${trace.calls.map((c) => `${c.depth}:${c.name}`).join(', ')}`);
    assert.equal(trace.depthOf('ec2.RunInstancesCommand'), 2);
    assert.equal(trace.depthOf('ec2.CreateTagsCommand'), 5);
  });
});
