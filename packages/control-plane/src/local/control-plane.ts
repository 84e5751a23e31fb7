/**
 * The four Lambda entry points as one interface, so local mode can call the real handler modules
 * (configured through the environment, exactly as infra configures them) while the simulator calls
 * the same domain functions with a virtual clock.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Ec2StateChangeEvent } from '../standins/aws';

export interface ControlPlane {
  webhook(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2>;
  jobs(event: SQSEvent): Promise<SQSBatchResponse>;
  lifecycle(event: Ec2StateChangeEvent): Promise<unknown>;
  reconcile(): Promise<unknown>;
}

/**
 * Imports the real handlers (`src/handlers/*.ts`). Call only after `process.env` holds the
 * configuration: each handler parses it once, on its first invocation.
 */
export async function loadHandlers(): Promise<ControlPlane> {
  const [webhook, scaleUp, lifecycle, reconcile] = await Promise.all([
    import('../handlers/webhook'),
    import('../handlers/scale-up'),
    import('../handlers/lifecycle'),
    import('../handlers/reconcile'),
  ]);
  return {
    webhook: (event) => webhook.handler(event),
    jobs: (event) => scaleUp.handler(event),
    lifecycle: (event) => lifecycle.handler(event),
    reconcile: () => reconcile.handler(),
  };
}
