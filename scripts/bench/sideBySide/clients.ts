/**
 * The parent's side of clientProcess.ts: forks a client process (through
 * tsx, like the other parts) and calls its commands over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../util.js';
import type { Target } from './relays.js';

const SCRIPT = fileURLToPath(new URL('./clientProcess.ts', import.meta.url));

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
type Event = { event: string; data?: unknown };

export class ClientProcess {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void }
  >();
  private readonly listeners = new Map<string, (data: unknown) => void>();
  private output = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess
  ) {
    child.on('message', (message: Reply | Event) => {
      if ('event' in message) {
        this.listeners.get(message.event)?.(message.data);
        return;
      }
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${name}: ${message.error}`));
    });
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`${name} exited (${code ?? signal}): ${this.output.slice(-1000)}`));
      }
      this.pending.clear();
    });
  }

  static async start(name: string, target: Target): Promise<ClientProcess> {
    const child = fork(SCRIPT, [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc']
    });
    const client = new ClientProcess(name, child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 60_000);
      client.listeners.set('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`${name} exited at start: ${client.output}`));
      });
    });
    await client.call('target', target);
    return client;
  }

  static startMany(count: number, prefix: string, target: Target): Promise<ClientProcess[]> {
    return Promise.all(
      Array.from({ length: count }, (_, i) => ClientProcess.start(`${prefix}${i}`, target))
    );
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  on(event: string, listener: (data: unknown) => void): void {
    this.listeners.set(event, listener);
  }

  call<T = Record<string, unknown>>(cmd: string, args: unknown = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, args });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      await Promise.race([this.call('closeAll'), new Promise((r) => setTimeout(r, 5000))]);
    } catch {
      // it is stopped below either way
    }
    this.child.kill('SIGKILL');
    await exited;
  }
}

export async function stopAll(clients: ClientProcess[]): Promise<void> {
  await Promise.all(clients.map((c) => c.stop()));
}
