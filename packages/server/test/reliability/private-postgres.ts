/**
 * A private PostgreSQL cluster for one test, so that the test can restart (or crash) the database
 * without touching the shared server other tests use: `initdb` into a temporary directory, `pg_ctl
 * start` on a free port with its Unix socket in that directory, `pg_ctl restart -m fast|immediate` on
 * demand, and everything removed at the end. PostgreSQL refuses to run as root: as root, the cluster is
 * made and run as the `postgres` user (with `runuser`, or `su`), in a directory that user owns.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/server.ts';

const execFileAsync = promisify(execFile);

/** A running private cluster. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** `pg_ctl restart -m <mode>`: `fast` disconnects every client cleanly, `immediate` is a crash and recovery. */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl stop -m <mode>`. */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl start` again after `stop`. */
  start(): Promise<void>;
  /** The server's log so far (last `chars` characters). */
  log(chars?: number): string;
  /** Stops the cluster and removes its directory. */
  close(): Promise<void>;
}

/** How to run PostgreSQL's programs here. */
interface Runner {
  bin: string;
  /** The user to run them as (null: the current one). */
  user: { name: string; uid: number; gid: number } | null;
  /** `runuser` or `su` when `user` is set. */
  switcher: string | null;
}

const REQUIRED = Boolean(process.env.CI) || process.env.PATCHBAY_REQUIRE_POSTGRES === '1';

function which(program: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, program))) return path.join(dir, program);
  }
  return null;
}

/** PostgreSQL's bin directory: `PATCHBAY_PG_BIN`, `initdb` on the PATH, or Debian's newest /usr/lib/postgresql/<n>/bin. */
function findBin(): string | null {
  if (process.env.PATCHBAY_PG_BIN) return process.env.PATCHBAY_PG_BIN;
  const onPath = which('initdb');
  if (onPath) return path.dirname(onPath);
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(path.join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : null;
}

/** The `postgres` account's ids, from /etc/passwd. */
function postgresAccount(): { name: string; uid: number; gid: number } | null {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
    if (!line) return null;
    const [, , uid, gid] = line.split(':');
    return { name: 'postgres', uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

let probe: Promise<{ runner: Runner } | { reason: string }> | undefined;

async function findRunner(): Promise<{ runner: Runner } | { reason: string }> {
  const bin = findBin();
  if (!bin) return { reason: 'PostgreSQL\'s initdb and pg_ctl were not found (set PATCHBAY_PG_BIN, or install postgresql)' };
  const root = process.getuid?.() === 0;
  let runner: Runner = { bin, user: null, switcher: null };
  if (root) {
    const user = postgresAccount();
    if (!user) return { reason: 'running as root, and there is no postgres user to run a private PostgreSQL cluster as (initdb refuses root)' };
    const switcher = which('runuser') ?? which('su');
    if (!switcher) return { reason: 'running as root, and neither runuser nor su is available to run PostgreSQL as the postgres user' };
    runner = { bin, user, switcher };
  }
  try {
    await run(runner, 'initdb', ['--version']);
  } catch (error) {
    return { reason: `initdb does not run here: ${(error as Error).message}` };
  }
  return { runner };
}

/**
 * Why a private cluster cannot be made here, or null when it can. Where PostgreSQL tests are required
 * (CI, or PATCHBAY_REQUIRE_POSTGRES=1), an impossibility throws instead, so the test fails rather than
 * being skipped.
 */
export async function privatePostgresUnavailable(): Promise<string | null> {
  const found = await (probe ??= findRunner());
  if ('runner' in found) return null;
  if (REQUIRED) throw new Error(`A private PostgreSQL cluster is required here but cannot be made: ${found.reason}.`);
  return found.reason;
}

/** The command line that runs `program` with `args` as the runner's user. */
function commandLine(runner: Runner, program: string, args: string[]): { file: string; argv: string[] } {
  const binary = path.join(runner.bin, program);
  if (!runner.user || !runner.switcher) return { file: binary, argv: args };
  if (path.basename(runner.switcher) === 'runuser') return { file: runner.switcher, argv: ['-u', runner.user.name, '--', binary, ...args] };
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  return { file: runner.switcher, argv: [runner.user.name, '-s', '/bin/sh', '-c', [binary, ...args].map(quote).join(' ')] };
}

async function run(runner: Runner, program: string, args: string[]): Promise<string> {
  const { file, argv } = commandLine(runner, program, args);
  const { stdout } = await execFileAsync(file, argv, { timeout: 120_000 });
  return stdout;
}

/** Makes and starts a private cluster. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const found = await (probe ??= findRunner());
  if (!('runner' in found)) throw new Error(`A private PostgreSQL cluster cannot be made here: ${found.reason}`);
  const { runner } = found;
  const dir = mkdtempSync(path.join(tmpdir(), 'patchbay-pg-'));
  if (runner.user) chownSync(dir, runner.user.uid, runner.user.gid);
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  const port = await freePort();
  // Small, because the machine is shared; fsync stays on, as in production.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60 -c shared_buffers=16MB`;
  const pgCtl = (args: string[]) => run(runner, 'pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', ...args]);
  try {
    await run(runner, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    await pgCtl(['-o', options, 'start']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let closed = false;
  // If the test process ends without closing the cluster (a crash, a timeout), stop the server anyway.
  const stopAtExit = () => {
    const { file, argv } = commandLine(runner, 'pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    try {
      execFileSync(file, argv, { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopAtExit);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: async (mode) => void (await pgCtl(['-m', mode, '-o', options, 'restart'])),
    stop: async (mode) => void (await pgCtl(['-m', mode, 'stop'])),
    start: async () => void (await pgCtl(['-o', options, 'start'])),
    log(chars = 3_000) {
      try {
        return readFileSync(logFile, 'utf8').slice(-chars);
      } catch {
        return '';
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      process.removeListener('exit', stopAtExit);
      await pgCtl(['-m', 'immediate', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
