/** Entry point of the workflow bundle: every workflow type the worker registers. */
export { instanceWorkflow } from './instance';
export {
  putCalendarWorkflow,
  putTeamWorkflow,
  putUserWorkflow,
  reconcileInstanceWorkflow,
  registerDefinitionWorkflow,
  rotateWebhookSecretWorkflow,
} from './records';
export { effectRetryWorkflow } from './effectRetry';
export { sweepWorkflow } from './sweep';
export { bulkWorkflow } from './bulk';
