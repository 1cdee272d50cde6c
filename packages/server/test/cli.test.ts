/**
 * The real `patchbay` CLI, run as a child process on temporary SQLite data directories: --help, flag
 * errors, migrate, create-operator and create-token (whose token then works against `patchbay start`),
 * graceful shutdown on SIGTERM and SIGINT, and the secret key file created on first start.
 */
import { freePort } from './support/server.ts';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIONS } from '../src/config.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Every child started, so a failing test never leaves one running (which would keep the run alive). */
const children = new Set<ChildProcess>();
/** Every temporary data directory, removed at the end. */
const dataDirs: string[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

function newDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'patchbay-cli-'));
  dataDirs.push(dir);
  return dir;
}

/** The environment of a child: this process's, minus any PATCHBAY_* option that would change the outcome. */
function childEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const option of OPTIONS) delete env[option.env];
  return { ...env, PATCHBAY_DATA_DIR: dataDir, PATCHBAY_LOG_LEVEL: 'warn', ...extra };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves when `child` has exited and its output is fully read. */
function finished(child: ChildProcess, output: { stdout: string; stderr: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, ...output }));
  });
}

/** Runs the CLI to completion, with `input` on its stdin. */
async function run(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<Run> {
  const child = track(spawn(process.execPath, [MAIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] }));
  const output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  child.stdin!.end(input);
  return finished(child, output);
}


/** A `patchbay start` child that has logged that it listens; `exit` resolves with how it ended. */
interface Started {
  child: ChildProcess;
  url: string;
  exit: Promise<Run>;
}

/** Starts `patchbay start --port <free port>` on `dataDir` and waits for its "listening" log line. */
async function startServer(dataDir: string): Promise<Started> {
  const port = await freePort();
  const child = track(spawn(process.execPath, [MAIN, 'start', '--port', String(port)], { env: childEnv(dataDir, { PATCHBAY_LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'] }));
  const output = { stdout: '', stderr: '' };
  const exit = finished(child, output);
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output.stdout += chunk;
      // Only complete lines: the last element of the split is the line still being written.
      for (const line of output.stdout.split('\n').slice(0, -1)) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === 'patchbay is listening' && entry.address) resolve(entry.address);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
    void exit.then((result) => reject(new Error(`patchbay exited (${result.code ?? result.signal}) before listening:\n${result.stdout}\n${result.stderr}`)));
  });
  const url = await listening;
  assert.equal(url, `http://127.0.0.1:${port}`);
  return { child, url, exit };
}

/** Stops a started server with `signal` and returns how it ended. */
async function stop(server: Started, signal: NodeJS.Signals = 'SIGTERM'): Promise<Run> {
  server.child.kill(signal);
  return server.exit;
}

/** The JSON log entries of a run's stdout. */
function logEntries(stdout: string): Array<Record<string, unknown>> {
  return stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('patchbay --help', () => {
  test('exits 0 and lists every command, flag and variable', async () => {
    const result = await run(['--help'], childEnv(newDataDir()));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    for (const command of ['start', 'migrate', 'create-operator <loginId> <name>', 'create-token <operatorLoginId> <label>', 'help']) {
      assert.ok(result.stdout.includes(command), `--help lists the command ${command}`);
    }
    for (const option of OPTIONS) {
      assert.ok(result.stdout.includes(option.flag), `--help lists ${option.flag}`);
      assert.ok(result.stdout.includes(option.env), `--help lists ${option.env}`);
    }
  });

  test('"help", -h and --help after a command print the same help', async () => {
    const expected = (await run(['--help'], childEnv(newDataDir()))).stdout;
    for (const args of [['help'], ['-h'], ['migrate', '--help']]) {
      const result = await run(args, childEnv(newDataDir()));
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, expected, args.join(' '));
    }
  });
});

describe('patchbay argument errors', () => {
  test('an unknown flag exits 2 and names it on stderr', async () => {
    for (const args of [['--no-such-flag'], ['start', '--prot', '9000'], ['migrate', '--no-such-flag=1']]) {
      const dataDir = newDataDir();
      const result = await run(args, childEnv(dataDir));
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, /Unknown flag --(no-such-flag|prot)\b/);
      assert.equal(result.stdout, '');
      assert.equal(existsSync(path.join(dataDir, 'patchbay.db')), false, 'nothing was opened');
    }
  });

  test('an invalid variable exits 2 and names it', async () => {
    const result = await run(['migrate'], childEnv(newDataDir(), { PATCHBAY_PORT: 'eighty' }));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /PATCHBAY_PORT/);
  });

  test('an unknown command exits 2 and names it', async () => {
    const result = await run(['frobnicate'], childEnv(newDataDir()));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown command "frobnicate"/);
  });
});

