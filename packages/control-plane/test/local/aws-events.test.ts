import assert from 'node:assert/strict';
import { apiGatewayV2Event, queueArnFromUrl, sqsEvent } from '../../src/local/aws-events';

describe('AWS event shapes for the handlers', () => {
  it('hands a webhook over as API Gateway v2 does: lower-cased headers, text body as is, caller as sourceIp', () => {
    const event = apiGatewayV2Event({
      method: 'POST',
      rawPath: '/webhook',
      headers: {
        'X-Hub-Signature-256': 'sha256=ab',
        'Content-Type': 'application/json',
        'X-Multi': ['a', 'b'],
      },
      body: '{"action":"queued"}',
      sourceIp: '140.82.115.36',
      now: Date.UTC(2026, 0, 5),
    });
    assert.equal(event.version, '2.0');
    assert.equal(event.routeKey, 'POST /webhook');
    assert.equal(event.headers['x-hub-signature-256'], 'sha256=ab');
    assert.equal(event.headers['x-multi'], 'a,b');
    assert.equal(event.body, '{"action":"queued"}');
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.requestContext.http.sourceIp, '140.82.115.36');
    assert.equal(event.requestContext.timeEpoch, Date.UTC(2026, 0, 5));
  });

  it('base64-encodes a body whose content type is not text, as API Gateway does', () => {
    const event = apiGatewayV2Event({
      method: 'POST',
      rawPath: '/webhook',
      headers: { 'content-type': 'application/octet-stream' },
      body: 'raw',
      sourceIp: '127.0.0.1',
      now: 0,
    });
    assert.equal(event.isBase64Encoded, true);
    assert.equal(Buffer.from(event.body!, 'base64').toString(), 'raw');
  });

  it('builds an SQS event-source-mapping batch with the FIFO attributes', () => {
    const event = sqsEvent(
      [
        {
          MessageId: 'm1',
          ReceiptHandle: 'r1',
          Body: '{"jobId":1}',
          Attributes: { MessageGroupId: '1', MessageDeduplicationId: 'd1', ApproximateReceiveCount: '2' },
        },
      ],
      queueArnFromUrl('http://127.0.0.1:1234/000000000000/harrier-jobs.fifo'),
      0,
    );
    const record = event.Records[0]!;
    assert.equal(record.messageId, 'm1');
    assert.equal(record.body, '{"jobId":1}');
    assert.equal(record.attributes.MessageGroupId, '1');
    assert.equal(record.attributes.ApproximateReceiveCount, '2');
    assert.equal(record.eventSource, 'aws:sqs');
    assert.match(record.eventSourceARN, /:harrier-jobs\.fifo$/);
  });
});
