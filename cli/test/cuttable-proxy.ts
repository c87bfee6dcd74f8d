import { createServer, connect, type Socket } from 'node:net';

/**
 * Fault injection for the CLI's resume test: a TCP proxy in front of the gateway whose
 * connections can be cut (as a network drop or a load balancer restart would) and refused for a
 * while. Everything else is the real gateway.
 */
export interface CuttableProxy {
  url(path: string, scheme?: 'http' | 'ws'): string;
  /** Destroys every open connection; with `refuseMs`, new ones are refused for that long. */
  cut(refuseMs?: number): void;
  connections(): number;
  close(): Promise<void>;
}

export async function startCuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const open = new Set<Socket>();
  let refuseUntil = 0;
  const server = createServer((client) => {
    if (Date.now() < refuseUntil) return void client.destroy();
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    open.add(client);
    const drop = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    url: (path, scheme = 'http') => `${scheme}://127.0.0.1:${address.port}${path}`,
    cut(refuseMs = 0) {
      refuseUntil = Date.now() + refuseMs;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    connections: () => open.size,
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
