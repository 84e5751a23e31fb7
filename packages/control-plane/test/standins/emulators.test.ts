import assert from 'node:assert/strict';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { startEmulators, type Emulators } from '../../src/standins/emulators';
import { BY_STATE_INDEX } from '../../src/state/records';

describe('DynamoDB and SQS emulators', () => {
  let emulators: Emulators;
  before(async () => {
    emulators = await startEmulators();
  });
  after(() => emulators.stop());

  it('listen on 127.0.0.1 ephemeral ports', () => {
    assert.match(emulators.dynamoEndpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(emulators.env.AWS_ENDPOINT_URL_SQS!, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('create Harrier’s table with its byState index', async () => {
    const table = await emulators.dynamo.send(new DescribeTableCommand({ TableName: emulators.tableName }));
    assert.equal(table.Table?.GlobalSecondaryIndexes?.[0]?.IndexName, BY_STATE_INDEX);
  });

  it('create a FIFO queue that drops a redelivered delivery id', async () => {
    const send = () =>
      emulators.sqs.send(
        new SendMessageCommand({
          QueueUrl: emulators.queueUrl,
          MessageBody: '{"jobId":1}',
          MessageGroupId: '1',
          MessageDeduplicationId: 'delivery-1',
        }),
      );
    await send();
    await send();
    const received = await emulators.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: emulators.queueUrl, MaxNumberOfMessages: 10 }),
    );
    assert.equal(received.Messages?.length, 1);
  });
});
