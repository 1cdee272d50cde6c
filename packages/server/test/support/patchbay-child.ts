/**
 * A real `patchbay start --demo` process for tests that kill and restart the platform. Every child is
 * remembered so that `killChildren` (run it in `after`) never leaves one running, which would keep the
 * test run alive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './server.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const children = new Set<ChildProcess>();

/** A running child, its URL and everything it printed so far. */
export interface PatchbayChild {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `patchbay start --demo` with `env` on `port` (a free one by default) and waits until /healthz answers. */
export async function startPatchbayChild(env: Record<string, string>, port?: number): Promise<PatchbayChild> {
  const listenPort = port ?? (await freePort());
  const child = spawn(process.execPath, [MAIN, 'start', '--demo', '--port', String(listenPort)], {
    env: { ...process.env, PATCHBAY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${listenPort}`;
  // Up to 20 s: a loaded CI machine starts a child (migrations, key generation) slowly.
  for (let attempt = 0; attempt < 400; attempt++) {
    if (child.exitCode !== null) throw new Error(`patchbay exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { child, url, output: () => output };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`patchbay did not start:\n${output}`);
}

/** Resolves once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Kills every child still running. */
export function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}
