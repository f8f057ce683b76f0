/** An outbox row to write: its idempotency key makes a repeat a no-op. */
export interface NewNotification {
  idemKey: string;
  instanceId: string;
  template: string;
  recipient: Record<string, unknown>;
  payload: Record<string, unknown>;
}
