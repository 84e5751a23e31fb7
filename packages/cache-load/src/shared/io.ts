// The runner-facing side of both actions, as an interface: main.ts talks to this, the entry
// point hands in `coreIO()` (the real @actions/core), and unit tests hand in a recorder.
import * as core from '@actions/core';

export type SummaryRow = readonly [label: string, value: string];

export interface ActionIO {
  /** The trimmed input, '' when unset. */
  getInput(name: string): string;
  setOutput(name: string, value: string): void;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  info(msg: string): void;
  warning(msg: string): void;
  notice(msg: string): void;
  debug(msg: string): void;
  setFailed(msg: string): void;
  /** Appends a heading and a two-column table to the job summary. */
  writeSummary(heading: string, rows: readonly SummaryRow[]): Promise<void>;
}

export function coreIO(): ActionIO {
  return {
    getInput: (name) => core.getInput(name),
    setOutput: (name, value) => core.setOutput(name, value),
    saveState: (name, value) => core.saveState(name, value),
    getState: (name) => core.getState(name),
    info: (msg) => core.info(msg),
    warning: (msg) => core.warning(msg),
    notice: (msg) => core.notice(msg),
    debug: (msg) => core.debug(msg),
    setFailed: (msg) => core.setFailed(msg),
    writeSummary: async (heading, rows) => {
      await core.summary
        .addHeading(heading, 3)
        .addTable([
          [
            { data: 'what', header: true },
            { data: 'value', header: true },
          ],
          ...rows.map(([label, value]) => [label, value]),
        ])
        .write();
    },
  };
}
