/**
 * The platform under test: a real `patchbay start --demo` child (see `../support/patchbay-child.ts`)
 * that a test kills with SIGKILL and starts again on the same database and port, so that tokens (whose
 * issuer is the public URL) stay valid and the load can carry on. `ready()` is what the load waits on
 * between calls; an exit nobody asked for is recorded, so a crash of the platform fails the test.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exited, startPatchbayChild, type PatchbayChild } from '../support/patchbay-child.ts';
import { freePort } from '../support/server.ts';
import { createDevCa, type DevCa } from '../support/tls-fixture.ts';
import type { StoreLocation } from '../../src/store/store.ts';

/**
 * A development CA for the tests' connectors, its certificate written into `dataDir` for the platform
 * to trust.
 */
export async function connectorCa(dataDir: string): Promise<{ ca: DevCa; caFile: string }> {
  const ca = await createDevCa();
  const caFile = path.join(dataDir, 'connector-ca.pem');
  writeFileSync(caFile, ca.caCert);
  return { ca, caFile };
}

/**
 * The settings every reliability platform starts with: its data directory and database, trust in the
 * connectors' CA, webhook and notification deadlines of `timeoutMs` (short, so that a dead process's
 * leases run out soon), quick notification retries, and no notification ever ending FAILED (every one
 * must arrive).
 */
export function platformSettings(database: { dataDir: string; location: StoreLocation }, caFile: string, timeoutMs: number): Record<string, string> {
  return {
    PATCHBAY_DATA_DIR: database.dataDir,
    ...(database.location.kind === 'postgres' ? { PATCHBAY_DATABASE_URL: database.location.url } : {}),
    PATCHBAY_EXTRA_CA_FILE: caFile,
    PATCHBAY_DELIVERY_TIMEOUT_MS: String(timeoutMs),
    PATCHBAY_NOTIFICATION_TIMEOUT_MS: String(timeoutMs),
    PATCHBAY_NOTIFICATION_RETRY_BASE_MS: '100',
    PATCHBAY_NOTIFICATION_MAX_ATTEMPTS: '100000',
  };
}

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
