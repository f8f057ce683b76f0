import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

/**
 * The engine benchmark's floor: the least Temporal work a start and three advances can be. Started with
 * update-with-start (its Update answers once the workflow runs), then three Updates that each run one no-op
 * activity and answer after it; the workflow completes after the third, as an instance does in its terminal state.
 */
export const bareStartUpdate = defineUpdate<string>('bareStart');
export const bareStepUpdate = defineUpdate<number>('bareStep');

export interface BareActivities {
  noop(): Promise<void>;
}

const { noop } = proxyActivities<BareActivities>({ startToCloseTimeout: '1 minute' });

export async function bareWorkflow(steps: number): Promise<void> {
  let done = 0;
  setHandler(bareStartUpdate, () => 'started');
  setHandler(bareStepUpdate, async () => {
    await noop();
    done += 1;
    return done;
  });
  await condition(() => done >= steps);
}
