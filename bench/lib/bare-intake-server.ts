/**
 * The machine's ceiling for a Node intake: a bare node:http server in a child process that reads each
 * POST body, JSON.parses it and answers 202 with a body the size of Vigil's, and does nothing else (no
 * routing, validation, store or alert). Driven by the same senders and bodies as the intake variants,
 * it shows how many requests per second one Node process can take on this machine at all, so the
 * intake's figure can be read against it rather than against a number from elsewhere.
 *
 * Started by BareIntakeServer.start() as `node bench/lib/bare-intake-server.ts` with an IPC channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BenchResource } from './resources.js';

const ANSWER = JSON.stringify({ accepted: 1, stored: 0, duplicates: 1, alerts: 0, ignored: 0 });

export class BareIntakeServer implements BenchResource {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(): Promise<BareIntakeServer> {
    const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message) => resolve(Number(message)));
      child.once('exit', (code) => reject(new Error(`bare intake server exited with ${code} before listening`)));
    });
    return new BareIntakeServer(child, `http://127.0.0.1:${port}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

function serve(): void {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(202, { 'content-type': 'application/json; charset=utf-8' }).end(ANSWER);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  process.on('disconnect', () => process.exit(0));
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) serve();
