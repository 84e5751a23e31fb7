import assert from 'node:assert/strict';
import { startEmulators, type Emulators } from '../../src/standins/emulators';
import { runSimulation, TARGET_FAULTS, type SimulationReport } from '../../src/sim/simulation';

describe('fleet simulator (CI size: 60 jobs, pool 5, the target fault rates)', function () {
  // The full 1,000-job run is `pnpm simulate`; this one keeps the package's test run short.
  this.timeout(240_000);
  let emulators: Emulators;
  let report: SimulationReport;

  before(async () => {
    emulators = await startEmulators();
    report = await runSimulation({
      emulators,
      jobs: 60,
      seed: 7,
      arrival: { kind: 'burst', minutes: 15 },
      poolSize: 5,
      faults: { ...TARGET_FAULTS, crash: 0.05 },
    });
  });
  after(() => emulators.stop());

  it('gives every job a runner', () => {
    assert.equal(report.jobs.lost, 0, report.breaches.join('; '));
    assert.equal(report.jobs.served + report.jobs.failed, 60);
  });

  it('never hands one instance to two jobs', () => {
    assert.equal(report.jobs.doubleClaimed, 0);
  });

  it('leaves no instance beyond the warm pool, no runner registration and no JIT parameter', () => {
    assert.deepEqual(
      { ...report.leftAfterDrain, warmPool: undefined },
      { instances: 0, runnerRegistrations: 0, jitParameters: 0, warmPool: undefined },
    );
  });

  it('really injected the faults it claims to survive', () => {
    for (const fault of ['duplicate', 'reordered']) assert.ok((report.faultsInjected[fault] ?? 0) > 0, fault);
    assert.ok(Object.keys(report.awsErrors).some((k) => k.includes('InsufficientInstanceCapacity')));
  });

  it('sent only requests GitHub’s OpenAPI description allows', () => {
    assert.deepEqual(report.githubContractViolations, []);
  });

  it('reports the invariants as held', () => {
    assert.equal(report.invariantsHeld, true, report.breaches.join('; '));
  });
});
