import { Command } from 'commander';
import { writeWorkflowBundle } from '../../worker';

export const bundleCommand = new Command('bundle')
  .description('bundle the workflow code into FILE; workers given HERA_WORKFLOW_BUNDLE=FILE start without bundling')
  .argument('<file>', 'where to write the bundle (JavaScript)')
  .action(async (file: string) => {
    await writeWorkflowBundle(file);
    process.stdout.write(`${file}\n`);
  });
