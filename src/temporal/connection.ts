import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { NativeConnection } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import { tracingOn } from '../tracing';
import { searchAttributeTypes } from './searchAttributes';
import { ResendUnprocessedUpdates } from './unprocessedUpdates';

function connectionOptions(config: Config): { address: string; tls?: object; apiKey?: string } {
  return {
    address: config.TEMPORAL_ADDRESS,
    tls: config.TEMPORAL_TLS === 'true' || config.TEMPORAL_API_KEY ? {} : undefined,
    apiKey: config.TEMPORAL_API_KEY,
  };
}

/**
 * Updates rejected unprocessed are sent again. With tracing on, each start, Update, Signal and query is a span
 * whose context travels to the workflow in its headers.
 */
export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(config));
  const workflow = [new ResendUnprocessedUpdates(), ...(tracingOn() ? [new OpenTelemetryWorkflowClientInterceptor()] : [])];
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: { workflow } });
}

export function connectWorkerConnection(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}

const indexedValueType = temporal.api.enums.v1.IndexedValueType;
const typeByName = {
  Keyword: indexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Bool: indexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: indexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Int: indexedValueType.INDEXED_VALUE_TYPE_INT,
};

/**
 * Registers HERA's search attributes in the namespace if any is missing: a workflow that upserts an unknown
 * attribute fails its workflow task forever, so workers check before they poll.
 */
export async function ensureSearchAttributes(client: Client): Promise<void> {
  const { operatorService } = client.connection;
  const namespace = client.options.namespace;
  const { customAttributes } = await operatorService.listSearchAttributes({ namespace });
  const missing = Object.entries(searchAttributeTypes).filter(([name]) => !(name in (customAttributes ?? {})));
  if (missing.length === 0) return;
  await operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, typeByName[type]])),
  });
}
