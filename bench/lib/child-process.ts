/**
 * Node child processes that a benchmark drives over IPC: the child calls `serveParent` with its
 * methods and what it reports when ready; the parent calls `startNodeChild`, then `call(method, ...)`
 * and finally `stop()`, which runs the child's `stop` method (if any) and lets it exit normally, so a
 * child started with `--cpu-prof` writes its profile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { track } from './progress.ts';

type Handler = (...args: never[]) => unknown;

interface CallMessage {
  id: number;
  method: string;
  args: unknown[];
}

interface ReplyMessage {
  id: number;
  result?: unknown;
  error?: string;
}

/** Child side: answers the parent's calls with `handlers`, then says it is ready with `ready`. */
export function serveParent(handlers: Record<string, Handler>, ready: unknown): void {
  if (!process.send) throw new Error('serveParent: this process was not started with an IPC channel');
  const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, undefined, undefined, () => resolve()));
  process.on('message', (message: CallMessage) => {
    void (async () => {
      const handler = handlers[message.method];
      const builtin = message.method === 'cpu' ? () => process.cpuUsage() : message.method === 'stop' ? () => undefined : undefined;
      let reply: ReplyMessage;
      try {
        if (!handler && !builtin) throw new Error(`no method ${message.method}`);
        reply = { id: message.id, result: await (handler ?? builtin!)(...(message.args as never[])) };
      } catch (error) {
        reply = { id: message.id, error: (error as Error).stack ?? String(error) };
      }
      await send(reply);
      if (message.method === 'stop') {
        process.disconnect();
        // A normal exit (not a signal), so --cpu-prof writes its profile.
        process.exit(0);
      }
    })();
  });
  // The parent went away: nobody will ever stop us.
  process.on('disconnect', () => process.exit(0));
  void send({ ready });
}

/** Parent side of one child. */
export interface NodeChild<Ready> {
  readonly pid: number;
  readonly ready: Ready;
  /** Calls one of the child's methods; rejects with the child's error. */
  call<T>(method: string, ...args: unknown[]): Promise<T>;
  /** The child's user + system CPU time so far, in µs. */
  cpuMicros(): Promise<number>;
  /** Runs the child's `stop`, waits for it to exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node [execArgv] file` with an IPC channel and waits for its `ready` message. The child's stdout
 * goes to ours unless `stdout: 'ignore'` (e.g. a server logging every request).
 */
export async function startNodeChild<Ready>(file: string, options: { name: string; env?: NodeJS.ProcessEnv; execArgv?: string[]; readyTimeoutMs?: number; stdout?: 'inherit' | 'ignore' }): Promise<NodeChild<Ready>> {
  const child: ChildProcess = spawn(process.execPath, [...(options.execArgv ?? []), file], {
    env: options.env ?? process.env,
    stdio: ['ignore', options.stdout ?? 'inherit', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  // Killed by the benchmark's watchdog if the run overruns its bound.
  track(child);
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    errors += chunk.toString('utf8');
    if (errors.length > 20_000) errors = errors.slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let readyValue: { value: Ready } | null = null;
  const ready = new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} was not ready within ${options.readyTimeoutMs ?? 30_000} ms:\n${errors}`)), options.readyTimeoutMs ?? 30_000);
    child.on('message', (message: { ready?: Ready } & ReplyMessage) => {
      if ('ready' in message) {
        clearTimeout(timer);
        readyValue = { value: message.ready as Ready };
        resolve(message.ready as Ready);
        return;
      }
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`${options.name}: ${message.error}`));
      else waiter.resolve(message.result);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      const failure = new Error(`${options.name} exited (code ${code}):\n${errors}`);
      if (!readyValue) reject(failure);
      for (const waiter of pending.values()) waiter.reject(failure);
      pending.clear();
    });
  });
  const value = await ready;
  const call = <T>(method: string, ...args: unknown[]) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, method, args } satisfies CallMessage);
    });
  return {
    pid: child.pid!,
    ready: value,
    call,
    async cpuMicros() {
      const usage = await call<NodeJS.CpuUsage>('cpu');
      return usage.user + usage.system;
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await call('stop').catch(() => {});
      await exited;
      clearTimeout(killer);
    },
  };
}
