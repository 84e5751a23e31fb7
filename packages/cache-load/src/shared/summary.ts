// Human-readable numbers for logs and the job summary table.
import type { SummaryRow } from './io';

const BYTES_PER_MB = 1024 * 1024;

export function formatMB(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / BYTES_PER_MB).toFixed(1)} MB`;
}

export function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(2)} s`;
}

export interface SummaryFacts {
  key: string;
  entry?: string | undefined;
  branch?: string | undefined;
  format?: string | undefined;
  sizeBytes?: number | undefined;
  seconds: number;
  result: string;
}

/** The rows issue 3 asks for: key, entry, branch, format, size, time, hit/miss. */
export function summaryRows(facts: SummaryFacts): SummaryRow[] {
  return [
    ['key', facts.key],
    ['entry', facts.entry || '-'],
    ['branch', facts.branch || '-'],
    ['format', facts.format || '-'],
    ['size', formatMB(facts.sizeBytes)],
    ['time', formatSeconds(facts.seconds)],
    ['result', facts.result],
  ];
}
