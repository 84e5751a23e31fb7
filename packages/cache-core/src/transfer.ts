/** Streaming copies that hash what they move and report progress for large transfers. */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from './logger';

/** Progress is logged at most this often (ms) during one transfer. */
export const PROGRESS_INTERVAL_MS = 5_000;
const BYTES_PER_MB = 1024 * 1024;

export interface TransferResult {
  bytes: number;
  sha256: string;
  seconds: number;
}

export function formatMb(bytes: number): string {
  return `${(bytes / BYTES_PER_MB).toFixed(1)} MB`;
}

export function formatRate(bytes: number, seconds: number): string {
  return `${(bytes / BYTES_PER_MB / Math.max(seconds, 0.001)).toFixed(1)} MB/s`;
}

/** Copy `source` into `sink`, hashing (SHA-256) and counting the bytes on the way. */
export async function copyWithDigest(
  source: Readable,
  sink: Writable,
  options: { label: string; log: Logger; totalBytes?: number; now?: () => number },
): Promise<TransferResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let lastReport = started;
  let bytes = 0;
  const hash = createHash('sha256');
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      const at = now();
      if (at - lastReport >= PROGRESS_INTERVAL_MS) {
        lastReport = at;
        const of = options.totalBytes ? ` of ${formatMb(options.totalBytes)}` : '';
        options.log.info(
          `${options.label}: ${formatMb(bytes)}${of} (${formatRate(bytes, (at - started) / 1000)})`,
        );
      }
      callback(null, chunk);
    },
  });
  await pipeline(source, meter, sink);
  return { bytes, sha256: hash.digest('hex'), seconds: (now() - started) / 1000 };
}
