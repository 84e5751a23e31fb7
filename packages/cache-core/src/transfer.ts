/** Streaming copies that hash what they move and report progress for large transfers. */
import { createHash } from 'node:crypto';
import { Transform, Writable, type Readable } from 'node:stream';
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
  options: {
    label: string;
    log: Logger;
    totalBytes?: number;
    now?: () => number;
    /** A second consumer of the same bytes (a lister); its failures do not stop the copy. */
    alsoTo?: Writable;
  },
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
  await pipeline(source, meter, options.alsoTo ? teeInto(sink, options.alsoTo) : sink);
  return { bytes, sha256: hash.digest('hex'), seconds: (now() - started) / 1000 };
}

/**
 * A writable that forwards every chunk to `primary` and, while it keeps accepting, `secondary`,
 * honouring back-pressure from both. Errors of `primary` fail the stream; a `secondary` that
 * errors or closes early is simply dropped (its owner reports its own failure).
 */
export function teeInto(primary: Writable, secondary: Writable): Writable {
  let secondaryOpen = true;
  const dropSecondary = (): void => {
    secondaryOpen = false;
  };
  secondary.on('error', dropSecondary);
  secondary.on('close', dropSecondary);
  /** Until `stream` drains; an error or early close rejects, unless `tolerant`. */
  const drained = (stream: Writable, tolerant: boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const settle = (error?: Error): void => {
        stream.off('drain', onDrain);
        stream.off('error', onError);
        stream.off('close', onClose);
        if (error && !tolerant) reject(error);
        else resolve();
      };
      const onDrain = (): void => settle();
      const onError = (error: Error): void => settle(error);
      const onClose = (): void => settle(new Error('destination closed early'));
      stream.on('drain', onDrain);
      stream.on('error', onError);
      stream.on('close', onClose);
    });
  return new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      const waits: Array<Promise<void>> = [];
      if (!primary.write(chunk)) waits.push(drained(primary, false));
      if (secondaryOpen && !secondary.write(chunk)) waits.push(drained(secondary, true));
      Promise.all(waits).then(
        () => callback(),
        (error: unknown) => callback(error as Error),
      );
    },
    final(callback) {
      if (secondaryOpen) secondary.end();
      primary.once('error', callback);
      primary.once('finish', () => callback());
      primary.end();
    },
    destroy(error, callback) {
      if (error) {
        // Close both without re-emitting: the pipeline already reports `error`.
        if (secondaryOpen) secondary.destroy();
        primary.destroy();
      }
      callback(error);
    },
  });
}
