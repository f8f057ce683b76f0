import { Command, Option } from 'commander';
import { clientOf, nextPageHint, print, queryOf, withApiOptions, type ApiOptions } from '../api/options';
import { formatTable } from '../output/table';

type Row = Record<string, any>;

export const auditCommand = withApiOptions(
  new Command('audit')
    .description('the audit trail, newest first (GET /api/v1/audit)')
    .option('--instance-id <uuid>', 'only events of this instance')
    .option('--procedure-code <code>', 'only this procedure, e.g. HERA.UNIV.WF.INSTANCE.PAUSE.V1')
    .addOption(new Option('--outcome <outcome>', 'only successes or refusals').choices(['SUCCESS', 'REFUSED']))
    .option('--bulk-job-id <uuid>', 'only the instance changes this bulk job made')
    .option('--limit <n>', 'page size (at most 500; default 50)')
    .option('--cursor <cursor>', 'the next page, as a previous answer’s next_cursor'),
)
  .addHelpText('after', '\nExample:\n  $ hera audit --outcome REFUSED --limit 20\n')
  .action(async (options: ApiOptions) => {
    const { body } = await clientOf(options).get('/api/v1/audit', queryOf(options, ['instance_id', 'procedure_code', 'outcome', 'bulk_job_id', 'limit', 'cursor']));
    print(
      options,
      body,
      (b) =>
        formatTable<Row>(
          [
            { header: 'created_at', value: (e) => e.created_at },
            { header: 'procedure', value: (e) => e.procedure_code },
            { header: 'outcome', value: (e) => e.outcome },
            { header: 'error', value: (e) => e.error_code },
            { header: 'actor', value: (e) => e.actor_user_id },
            { header: 'instance_id', value: (e) => e.instance_id },
            { header: 'reason', value: (e) => e.reason },
          ],
          b.events,
        ) + nextPageHint(b.pagination),
    );
  });
