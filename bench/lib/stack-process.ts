import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FleetParams, RedisParams, StackInfo, StackRequest, StackRequests, StackRequestType, StackResponse, StartParams } from './stack-protocol.js';

const SERVER = fileURLToPath(new URL('../stack-server.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A stack-server child process and a typed request/response channel to it. */
export class StackProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private exited: Error | null = null;
  readonly exit: Promise<void>;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    readonly secret: string,
  ) {
    child.on('message', (message: StackResponse) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${label}: ${message.error}`));
    });
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = new Error(`${label}: stack process exited (code ${code}, signal ${signal})`);
        for (const waiter of this.pending.values()) waiter.reject(this.exited);
        this.pending.clear();
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Forks bench/stack-server.ts under tsx with --expose-gc and starts the stack in it (see StartParams). */
  static async launch(
    label: string,
    options: ({ localHostId: string | null; redis?: RedisParams } | { fleet: FleetParams }) &
      Pick<StartParams, 'alertLogMaxLength' | 'env' | 'auth' | 'webhookToken' | 'logFile' | 'victoriaLogsUrl' | 'subscriptions' | 'queryPlanner' | 'tracingEndpoint'> & { timeoutMs?: number },
  ): Promise<{ process: StackProcess; info: StackInfo }> {
    // tsx resolved here, not by the child's cwd; `--import tsx` registers its ESM and CJS hooks (Node 20.6+).
    const tsx = import.meta.resolve('tsx');
    const child = fork(SERVER, [], {
      cwd: REPO_ROOT,
      execArgv: ['--expose-gc', '--import', tsx],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    const stackProcess = new StackProcess(label, child, randomBytes(32).toString('hex'));
    try {
      const params: StartParams = {
        secret: stackProcess.secret,
        ...('fleet' in options ? { fleet: options.fleet } : { localHostId: options.localHostId, ...(options.redis ? { redis: options.redis } : {}) }),
        ...(options.alertLogMaxLength === undefined ? {} : { alertLogMaxLength: options.alertLogMaxLength }),
        ...(options.env === undefined ? {} : { env: options.env }),
        ...(options.auth === undefined ? {} : { auth: options.auth }),
        ...(options.webhookToken === undefined ? {} : { webhookToken: options.webhookToken }),
        ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
        ...(options.victoriaLogsUrl === undefined ? {} : { victoriaLogsUrl: options.victoriaLogsUrl }),
        ...(options.subscriptions === undefined ? {} : { subscriptions: options.subscriptions }),
        ...(options.queryPlanner === undefined ? {} : { queryPlanner: options.queryPlanner }),
        ...(options.tracingEndpoint === undefined ? {} : { tracingEndpoint: options.tracingEndpoint }),
      };
      const info = await stackProcess.call('start', params, options.timeoutMs ?? 60_000);
      return { process: stackProcess, info };
    } catch (error) {
      await stackProcess.stop();
      throw error;
    }
  }

  call<K extends StackRequestType>(type: K, params: StackRequests[K]['params'], timeoutMs = 60_000): Promise<StackRequests[K]['result']> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    const request = { id, type, params } as StackRequest;
    return new Promise<StackRequests[K]['result']>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: ${type} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as StackRequests[K]['result']);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send(request, (error) => {
        if (error) this.pending.get(id)?.reject(error);
      });
    });
  }

  /** Asks the child to stop the stack and exit; kills it (by its pid) if it has not within the grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    const killed = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      await this.call('stop', {}, graceMs).catch(() => undefined);
      if (this.child.connected) this.child.disconnect();
      await this.exit;
    } finally {
      clearTimeout(killed);
    }
  }

  /** Synchronous last resort (process exit handlers). */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
