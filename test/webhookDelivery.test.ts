import { lookup } from 'node:dns/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliverWebhook } from '../src/webhooks/deliver';
import { egressPolicy } from '../src/webhooks/egressPolicy';

// The name service under the test's control: what a DNS server under an attacker's control could answer.
jest.mock('node:dns/promises', () => ({ lookup: jest.fn() }));
const answers = lookup as unknown as jest.Mock;

let receiver: http.Server;
let port: number;
const hosts: string[] = [];

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => receiver.close(resolve)));
beforeEach(() => answers.mockReset());

const send = (url: string, allow: string) =>
  deliverWebhook({ url, body: '{}', headers: { 'content-type': 'application/json' }, timeoutMs: 5000 }, egressPolicy(allow));

test('the connection goes to the address that was checked: the name is resolved once, and keeps its Host header', async () => {
  // A name no resolver knows: were it looked up a second time to connect (a rebinding chance), the send would fail.
  answers.mockResolvedValue([{ address: '127.0.0.1', family: 4 }]);
  await send(`http://rebind.invalid:${port}/hook`, '127.0.0.0/8');
  expect(answers).toHaveBeenCalledTimes(1);
  expect(hosts.at(-1)).toBe(`rebind.invalid:${port}`);
});

test('every address of the name is checked: one internal address among public ones refuses the target', async () => {
  answers.mockResolvedValue([
    { address: '93.184.216.34', family: 4 },
    { address: '10.0.0.5', family: 4 },
  ]);
  await expect(send(`http://mixed.invalid:${port}/hook`, '')).rejects.toThrow(
    'webhook target 10.0.0.5 (mixed.invalid) is not allowed: private address; allow it with HERA_WEBHOOK_ALLOW',
  );
  expect(hosts).not.toContain(`mixed.invalid:${port}`);
});
