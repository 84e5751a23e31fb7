/** API Gateway (HTTP API, payload v2) → one SQS send per accepted workflow_job delivery. */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { HOOK_RANGES_FETCH_TIMEOUT_MS } from '../constants';
import { fetchHookRanges } from '../github/client';
import { HookAllowList } from '../webhook/allow-list';
import { handleWebhook } from '../webhook/handle';
import { getRuntime } from './runtime';

let allowList: HookAllowList | undefined;

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> {
  const { config, clients, secrets, telemetry } = getRuntime('webhook');
  allowList ??= new HookAllowList(() => fetchHookRanges(config.github.apiUrl, HOOK_RANGES_FETCH_TIMEOUT_MS));
  try {
    const response = await handleWebhook(
      {
        config,
        sqs: clients.sqs,
        secret: () => secrets.get(config.github.webhookSecretArn),
        allowList,
        telemetry,
      },
      {
        headers: event.headers ?? {},
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
        sourceIp: event.requestContext?.http?.sourceIp,
      },
    );
    return { ...response, headers: { 'content-type': 'application/json' } };
  } finally {
    telemetry.flush();
  }
}
