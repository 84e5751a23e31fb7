/**
 * DynamoDB (dynalite) and SQS (local-aws-sqs), in-process on 127.0.0.1 with ephemeral ports, with
 * Harrier's table and FIFO job queue created: the real wire protocols, so the handlers' SDK
 * clients need nothing but an endpoint (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SQS`).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { createSqsServer } from 'local-aws-sqs';
import { tableDefinition } from '../state/records';

/** Emulators accept any credentials; the SDK still wants some. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface EmulatorOptions {
  /** @default 'harrier-local' */
  tableName?: string;
  /** @default 'harrier-jobs.fifo' */
  queueName?: string;
  /** Seconds a received message stays hidden before it comes back (AWS default 30). @default 30 */
  visibilityTimeoutSeconds?: number;
  /** @default 'us-east-1' */
  region?: string;
}

export interface Emulators {
  dynamoEndpoint: string;
  sqsEndpoint: string;
  tableName: string;
  queueUrl: string;
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  /** The `AWS_ENDPOINT_URL_*` variables that point SDK clients at the emulators. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function endpointOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const region = options.region ?? 'us-east-1';
  const dynamoServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamoServer.listen(0, '127.0.0.1', resolve));
  const sqsServer = await createSqsServer({ port: 0, hostname: '127.0.0.1' });
  const dynamoEndpoint = endpointOf(dynamoServer);
  const sqsEndpoint = endpointOf(sqsServer);
  const dynamo = new DynamoDBClient({ endpoint: dynamoEndpoint, region, credentials: EMULATOR_CREDENTIALS });
  const sqs = new SQSClient({ endpoint: sqsEndpoint, region, credentials: EMULATOR_CREDENTIALS });
  const tableName = options.tableName ?? 'harrier-local';
  await dynamo.send(new CreateTableCommand(tableDefinition(tableName)));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: options.queueName ?? 'harrier-jobs.fifo',
      Attributes: {
        FifoQueue: 'true',
        // De-duplication by the delivery id the webhook handler sets, not by content.
        ContentBasedDeduplication: 'false',
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
      },
    }),
  );
  return {
    dynamoEndpoint,
    sqsEndpoint,
    tableName,
    queueUrl: queue.QueueUrl!,
    dynamo,
    sqs,
    env: { AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint, AWS_ENDPOINT_URL_SQS: sqsEndpoint },
    async stop() {
      dynamo.destroy();
      sqs.destroy();
      await Promise.all([closeServer(dynamoServer), closeServer(sqsServer)]);
    },
  };
}
