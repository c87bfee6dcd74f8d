import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A start failure an operator fixes in config (a port in use, a port needing privileges): printed
 * as one line naming the setting, without a stack trace (service-main.ts).
 */
export class StartupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/**
 * Listens on `port` (0: any free port) and resolves with the port bound. `setting` names where the
 * port came from (e.g. "gateway.port (or env VIGIL_GATEWAY_PORT)"), so a clash says what to change.
 */
export async function listen(server: Server, port: number, host: string, setting: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      if (error.code === 'EADDRINUSE') reject(new StartupError(`${setting}: ${where} is already in use by another process; stop it or choose another port`, { cause: error }));
      else if (error.code === 'EACCES') reject(new StartupError(`${setting}: not allowed to listen on ${where} (ports below 1024 need privileges); choose another port`, { cause: error }));
      else if (error.code === 'EADDRNOTAVAIL') reject(new StartupError(`${setting}: ${host} is not an address of this machine`, { cause: error }));
      else reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
