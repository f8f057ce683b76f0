import { readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { Command } from 'commander';
import { workflowInterceptorModules, workflowSpanSinks } from '../../temporal/tracing';
import { workflowsPath } from '../../worker';

/** A recorded history: the workflow id and the history as `historyToJSON` writes it. */
export interface RecordedHistory {
  workflow_id: string;
  history: unknown;
}

export const replayCommand = new Command('replay')
  .description('replay recorded workflow histories against this code; exits 1 if any is no longer deterministic')
  .argument('<files...>', 'JSON files of {workflow_id, history}')
  .action(async (files: string[]) => {
    const histories = files.map((file) => {
      const recorded = JSON.parse(readFileSync(file, 'utf8')) as RecordedHistory;
      // The replayer accepts the CLI's JSON history as it is.
      return { file, workflowId: recorded.workflow_id, history: recorded.history };
    });
    let failed = 0;
    // Always this checkout's code, never a prebuilt bundle (HERA_WORKFLOW_BUNDLE): replay checks the code as it is,
    // with the interceptors the workers run.
    const results = Worker.runReplayHistories({ workflowsPath, interceptors: { workflowModules: workflowInterceptorModules }, sinks: workflowSpanSinks() }, histories);
    for await (const result of results) {
      const file = histories.find((h) => h.workflowId === result.workflowId)?.file;
      if (result.error) failed += 1;
      process.stdout.write(`${result.error ? 'FAIL' : 'ok  '} ${file} ${result.error ? String(result.error.message) : ''}\n`);
    }
    if (failed) throw new Error(`${failed} of ${histories.length} histories no longer replay`);
  });
