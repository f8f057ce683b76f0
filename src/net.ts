import net from 'node:net';

/** Below the kernel's ephemeral ports (32768+ on Linux, 49152+ elsewhere). */
const [low, high] = [20_000, 32_000];

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port free on 127.0.0.1 at the time of asking, for a process started later. It is chosen below the
 * ephemeral range, so between now and then the kernel gives it to no other socket (an outgoing connection, or a
 * server such as the Temporal dev server binding port 0 for one of its own).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${low} and ${high} on 127.0.0.1`);
}
