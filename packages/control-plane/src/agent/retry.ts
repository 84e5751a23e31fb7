/**
 * The agent's outer retry around one step (take the JIT config, report the bootstrap). Each attempt
 * already carries the SDK's own retries (aws-clients.ts); this adds a window of several seconds for
 * anything longer, because the alternative to a retry here is powering the machine off.
 */

/** Attempts of one step before the agent gives up. */
export const STEP_ATTEMPTS = 5;
/** Back-off before the second attempt, in milliseconds; doubled for each later one. */
export const STEP_BACKOFF_BASE_MS = 1_000;
/** Longest back-off between two attempts, in milliseconds. */
export const STEP_BACKOFF_CAP_MS = 16_000;

/** A step failed on every attempt; `cause` is the last error. */
export class StepGaveUpError extends Error {
  constructor(
    readonly step: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `${step} failed ${attempts} times; last error: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`,
      { cause },
    );
    this.name = 'StepGaveUpError';
  }
}

export interface RetryDeps {
  sleep: (ms: number) => Promise<void>;
  /** In [0, 1); the jitter source. */
  random: () => number;
  log: (event: string, fields?: Record<string, unknown>) => void;
}

/**
 * "Equal jitter": half of each back-off is fixed, half random, so machines throttled together spread
 * out yet every failure still waits at least half the schedule (≥ 7.5 s over the 5 attempts).
 */
export function backoffMs(retry: number, random: () => number): number {
  const ceiling = Math.min(STEP_BACKOFF_CAP_MS, STEP_BACKOFF_BASE_MS * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Runs `call` up to STEP_ATTEMPTS times. `isFinal` errors (a missing parameter: no retry can fix
 * it) are thrown at once; after the last attempt a `<step>-gave-up` line is logged and a
 * StepGaveUpError thrown, which the agent's entry point turns into one power-off.
 */
export async function retryStep<T>(
  deps: RetryDeps,
  step: string,
  call: () => Promise<T>,
  isFinal: (error: unknown) => boolean = () => false,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error: unknown) {
      if (isFinal(error)) throw error;
      const name = error instanceof Error ? error.name : String(error);
      if (attempt >= STEP_ATTEMPTS) {
        deps.log(`${step}-gave-up`, { attempts: attempt, error: name });
        throw new StepGaveUpError(step, attempt, error);
      }
      const waitMs = backoffMs(attempt, deps.random);
      deps.log(`${step}-retry`, { attempt, error: name, waitMs });
      await deps.sleep(waitMs);
    }
  }
}
