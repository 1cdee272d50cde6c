/**
 * The platform under test: a real `patchbay start --demo` child (see `../support/patchbay-child.ts`)
 * that a test kills with SIGKILL and starts again on the same database and port, so that tokens (whose
 * issuer is the public URL) stay valid and the load can carry on. `ready()` is what the load waits on
 * between calls; an exit nobody asked for is recorded, so a crash of the platform fails the test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { exited, startPatchbayChild, type PatchbayChild } from '../support/patchbay-child.ts';
import { freePort } from '../support/server.ts';

/** A patchbay child that can be killed and started again. */
export interface Platform {
  readonly url: string;
  /** Resolves once the platform is up (at once when it is). */
  ready(): Promise<void>;
  /** Whether a child is running and answered /healthz. */
  isUp(): boolean;
  /** The running child's pid, or null while it is down. */
  pid(): number | null;
  /** SIGKILLs the running child and waits until it has exited. */
  kill(): Promise<void>;
  /** Starts a new child on the same database and port. */
  start(): Promise<void>;
  /** How many children were started. */
  starts(): number;
  /** Exits that were not asked for (a crash), with the child's last output. */
  readonly unexpectedExits: string[];
  /** The last `chars` characters every child printed. */
  output(chars?: number): string;
  /** Stops the running child for good (SIGKILL: the test's checks read the database afterwards). */
  stop(): Promise<void>;
}

/** Starts the first child with `env` on a free port. */
export async function startPlatform(env: Record<string, string>): Promise<Platform> {
  const port = await freePort();
  let current: PatchbayChild | null = null;
  let starts = 0;
  let history = '';
  const unexpectedExits: string[] = [];
  let release: () => void = () => {};
  let gate: Promise<void> = new Promise((resolve) => (release = resolve));
  let url = '';

  const output = (chars = 4_000) => {
    const text = history + (current?.output() ?? '');
    return text.slice(-chars);
  };

  const start = async () => {
    const child = await startPatchbayChild(env, port);
    starts++;
    current = child;
    url = child.url;
    child.child.once('exit', (code, signal) => {
      history += child.output();
      if (current === child) {
        current = null;
        gate = new Promise((resolve) => (release = resolve));
        unexpectedExits.push(`patchbay (pid ${child.child.pid}) exited by itself (code ${code}, signal ${signal}):\n${child.output().slice(-3_000)}`);
      }
    });
    release();
  };

  await start();
  return {
    get url() {
      return url;
    },
    ready: () => gate,
    isUp: () => current !== null,
    pid: () => current?.child.pid ?? null,
    async kill() {
      const child = current;
      if (!child) return;
      current = null;
      gate = new Promise((resolve) => (release = resolve));
      child.child.kill('SIGKILL');
      await exited(child.child);
    },
    start,
    starts: () => starts,
    unexpectedExits,
    output,
    async stop() {
      const child = current;
      if (!child) return;
      current = null;
      child.child.kill('SIGKILL');
      await exited(child.child);
    },
  };
}

/** Resident memory (VmRSS, MiB) and open file descriptors of a Linux process, or null elsewhere. */
export function processFigures(pid: number): { rssMiB: number; fds: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    return Number.isFinite(rssKiB) ? { rssMiB: rssKiB / 1024, fds } : null;
  } catch {
    return null;
  }
}
