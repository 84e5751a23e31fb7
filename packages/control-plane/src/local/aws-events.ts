/**
 * The event shapes AWS hands to Harrier's Lambdas, built exactly as the services build them:
 * API Gateway HTTP API (payload format 2.0) for `POST /webhook`, an SQS event-source-mapping batch
 * for the FIFO job queue. (EventBridge EC2 state-change events come from the AWS stand-in.)
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSEvent, SQSRecord } from 'aws-lambda';

export interface HttpRequestLike {
  method: string;
  /** Path with query string, e.g. `/webhook`. */
  rawPath: string;
  rawQueryString?: string;
  /** Header names as received; API Gateway lower-cases them and joins repeated ones with commas. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
  sourceIp: string;
  userAgent?: string;
  /** Epoch ms the request arrived. */
  now: number;
}

/** API Gateway v2 hands text bodies over as they are and binary ones base64-encoded. */
function isTextual(contentType: string | undefined): boolean {
  return (
    contentType === undefined || /^(application\/(json|x-www-form-urlencoded)|text\/)/i.test(contentType)
  );
}

export function apiGatewayV2Event(request: HttpRequestLike): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const textual = isTextual(headers['content-type']);
  const time = new Date(request.now);
  return {
    version: '2.0',
    routeKey: 'POST /webhook',
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString ?? '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'harrierlocal',
      domainName: 'harrierlocal.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'harrierlocal',
      http: {
        method: request.method,
        path: request.rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: request.userAgent ?? headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: 'POST /webhook',
      stage: '$default',
      time: time.toUTCString(),
      timeEpoch: request.now,
    },
    body: textual ? request.body : Buffer.from(request.body).toString('base64'),
    isBase64Encoded: !textual,
  };
}

/** An SQS event-source-mapping batch, as Lambda receives it for a FIFO queue. */
export function sqsEvent(messages: Message[], queueArn: string, now: number): SQSEvent {
  return {
    Records: messages.map((message): SQSRecord => ({
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: message.Attributes?.SentTimestamp ?? String(now),
        SenderId: message.Attributes?.SenderId ?? 'AROAHARRIERWEBHOOK',
        ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(now),
        MessageGroupId: message.Attributes?.MessageGroupId,
        MessageDeduplicationId: message.Attributes?.MessageDeduplicationId,
        SequenceNumber: message.Attributes?.SequenceNumber,
      },
      messageAttributes: {},
      md5OfBody:
        message.MD5OfBody ??
        createHash('md5')
          .update(message.Body ?? '')
          .digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
    })),
  };
}

/** `arn:aws:sqs:<region>:<account>:<name>` from a queue URL. */
export function queueArnFromUrl(queueUrl: string): string {
  const name = queueUrl.split('/').pop() ?? 'queue';
  return `arn:aws:sqs:us-east-1:123456789012:${name}`;
}
