// An ActionIO that records what an action told the runner, for tests of main.ts and post.ts.
import type { ActionIO, SummaryRow } from '../../src/shared/io';

export class RecordingIO implements ActionIO {
  readonly outputs: Record<string, string> = {};
  readonly state: Record<string, string> = {};
  readonly warnings: string[] = [];
  readonly notices: string[] = [];
  readonly infos: string[] = [];
  failed: string | undefined;
  summaries: { heading: string; rows: readonly SummaryRow[] }[] = [];

  constructor(
    private readonly inputs: Record<string, string> = {},
    savedState: Record<string, string> = {},
  ) {
    Object.assign(this.state, savedState);
  }

  getInput(name: string): string {
    return this.inputs[name] ?? '';
  }
  setOutput(name: string, value: string): void {
    this.outputs[name] = value;
  }
  saveState(name: string, value: string): void {
    this.state[name] = value;
  }
  getState(name: string): string {
    return this.state[name] ?? '';
  }
  info(msg: string): void {
    this.infos.push(msg);
  }
  warning(msg: string): void {
    this.warnings.push(msg);
  }
  notice(msg: string): void {
    this.notices.push(msg);
  }
  debug(): void {}
  setFailed(msg: string): void {
    this.failed = msg;
  }
  writeSummary(heading: string, rows: readonly SummaryRow[]): Promise<void> {
    this.summaries.push({ heading, rows });
    return Promise.resolve();
  }
}
