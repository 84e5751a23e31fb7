import assert from 'node:assert/strict';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { VirtualClock } from '../../src/standins/clock';
import { FIFO_DEDUP_WINDOW_MS, VirtualFifoQueue } from '../../src/sim/fifo-queue';

describe('virtual SQS FIFO queue', () => {
  let clock: VirtualClock;
  let queue: VirtualFifoQueue;
  const send = (group: string, dedup: string, body = dedup) =>
    queue.send({ QueueUrl: 'q', MessageGroupId: group, MessageDeduplicationId: dedup, MessageBody: body });

  beforeEach(() => {
    clock = new VirtualClock();
    queue = new VirtualFifoQueue({ clock, visibilityTimeoutMs: 30_000, maxReceiveCount: 2 });
  });

  it('drops a redelivery with the same de-duplication id within 5 minutes, not after', () => {
    send('1', 'd1');
    send('1', 'd1');
    assert.equal(queue.size(), 1);
    clock.advanceTo(clock.now() + FIFO_DEDUP_WINDOW_MS);
    send('1', 'd1');
    assert.equal(queue.size(), 2);
  });

  it('delivers nothing else of a group while one of its messages is in flight', () => {
    send('1', 'a');
    send('1', 'b');
    send('2', 'c');
    assert.deepEqual(
      queue.receive(10).map((m) => m.body),
      ['a', 'c'],
    );
    assert.deepEqual(queue.receive(10), []);
  });

  it('brings an undeleted message back after the visibility timeout, in order', () => {
    send('1', 'a');
    send('1', 'b');
    queue.receive(10);
    clock.advanceTo(clock.now() + 30_000);
    assert.deepEqual(
      queue.receive(10).map((m) => m.body),
      ['a'],
    );
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', () => {
    send('1', 'a');
    queue.receive(10);
    clock.advanceTo(clock.now() + 30_000);
    queue.receive(10);
    clock.advanceTo(clock.now() + 60_000);
    assert.deepEqual(queue.receive(10), []);
    assert.equal(queue.deadLetters.length, 1);
  });

  it('takes SendMessage through an SQS client instance', async () => {
    const { client, restore } = queue.client();
    try {
      await client.send(
        new SendMessageCommand({
          QueueUrl: 'q',
          MessageBody: 'x',
          MessageGroupId: '9',
          MessageDeduplicationId: 'x',
        }),
      );
      assert.equal(queue.size(), 1);
    } finally {
      restore();
    }
  });
});
