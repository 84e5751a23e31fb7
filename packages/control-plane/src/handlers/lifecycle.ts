/**
 * EventBridge `EC2 Instance State-change Notification` → instance record transitions
 * (provisioning → warm on `stopped`, clean-up on `terminated`). A thrown error makes
 * EventBridge/Lambda retry the event; reconcile is the backstop after that.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { onInstanceStateChange, type LifecycleOutcome } from '../domain/lifecycle';
import { getDeps } from './runtime';

export type Ec2StateChangeEvent = EventBridgeEvent<
  'EC2 Instance State-change Notification',
  { 'instance-id': string; state: string }
>;

export async function handler(event: Ec2StateChangeEvent): Promise<LifecycleOutcome> {
  const deps = getDeps('lifecycle');
  try {
    return await onInstanceStateChange(deps, {
      instanceId: event.detail['instance-id'],
      state: event.detail.state,
    });
  } finally {
    deps.telemetry.flush();
  }
}
