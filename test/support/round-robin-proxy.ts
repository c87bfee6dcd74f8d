import { connect, createServer, type Server, type Socket } from 'node:net';

export interface RoundRobinProxy {
  port: number;
  /** Which backend port each accepted connection went to, in order. */
  readonly routed: number[];
  close(): Promise<void>;
}

/**
 * A TCP load balancer in front of replicas, as a Kubernetes Service (kube-proxy) or a Compose
 * service with replicas is: each new connection goes to the next backend, and a backend that
 * refuses the connection (a killed replica) is skipped. Established connections are not moved:
 * when a replica dies, its connections break and the client reconnects.
 */
export async function startRoundRobinProxy(backends: readonly number[]): Promise<RoundRobinProxy> {
  let next = 0;
  const routed: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const tryBackend = (attempt: number): void => {
      if (attempt >= backends.length) return void client.destroy();
      const port = backends[next++ % backends.length] as number;
      const upstream = connect({ port, host: '127.0.0.1' });
      let connected = false;
      upstream.on('error', () => {
        upstream.destroy();
        if (connected) client.destroy();
        else tryBackend(attempt + 1);
      });
      upstream.once('connect', () => {
        connected = true;
        routed.push(port);
        sockets.add(upstream);
        client.on('error', () => upstream.destroy());
        upstream.once('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    routed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
