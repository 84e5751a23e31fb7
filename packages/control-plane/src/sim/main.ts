/**
 * `pnpm simulate`: the fleet under faults at scale, deterministic for a seed; exits 1 when an
 * invariant breaks. `--sizing 0,5,10,20` prints wait and cost per pool size for a workload instead.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulators } from '../standins/emulators';
import { formatReport, sizingTable } from './format';
import {
  NO_FAULTS,
  TARGET_FAULTS,
  runSimulation,
  type FaultRates,
  type SimulationReport,
} from './simulation';
import { WORKDAY_PROFILE, type ArrivalPattern } from './workload';

const USAGE = `usage: pnpm simulate [-- options]
  --jobs N              jobs (default 1000)
  --seed N              random seed (default 1)
  --arrival burst|day   all within --burst-minutes (default 180), or over a day by --jobs-per-hour
  --jobs-per-hour LIST  24 comma-separated hourly weights (default a working day)
  --pool N              fleetSize (default 20)
  --reuse-window MIN    reuse window in minutes (default 0)
  --duplicate R --reordered R --lost-queued R --lost-completed R --capacity R --throttle R --crash R
                        fault rates 0..1 (defaults: the issue's target 0.05 0.05 0.02 0.02 0.05 0.02 0.01)
  --no-faults           all fault rates 0
  --price USD           instance price per hour (default 0.1008, m7i.large us-east-1)
  --sizing LIST         pool sizes to compare for the workload (no faults), e.g. 0,5,10,20
  --json PATH           write the report(s) as JSON (default: $TMPDIR/harrier-simulate-report.json)`;

function rate(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new RangeError(`--${name} must be between 0 and 1, got ${value}`);
  return n;
}

function integer(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`--${name} must be a whole number >= 0, got ${value}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      jobs: { type: 'string' },
      seed: { type: 'string' },
      arrival: { type: 'string', default: 'burst' },
      'burst-minutes': { type: 'string' },
      'jobs-per-hour': { type: 'string' },
      pool: { type: 'string' },
      'reuse-window': { type: 'string' },
      duplicate: { type: 'string' },
      reordered: { type: 'string' },
      'lost-queued': { type: 'string' },
      'lost-completed': { type: 'string' },
      capacity: { type: 'string' },
      throttle: { type: 'string' },
      crash: { type: 'string' },
      'no-faults': { type: 'boolean', default: false },
      price: { type: 'string' },
      sizing: { type: 'string' },
      json: { type: 'string', default: join(tmpdir(), 'harrier-simulate-report.json') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const base: FaultRates = values['no-faults'] ? NO_FAULTS : TARGET_FAULTS;
  const faults: FaultRates = {
    duplicate: rate(values.duplicate, base.duplicate, 'duplicate'),
    reordered: rate(values.reordered, base.reordered, 'reordered'),
    lostQueued: rate(values['lost-queued'], base.lostQueued, 'lost-queued'),
    lostCompleted: rate(values['lost-completed'], base.lostCompleted, 'lost-completed'),
    capacity: rate(values.capacity, base.capacity, 'capacity'),
    throttle: rate(values.throttle, base.throttle, 'throttle'),
    crash: rate(values.crash, base.crash, 'crash'),
  };
  let arrival: ArrivalPattern;
  if (values.arrival === 'day') {
    const perHour = values['jobs-per-hour']
      ? values['jobs-per-hour'].split(',').map(Number)
      : WORKDAY_PROFILE;
    if (perHour.length !== 24 || perHour.some((n) => !(n >= 0)))
      throw new RangeError('--jobs-per-hour needs 24 numbers >= 0');
    arrival = { kind: 'day', perHour };
  } else if (values.arrival === 'burst') {
    arrival = { kind: 'burst', minutes: integer(values['burst-minutes'], 180, 'burst-minutes') };
  } else {
    throw new RangeError(`--arrival must be burst or day, got ${values.arrival}`);
  }
  const jobs = integer(values.jobs, 1000, 'jobs');
  const seed = integer(values.seed, 1, 'seed');
  const price = values.price === undefined ? 0.1008 : Number(values.price);
  const reuseWindowMinutes = integer(values['reuse-window'], 0, 'reuse-window');

  const emulators = await startEmulators();
  try {
    if (values.sizing) {
      const sizes = values.sizing.split(',').map((s) => integer(s.trim(), 0, 'sizing'));
      const rows: SimulationReport[] = [];
      for (const poolSize of sizes) {
        console.log(`pool ${poolSize} …`);
        rows.push(
          await runSimulation({
            emulators,
            jobs,
            seed,
            arrival,
            poolSize,
            reuseWindowMinutes,
            faults: NO_FAULTS,
            instancePricePerHour: price,
          }),
        );
      }
      console.log(
        `\nSizing for ${jobs} jobs (${rows[0]?.options.arrival ?? ''}), no faults, $${price}/instance-hour\n`,
      );
      console.log(sizingTable(rows));
      await writeFile(values.json, `${JSON.stringify(rows, null, 2)}\n`);
      console.log(`\nJSON: ${values.json}`);
      return rows.every((r) => r.invariantsHeld) ? 0 : 1;
    }
    const report = await runSimulation({
      emulators,
      jobs,
      seed,
      arrival,
      poolSize: integer(values.pool, 20, 'pool'),
      reuseWindowMinutes,
      faults,
      instancePricePerHour: price,
      progress: (line) => console.log(line),
    });
    console.log(`\n${formatReport(report)}`);
    await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`JSON: ${values.json}`);
    return report.invariantsHeld ? 0 : 1;
  } finally {
    await emulators.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    console.error(USAGE);
    process.exitCode = 2;
  },
);
