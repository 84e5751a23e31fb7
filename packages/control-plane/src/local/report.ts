/** Timeline, tables and percentiles shared by `pnpm local` and `pnpm simulate`. */
import type { Clock } from '../standins/clock';

export interface TimelineEntry {
  /** Simulated milliseconds since the start. */
  t: number;
  kind: string;
  message: string;
}

/** Events in simulated time; printed as they happen when `out` is given. */
export class Timeline {
  readonly entries: TimelineEntry[] = [];
  readonly start: number;

  constructor(
    private readonly clock: Clock,
    private readonly out?: (line: string) => void,
  ) {
    this.start = clock.now();
  }

  add(kind: string, message: string): void {
    const entry = { t: Math.max(0, this.clock.now() - this.start), kind, message };
    this.entries.push(entry);
    this.out?.(formatEntry(entry));
  }

  elapsed(): number {
    return this.clock.now() - this.start;
  }
}

export function formatEntry(entry: TimelineEntry): string {
  return `  ${formatSeconds(entry.t).padStart(8)}  ${entry.kind.padEnd(10)} ${entry.message}`;
}

/** `83.4s` or `12m03s`. */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 600) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/** Nearest-rank percentile of `values` (0 when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** A plain-text table with a header rule, columns padded to their widest cell. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)]
    .map((l) => `  ${l}`)
    .join('\n');
}

/** The same table as GitHub-flavoured Markdown (for the docs). */
export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(String).join(' | ')} |`),
  ].join('\n');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
