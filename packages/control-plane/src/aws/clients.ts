/**
 * AWS SDK clients. Handlers create them once per Lambda container (module scope) and pass them
 * into the domain functions, which is also how tests and local mode hand in emulators and fakes.
 * Endpoints come from the SDK's own `AWS_ENDPOINT_URL_<SERVICE>` variables when set.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClients {
  db: DynamoDBDocumentClient;
  ec2: EC2Client;
  ssm: SSMClient;
  secrets: SecretsManagerClient;
  sqs: SQSClient;
}

/** Wraps a low-level DynamoDB client the way the store expects (undefined attributes dropped). */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createAwsClients(): AwsClients {
  return {
    db: documentClient(new DynamoDBClient({})),
    ec2: new EC2Client({}),
    ssm: new SSMClient({}),
    secrets: new SecretsManagerClient({}),
    sqs: new SQSClient({}),
  };
}
