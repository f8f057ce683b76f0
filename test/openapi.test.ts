import { loadContracts } from '../src/procedures/contracts';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

test('the OpenAPI document describes every route of every contract, with its inputs and declared errors', async () => {
  const res = await h.request('GET', '/api/v1/openapi.json');
  expect(res.status).toBe(200);
  expect(res.body.openapi).toBe('3.1.0');
  for (const contract of loadContracts()) {
    for (const route of contract.routes) {
      const operation = res.body.paths[route.path.replace(/:([a-z_]+)/g, '{$1}')]?.[route.method.toLowerCase()];
      expect({ route: `${route.method} ${route.path}`, summary: operation?.summary }).toEqual({ route: `${route.method} ${route.path}`, summary: contract.smart_code });
      for (const status of Object.values(contract.errors)) expect(operation.responses[String(status)]).toBeDefined();
    }
  }
  const list = res.body.paths['/api/v1/workflows'].get;
  expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['current_state', 'sort_by', 'cursor']));
  const advance = res.body.paths['/api/v1/workflows/{instance_id}/advance'].post;
  expect(advance.requestBody.content['application/json'].schema.properties).toHaveProperty('to_state');
  expect(advance.responses['403'].description).toContain('UNAUTHORIZED_ROLE');
  // The gates before every procedure are documented on every route.
  for (const [status, code] of [['413', 'PAYLOAD_TOO_LARGE'], ['429', 'RATE_LIMITED'], ['503', 'DATABASE_UNAVAILABLE']]) {
    expect(advance.responses[status].description).toContain(code);
  }
});

test('Swagger UI is served at /docs', async () => {
  const page = await h.request('GET', '/docs');
  expect(page.status).toBe(200);
  expect(page.body).toContain('/api/v1/openapi.json');
  const bundle = await fetch(`${h.api.url}/docs/swagger-ui-bundle.js`);
  expect(bundle.status).toBe(200);
});
