/** EventBridge schedule (every minute) → one reconcile pass. */
import { reconcile, type ReconcileReport } from '../domain/reconcile';
import { getDeps } from './runtime';

export async function handler(): Promise<ReconcileReport> {
  const deps = getDeps('reconcile');
  try {
    return await reconcile(deps);
  } finally {
    deps.telemetry.flush();
  }
}
