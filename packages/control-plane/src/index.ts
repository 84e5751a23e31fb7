/**
 * The control plane's public surface for local mode, the simulator and infra: the domain
 * functions the four Lambda handlers call, with their dependencies passed in.
 */
export { parseConfig, ConfigError, ENV_VARS, type Config } from './config';
export {
  TAG,
  jitParameterName,
  JIT_PARAMETER_OWNER_TAG,
  instanceArn,
  MAX_WEBHOOK_BODY_BYTES,
  type AwsAccount,
} from './constants';
export { createAwsClients, documentClient, type AwsClients } from './aws/clients';
export { SecretCache } from './aws/secrets';
export { GitHubClient, parseCredential, fetchHookRanges } from './github/client';
export { StateStore } from './state/store';
export { tableDefinition, type InstanceRecord, type JobRecord, type InstanceState } from './state/records';
export type { Deps } from './domain/deps';
export { jobEventFromPayload, poolServes, type JobEvent } from './domain/job-event';
export { scaleUp, type ScaleUpOutcome } from './domain/scale-up';
export {
  onJobInProgress,
  onJobCompleted,
  onInstanceStateChange,
  type LifecycleOutcome,
} from './domain/lifecycle';
export { processJobMessages, handleJobEvent, type QueueMessage, type BatchResult } from './domain/dispatch';
export { reconcile, planTerminations, type ReconcileReport } from './domain/reconcile';
export { redriveJob } from './domain/redrive';
export { handleWebhook, type WebhookDeps, type WebhookRequest, type WebhookResponse } from './webhook/handle';
export { HookAllowList } from './webhook/allow-list';
export {
  recordingTelemetry,
  powertoolsTelemetry,
  METRIC,
  type Telemetry,
  type RecordedTelemetry,
} from './telemetry';
export { NoCapacityError, isRetryable } from './errors';
