/**
 * What a benchmark tells `bench/run.ts` while it runs: its time bound, its phases (what it is doing now),
 * its notes (a figure just measured) and what it owns (a database or directory to remove if it is
 * killed). Under the runner (BENCH_PROGRESS_FD set) each is one JSON line on that file descriptor, so the
 * benchmark's own stdout stays free-form; run alone, a phase prints as "— phase" and a note as itself.
 *
 * The bound is also kept by the benchmark itself, runner or not: a few seconds after it, a watchdog kills
 * the child processes the benchmark started (`track`), removes what it owns and exits with status 1.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Something the runner removes if it has to kill the benchmark before it cleaned up itself. */
export type OwnedResource = { kind: 'postgres-database'; name: string; adminUrl: string } | { kind: 'directory'; path: string };

/** One line of the progress channel. */
export type ProgressMessage =
  | { type: 'bound'; ms: number }
  | { type: 'phase'; name: string }
  | { type: 'note'; text: string }
  | { type: 'owns'; resource: OwnedResource }
  | { type: 'released'; resource: OwnedResource };

/** The environment variable naming the descriptor the runner reads progress from. */
export const PROGRESS_FD_VARIABLE = 'BENCH_PROGRESS_FD';

const fd = process.env[PROGRESS_FD_VARIABLE] ? Number(process.env[PROGRESS_FD_VARIABLE]) : null;

/** Child processes to kill, and resources to remove, if the watchdog fires. */
const children = new Set<ChildProcess>();
const ownedHere = new Map<string, OwnedResource>();
const keyOf = (resource: OwnedResource) => (resource.kind === 'directory' ? resource.path : resource.name);
/** The runner kills at the bound; the benchmark's own watchdog fires this much later (it covers runs without the runner). */
const WATCHDOG_GRACE_MS = 5_000;
let watchdog: NodeJS.Timeout | null = null;

function send(message: ProgressMessage): boolean {
  if (fd === null) return false;
  try {
    writeSync(fd, `${JSON.stringify(message)}\n`);
    return true;
  } catch {
    // The runner went away: progress is best effort, the benchmark carries on.
    return false;
  }
}

/**
 * Declares how long the whole benchmark may take, from its own settings: the runner kills it after that,
 * and its own watchdog ends it shortly after (for runs without the runner).
 */
export function bound(ms: number): void {
  send({ type: 'bound', ms: Math.ceil(ms) });
  if (watchdog) clearTimeout(watchdog);
  watchdog = setTimeout(() => void overran(ms), ms + WATCHDOG_GRACE_MS);
  watchdog.unref();
}

async function overran(ms: number): Promise<void> {
  process.stderr.write(`${path.basename(process.argv[1] ?? 'benchmark')}: still running after its bound of ${Math.round(ms / 1_000)} s; stopping.\n`);
  for (const child of children) child.kill('SIGKILL');
  for (const resource of ownedHere.values()) {
    try {
      if (resource.kind === 'directory') rmSync(resource.path, { recursive: true, force: true });
      else await (await import('./postgres-database.ts')).dropBenchDatabase(resource.adminUrl, resource.name);
    } catch (error) {
      process.stderr.write(`could not remove ${keyOf(resource)}: ${(error as Error).message}\n`);
    }
  }
  process.exit(1);
}

/** A child process the watchdog kills if the benchmark overruns its bound. */
export function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Starts a phase (setting up, one measurement…); it lasts until the next one. */
export function phase(name: string): void {
  send({ type: 'phase', name });
  process.stdout.write(`— ${name}\n`);
}

/** A figure just measured, one line: shown by the runner, and printed. */
export function note(text: string): void {
  send({ type: 'note', text });
  process.stdout.write(`${text}\n`);
}

/** Tells the runner about something to remove if the benchmark is killed; `released` when it is gone. */
export function owns(resource: OwnedResource): void {
  ownedHere.set(keyOf(resource), resource);
  send({ type: 'owns', resource });
}

export function released(resource: OwnedResource): void {
  ownedHere.delete(keyOf(resource));
  send({ type: 'released', resource });
}

/** A fresh temporary directory `parent/prefixXXXXXX` the runner removes if the benchmark is killed. */
export function makeTempDir(parent: string, prefix: string): string {
  const dir = mkdtempSync(path.join(parent, prefix));
  owns({ kind: 'directory', path: dir });
  return dir;
}

/** Removes a directory of `makeTempDir`. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  released({ kind: 'directory', path: dir });
}
