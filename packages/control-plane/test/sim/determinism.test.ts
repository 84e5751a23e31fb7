import assert from 'node:assert/strict';
import { startEmulators, type Emulators } from '../../src/standins/emulators';
import { runSimulation, TARGET_FAULTS, type SimulationReport } from '../../src/sim/simulation';

describe('fleet simulator determinism', function () {
  this.timeout(180_000);
  let emulators: Emulators;
  before(async () => {
    emulators = await startEmulators();
  });
  after(() => emulators.stop());

  const run = () =>
    runSimulation({
      emulators,
      jobs: 12,
      seed: 42,
      arrival: { kind: 'burst', minutes: 5 },
      poolSize: 2,
      faults: TARGET_FAULTS,
    });
  const outcome = (r: SimulationReport) => ({
    jobs: r.jobs,
    paths: r.paths,
    waits: r.waitSeconds,
    faults: r.faultsInjected,
    aws: r.awsCalls,
    github: r.githubCalls,
    hours: r.simulatedHours,
  });

  it('gives the same outcome, waits and API calls for the same seed', async () => {
    const first = await run();
    const second = await run();
    assert.deepEqual(outcome(second), outcome(first));
  });
});
