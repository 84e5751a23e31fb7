/** DynamoDB (dynalite) and SQS (local-aws-sqs) emulators, in-process on 127.0.0.1:0. */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { createSqsServer } from 'local-aws-sqs';
import type { AddressInfo } from 'node:net';
import { documentClient } from '../../src/aws/clients';
import { tableDefinition } from '../../src/state/records';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface DynamoEmulator {
  endpoint: string;
  client: DynamoDBClient;
  /** Creates a fresh table (unique name) and returns its name. */
  newTable(): Promise<string>;
  close(): Promise<void>;
}

let tableCounter = 0;

export async function startDynamo(): Promise<DynamoEmulator> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  return {
    endpoint,
    client,
    async newTable() {
      const name = `harrier-test-${process.pid}-${++tableCounter}`;
      await client.send(new CreateTableCommand(tableDefinition(name)));
      return name;
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const docClient = (emulator: DynamoEmulator) => documentClient(emulator.client);

export interface SqsEmulator {
  endpoint: string;
  client: SQSClient;
  newFifoQueue(): Promise<string>;
  close(): Promise<void>;
}

let queueCounter = 0;

export async function startSqs(): Promise<SqsEmulator> {
  const server = await createSqsServer({ port: 0, hostname: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new SQSClient({ endpoint, region: 'us-east-1', credentials });
  return {
    endpoint,
    client,
    async newFifoQueue() {
      const out = await client.send(
        new CreateQueueCommand({
          QueueName: `harrier-jobs-${++queueCounter}.fifo`,
          Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false' },
        }),
      );
      return out.QueueUrl!;
    },
    async close() {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
