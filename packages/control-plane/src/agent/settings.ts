import { DEFAULT_AGENT_SETTINGS, type AgentSettings } from './agent';

/** An agent environment variable has a value the agent cannot use. */
export class AgentConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`harrier-agent configuration is invalid:\n- ${problems.join('\n- ')}`);
    this.name = 'AgentConfigError';
  }
}

/**
 * Reads the agent's settings from the environment that `harrier-agent.service` sets (rendered by
 * infra's bootstrap script from the stack config). Every problem is reported at once.
 *
 * - `HARRIER_REUSE_WINDOW_MINUTES` (default 0 = off)
 * - `HARRIER_JIT_WAIT_SECONDS` (default 900)
 * - `HARRIER_RUNNER_UID` / `HARRIER_RUNNER_GID` (the `runner` user's ids)
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv): AgentSettings {
  const problems: string[] = [];
  const integer = (name: string, fallback: number | undefined): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw)) {
      problems.push(`${name} must be a non-negative whole number, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return Number(raw);
  };
  const reuseWindowMinutes = integer(
    'HARRIER_REUSE_WINDOW_MINUTES',
    DEFAULT_AGENT_SETTINGS.reuseWindowMinutes,
  );
  const jitWaitSeconds = integer('HARRIER_JIT_WAIT_SECONDS', DEFAULT_AGENT_SETTINGS.jitWaitSeconds);
  const runnerUid = integer('HARRIER_RUNNER_UID', undefined);
  const runnerGid = integer('HARRIER_RUNNER_GID', undefined);
  if (problems.length > 0) throw new AgentConfigError(problems);
  return {
    ...DEFAULT_AGENT_SETTINGS,
    reuseWindowMinutes: reuseWindowMinutes ?? 0,
    jitWaitSeconds: jitWaitSeconds ?? DEFAULT_AGENT_SETTINGS.jitWaitSeconds,
    ...(runnerUid === undefined ? {} : { runnerUid }),
    ...(runnerGid === undefined ? {} : { runnerGid }),
  };
}
