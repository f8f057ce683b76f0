/**
 * One autocannon run, in a process of its own so the load it generates does not share the served process's
 * event loop. Reads a LoadSpec as JSON from argv[2] and prints autocannon's figures as one JSON line.
 */
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  path: string;
  method: 'GET' | 'POST';
  token: string;
  connections: number;
  seconds: number;
  /**
   * POST …/advance over instances (each in state `at`) that move back and forth between two states: a request takes
   * a free instance and sends it to the other state; its answer frees it (and, a 2xx, records the move).
   */
  advance?: { instances: Array<{ id: string; at: string }>; states: [string, string] };
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as LoadSpec;
  const headers = { authorization: `Bearer ${spec.token}`, 'content-type': 'application/json' };
  const advance = spec.advance;
  const at = new Map(advance?.instances.map(({ id, at }) => [id, at]));
  const free = [...at.keys()];
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    requests: [
      advance
        ? {
          method: 'POST',
          headers,
          // The context is the connection's request's until its answer (autocannon resets it for the next one).
          setupRequest: (request, context) => {
            // More instances than connections: one is free unless requests were lost without an answer.
            const id = free.shift() ?? [...at.keys()][0];
            const to = advance.states.find((s) => s !== at.get(id))!;
            Object.assign(context, { id, to });
            return { ...request, path: spec.path.replace(':instance_id', id), body: JSON.stringify({ to_state: to }) };
          },
          onResponse: (status, _body, context) => {
            const { id, to } = context as { id: string; to: string };
            if (status < 300) at.set(id, to);
            free.push(id);
          },
        }
        : { method: spec.method, path: spec.path, headers },
    ],
  });
  const answer: LoadResult = {
    rps: result.requests.mean,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  console.log(JSON.stringify(answer));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
