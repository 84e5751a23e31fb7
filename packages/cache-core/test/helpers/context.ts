/** Run contexts and loggers for tests. */
import type { RunContext } from '../../src/context';
import type { Logger } from '../../src/logger';

export function testContext(
  workspace: string,
  runnerTemp: string,
  overrides: Partial<RunContext> = {},
): RunContext {
  return {
    workspace,
    repository: 'octo-org/shop',
    branch: 'main',
    scopeDir: 'main',
    scopeLabel: 'main',
    defaultBranch: 'main',
    os: 'Linux',
    arch: 'X64',
    runId: '1001',
    tempDir: runnerTemp,
    ...overrides,
  };
}

export interface RecordingLogger extends Logger {
  lines: Array<{ level: 'info' | 'warning' | 'debug'; msg: string }>;
  warnings(): string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  return {
    lines,
    info: (msg) => lines.push({ level: 'info', msg }),
    warning: (msg) => lines.push({ level: 'warning', msg }),
    debug: (msg) => lines.push({ level: 'debug', msg }),
    warnings: () => lines.filter((line) => line.level === 'warning').map((line) => line.msg),
  };
}
