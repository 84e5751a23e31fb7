/** When jobs arrive: all at once (a burst over a few minutes) or spread over a day by hour. */
import type { Random } from '../standins/random';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export type ArrivalPattern =
  | { kind: 'burst'; minutes: number }
  /** Relative weight of each hour of the day (24 values, hour 0 first). */
  | { kind: 'day'; perHour: number[] };

/** A working day: quiet nights, a morning ramp, a lunch dip, an afternoon peak (UTC hours). */
export const WORKDAY_PROFILE = [
  1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 9, 12, 14, 14, 12, 8, 5, 3, 2, 1, 1, 1,
];

/** Arrival offsets (ms from the start), ascending; the same `random` state gives the same list. */
export function arrivals(pattern: ArrivalPattern, jobs: number, random: Random): number[] {
  const times: number[] = [];
  if (pattern.kind === 'burst') {
    for (let i = 0; i < jobs; i++) times.push(Math.floor(random.next() * pattern.minutes * MINUTE_MS));
  } else {
    if (pattern.perHour.length !== 24)
      throw new RangeError(`a day profile needs 24 hourly weights, got ${pattern.perHour.length}`);
    const total = pattern.perHour.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new RangeError('a day profile needs at least one hour with a positive weight');
    for (let i = 0; i < jobs; i++) {
      let pick = random.next() * total;
      let hour = 0;
      while (hour < 23 && pick >= pattern.perHour[hour]!) pick -= pattern.perHour[hour++]!;
      times.push(hour * HOUR_MS + Math.floor(random.next() * HOUR_MS));
    }
  }
  return times.sort((a, b) => a - b);
}