describe('patchbay migrate', () => {
  test('applies the migrations to a fresh data directory, then says it is up to date', async () => {
    const dataDir = path.join(newDataDir(), 'not-yet-created');
    const first = await run(['migrate'], childEnv(dataDir));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Applied \d{3}_\w+\.sql/);
    assert.ok(existsSync(path.join(dataDir, 'patchbay.db')), 'the SQLite database is in the data directory');

    const second = await run(['migrate'], childEnv(dataDir));
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'The database is up to date.\n');
  });

  test('--data-dir wins over PATCHBAY_DATA_DIR', async () => {
    const fromEnv = newDataDir();
    const fromFlag = newDataDir();
    const result = await run(['migrate', '--data-dir', fromFlag], childEnv(fromEnv));
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(path.join(fromFlag, 'patchbay.db')));
    assert.equal(existsSync(path.join(fromEnv, 'patchbay.db')), false);
  });
});

describe('patchbay create-operator and create-token', () => {
  const dataDir = newDataDir();
  let server: Started | undefined;
  after(async () => {
    if (server) await stop(server);
  });

  test('an operator created on the CLI gets a token that authenticates against the server', async () => {
    const created = await run(['create-operator', 'Ops@Example.test', 'Ops'], childEnv(dataDir), 'a-long-operator-password\n');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Operator ops@example.test created.\n');

    const issued = await run(['create-token', 'ops@example.test', 'ci'], childEnv(dataDir));
    assert.equal(issued.code, 0, issued.stderr);
    const token = issued.stdout.trim();
    assert.match(token, /^pbt_[A-Za-z0-9_-]{20,100}$/);

    server = await startServer(dataDir);
    const companies = await fetch(`${server.url}/api/companies`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(companies.status, 200);
    assert.deepEqual(await companies.json(), { items: [] });

    const anonymous = await fetch(`${server.url}/api/companies`);
    assert.equal(anonymous.status, 401);
    const wrong = await fetch(`${server.url}/api/companies`, { headers: { authorization: `Bearer pbt_${'x'.repeat(40)}` } });
    assert.equal(wrong.status, 401);

    // The operator can sign in to the console with the password given on stdin.
    const session = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ loginId: 'ops@example.test', password: 'a-long-operator-password' }),
    });
    assert.equal(session.status, 200);
    assert.equal(((await session.json()) as { user: { isOperator: boolean } }).user.isOperator, true);
  });

  test('a short password, missing arguments and an unknown operator exit 2 with the reason', async () => {
    const short = await run(['create-operator', 'short@example.test', 'Short'], childEnv(dataDir), 'short\n');
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 10 characters/);

    const missing = await run(['create-operator', 'only-login@example.test'], childEnv(dataDir), 'a-long-operator-password\n');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Usage: patchbay create-operator/);

    const unknown = await run(['create-token', 'nobody@example.test', 'ci'], childEnv(dataDir));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No operator with login ID nobody@example\.test/);
    assert.equal(unknown.stdout, '');
  });

  test('an operator that exists already exits 1 with the reason and no stack trace', async () => {
    const again = await run(['create-operator', 'ops@example.test', 'Ops again'], childEnv(dataDir), 'another-long-password\n');
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'patchbay: Login ID ops@example.test is already taken.\n');
    assert.equal(again.stdout, '');
  });
});

describe('patchbay start', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} shuts down gracefully with exit code 0`, async () => {
      const server = await startServer(newDataDir());
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      const result = await stop(server, signal);
      assert.equal(result.signal, null, `exited by itself, not killed by ${signal}`);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(logEntries(result.stdout).some((entry) => entry.msg === 'shutting down' && entry.signal === signal), `logs the shutdown on ${signal}`);
      await assert.rejects(fetch(`${server.url}/healthz`), 'nothing listens any more');
    });
  }

  test('creates <dataDir>/secret.key with mode 0600 on first start and keeps it on the next', async () => {
    const dataDir = newDataDir();
    const keyFile = path.join(dataDir, 'secret.key');
    assert.equal(existsSync(keyFile), false);

    const first = await startServer(dataDir);
    try {
      assert.ok(existsSync(keyFile), 'the key file exists once the server listens');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.equal(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64').length, 32);
    } finally {
      assert.equal((await stop(first)).code, 0);
    }
    const key = readFileSync(keyFile, 'utf8');

    const second = await startServer(dataDir);
    assert.equal((await stop(second)).code, 0);
    assert.equal(readFileSync(keyFile, 'utf8'), key, 'a second start reuses the key');
  });
});
