import type { DefinitionInput } from '../definitions/schema';
import { effectCodes } from '../definitions/registry';

export const chaosDefinitionCode = 'CHAOS_FLOW';
export const finalState = 'APPROVED';
export const timerName = 'review_delay';

/** The transitions every instance takes, in order; each queues one webhook and one NOTIFY effect unless noted. */
export const expectedTransitions = [
  { from: null, to: 'DRAFT', effects: false },
  { from: 'DRAFT', to: 'SUBMITTED', effects: true },
  { from: 'SUBMITTED', to: 'WAITING', effects: true },
  { from: 'WAITING', to: 'REVIEW', effects: false },
  { from: 'REVIEW', to: 'APPROVED', effects: true },
] as const;

/**
 * The definition the load drives: an employee submits and sends to WAITING, whose timer (2 s) moves it to
 * REVIEW, where a manager's task is claimed and completed with the advance to APPROVED.
 */
export function chaosDefinition(webhookUrl: string): DefinitionInput {
  const effects = [
    { code: effectCodes.webhook, with: { url: webhookUrl, timeout_ms: 5000 } },
    { code: effectCodes.notify, with: { template: 'chaos_step', to_role: 'manager' } },
  ];
  return {
    code: chaosDefinitionCode,
    version: 1,
    description: 'Chaos run: three transitions with a webhook and a notice each, a timer and a task',
    states: ['DRAFT', 'SUBMITTED', 'WAITING', 'REVIEW', 'APPROVED'],
    initial_state: 'DRAFT',
    terminal_states: [finalState],
    transitions: [
      { from: 'DRAFT', to: 'SUBMITTED', by: ['employee'], effects },
      { from: 'SUBMITTED', to: 'WAITING', by: ['employee'], effects },
      { from: 'WAITING', to: 'REVIEW', by: ['employee', 'system'] },
      { from: 'REVIEW', to: 'APPROVED', by: ['manager'], effects },
    ],
    timers: [{ on_enter: 'WAITING', name: timerName, duration: 'PT2S', on_fire: { advance_to: 'REVIEW' } }],
    tasks: [{ on_enter: 'REVIEW', title: 'Chaos review', assignee_role: 'manager', priority: 'high' }],
    effect_retry: { max_attempts: 8, initial_interval: 'PT1S', backoff: 2, max_interval: 'PT5S' },
  };
}
