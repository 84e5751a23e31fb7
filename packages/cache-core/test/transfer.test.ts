import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { copyWithDigest, PROGRESS_INTERVAL_MS } from '../src/transfer';
import { recordingLogger } from './helpers/context';

const MB = 1024 * 1024;

function collector(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    sink: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    }),
    bytes: () => Buffer.concat(chunks),
  };
}

describe('streaming copies', () => {
  it('hash and count what they copy', async () => {
    const data = Buffer.alloc(3 * MB, 7);
    const out = collector();

    const result = await copyWithDigest(Readable.from([data.subarray(0, MB), data.subarray(MB)]), out.sink, {
      label: 'Copying',
      log: recordingLogger(),
    });

    assert.equal(result.bytes, data.length);
    assert.equal(result.sha256, createHash('sha256').update(data).digest('hex'));
    assert.deepEqual(out.bytes(), data);
  });

  it('log progress in MB and MB/s at most once per interval', async () => {
    const log = recordingLogger();
    let clock = 0;
    const chunks = [Buffer.alloc(MB), Buffer.alloc(MB), Buffer.alloc(MB)];

    await copyWithDigest(Readable.from(chunks), collector().sink, {
      label: 'Copying entry',
      log,
      totalBytes: 3 * MB,
      now: () => (clock += PROGRESS_INTERVAL_MS / 2),
    });

    assert.deepEqual(
      log.lines.map((line) => line.msg),
      ['Copying entry: 2.0 MB of 3.0 MB (0.4 MB/s)'],
    );
  });

  it('keep copying when the second consumer gives up early', async () => {
    const data = Buffer.alloc(4 * MB, 1);
    const out = collector();
    const lister = new PassThrough({ highWaterMark: 1024 });
    lister.once('data', () => lister.destroy(new Error('lister saw garbage')));
    lister.on('error', () => undefined);

    const result = await copyWithDigest(Readable.from([data.subarray(0, MB), data.subarray(MB)]), out.sink, {
      label: 'Copying',
      log: recordingLogger(),
      alsoTo: lister,
    });

    assert.equal(result.bytes, data.length);
    assert.deepEqual(out.bytes(), data);
  });
});
