/**
 * `npm run bench`: runs every benchmark in this folder (each `bench/*.ts` but this runner and the
 * report), one after the other, each in its own process, then writes the report
 * (`bench/results/REPORT.md` and its charts, see report.ts). Names select some of them:
 * `npm run bench -- callouts delivery` (or `node bench/run.ts callouts`); `--list` lists them.
 *
 * Progress: each benchmark tells the runner its phases, figures and time bound on a pipe
 * (bench/lib/progress.ts). On a terminal a live line shows the benchmark, its phase and their elapsed
 * times, and every finished phase stays as a line with its duration; otherwise (CI logs) each phase and
 * figure is one plain line with the benchmark's elapsed time, and a line every 30 s says a long phase is
 * still running. A benchmark's whole output goes to `bench/results/<name>.log` (not committed).
 *
 * Bounds: a benchmark declares how long it may take from its own settings; one that overruns it (or
 * BENCH_TIMEOUT_MS, when set, which overrides every bound), or that never declares one within
 * BENCH_TIMEOUT_MS or 20 minutes, is killed with everything it started (its process group), marked
 * "timed out" in the report, and the databases it said it owned are dropped. The runner fails (exit 1)
 * if any benchmark failed; the report is written either way. Ctrl-C stops the current benchmark the
 * same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { dropBenchDatabase } from './lib/postgres-database.ts';
import { PROGRESS_FD_VARIABLE, type OwnedResource, type ProgressMessage } from './lib/progress.ts';
import { RESULTS_DIR, type BenchResult } from './lib/result.ts';
import { BENCHMARK_ORDER, readRunRecord, RUN_RECORD, writeReport, type BenchStatus } from './report.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Files of this folder that are not benchmarks. */
const NOT_BENCHMARKS = new Set(['run.ts', 'report.ts']);
/** A benchmark that has not declared its bound yet may run this long (it declares it at start-up). */
const UNDECLARED_BOUND_MS = 20 * 60_000;
/** After SIGTERM, how long a killed benchmark's processes get before SIGKILL. */
const KILL_GRACE_MS = 5_000;
/** Plain output: how often a phase that goes on is said to be still running. */
const HEARTBEAT_MS = 30_000;
/** Lines of a failed benchmark's output shown under its failure. */
const TAIL_LINES = 25;
const TIMEOUT_OVERRIDE_MS = process.env.BENCH_TIMEOUT_MS ? Number(process.env.BENCH_TIMEOUT_MS) : null;

const rank = (name: string) => (BENCHMARK_ORDER.includes(name) ? BENCHMARK_ORDER.indexOf(name) : BENCHMARK_ORDER.length);
const available = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && !NOT_BENCHMARKS.has(file))
  .map((file) => file.slice(0, -3))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const args = process.argv.slice(2);
if (args.includes('--list')) {
  process.stdout.write(`${available.join('\n')}\n`);
  process.exit(0);
}
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`usage: npm run bench [-- NAME…]   (node bench/run.ts [NAME…] [--list])\nbenchmarks: ${available.join(', ')}\nreport only: node bench/report.ts\n`);
  process.exit(0);
}
const wanted = args.map((name) => name.replace(/^bench\//, '').replace(/\.ts$/, ''));
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`No benchmark named ${unknown.join(', ')}; the benchmarks are: ${available.join(', ')}.\n`);
  process.exit(2);
}
const benchmarks = wanted.length === 0 ? available : available.filter((name) => wanted.includes(name));

// ---------------------------------------------------------------------------------------------------
// Display

const live = process.stdout.isTTY === true;
const clock = (ms: number) => {
  const seconds = Math.floor(ms / 1_000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};
const seconds = (ms: number) => `${(ms / 1_000).toFixed(1)} s`;
let liveLine = '';

/** A permanent line (above the live line on a terminal). */
function print(text: string): void {
  if (live && liveLine) process.stdout.write('\r\x1b[K');
  process.stdout.write(`${text}\n`);
  if (live && liveLine) process.stdout.write(liveLine);
}

/** Replaces the live line (terminal only). */
function showLive(text: string): void {
  if (!live) return;
  const width = process.stdout.columns ?? 120;
  liveLine = text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text;
  process.stdout.write(`\r\x1b[K${liveLine}`);
}

function clearLive(): void {
  if (live && liveLine) process.stdout.write('\r\x1b[K');
  liveLine = '';
}

// ---------------------------------------------------------------------------------------------------
// Running one benchmark

/** What is running now, for Ctrl-C. */
let current: { child: ChildProcess; kill: (why: string) => void } | null = null;

/** Signals a benchmark's whole process group (it and every process it started). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** The key of an owned resource, for its `released` message. */
const resourceKey = (resource: OwnedResource) => (resource.kind === 'directory' ? resource.path : resource.name);

/** Removes what a benchmark owned and did not release (it was killed, or failed before its cleanup). */
async function cleanUp(name: string, owned: Map<string, OwnedResource>): Promise<void> {
  for (const resource of owned.values()) {
    try {
      if (resource.kind === 'directory') {
        rmSync(resource.path, { recursive: true, force: true });
      } else {
        await dropBenchDatabase(resource.adminUrl, resource.name);
        print(`  ${name}: dropped the database it left, ${resource.name}`);
      }
    } catch (error) {
      print(`  ${name}: could not remove ${resourceKey(resource)} (${(error as Error).message}); remove it by hand`);
    }
  }
}

function forEachLine(stream: Readable, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
}

async function runOne(name: string, index: number): Promise<BenchStatus> {
  const startedAt = new Date().toISOString();
  const begin = performance.now();
  const logFile = path.join(RESULTS_DIR, `${name}.log`);
  const log = createWriteStream(logFile);
  const tail: string[] = [];
  const owned = new Map<string, OwnedResource>();
  let boundMs = TIMEOUT_OVERRIDE_MS ?? UNDECLARED_BOUND_MS;
  let phaseName = 'starting';
  let phaseStart = begin;
  let lastOutput = begin;
  let killedFor: string | null = null;
  const prefix = `[${index + 1}/${benchmarks.length}] ${name}`;
  const stamp = () => clock(performance.now() - begin);

  print(`${live ? '▶' : '==='} ${prefix}${live ? '' : ' ==='}`);
  const child = spawn(process.execPath, [path.join(here, `${name}.ts`)], {
    // Its own process group: a timeout kills it and every process it started, and nothing else.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, [PROGRESS_FD_VARIABLE]: '3' },
  });
  const keep = (line: string) => {
    log.write(`${line}\n`);
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  };
  forEachLine(child.stdout!, keep);
  forEachLine(child.stderr!, keep);

  const endPhase = () => {
    if (live && phaseName !== 'starting') print(`  ✓ ${phaseName}  ${seconds(performance.now() - phaseStart)}`);
  };
  forEachLine(child.stdio[3] as Readable, (line) => {
    let message: ProgressMessage;
    try {
      message = JSON.parse(line) as ProgressMessage;
    } catch {
      return;
    }
    lastOutput = performance.now();
    switch (message.type) {
      case 'bound':
        if (TIMEOUT_OVERRIDE_MS === null) boundMs = message.ms;
        print(`  ${live ? '' : `${name} [${stamp()}] `}bound: ${clock(boundMs)}${TIMEOUT_OVERRIDE_MS === null ? ' (declared by the benchmark from its settings)' : ' (BENCH_TIMEOUT_MS)'}`);
        break;
      case 'phase':
        endPhase();
        phaseName = message.name;
        phaseStart = performance.now();
        if (!live) print(`  ${name} [${stamp()}] ${message.name}`);
        break;
      case 'note':
        print(live ? `      ${message.text}` : `  ${name} [${stamp()}]     ${message.text}`);
        break;
      case 'owns':
        owned.set(resourceKey(message.resource), message.resource);
        break;
      case 'released':
        owned.delete(resourceKey(message.resource));
        break;
    }
  });

  const kill = (why: string) => {
    if (killedFor) return;
    killedFor = why;
    signalGroup(child, 'SIGTERM');
    setTimeout(() => signalGroup(child, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  current = { child, kill };
  const ticker = setInterval(() => {
    const now = performance.now();
    if (now - begin > boundMs) kill(`it ran past its bound of ${clock(boundMs)} (in "${phaseName}")`);
    // Timers first: a narrow terminal cuts the phase's name, not them.
    showLive(`⏱ ${prefix} ${clock(now - begin)} / ${clock(boundMs)} · ${clock(now - phaseStart)} ${phaseName}`);
    if (!live && now - lastOutput > HEARTBEAT_MS) {
      lastOutput = now;
      print(`  ${name} [${stamp()}] … still in "${phaseName}" (${clock(now - phaseStart)})`);
    }
  }, live ? 200 : 1_000);

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])));
  // Whatever it started and left behind goes too.
  signalGroup(child, 'SIGKILL');
  clearInterval(ticker);
  current = null;
  clearLive();
  await new Promise<void>((resolve) => log.end(resolve));
  const took = performance.now() - begin;
  const ok = code === 0 && !killedFor;
  if (ok) endPhase();
  if (owned.size > 0) await cleanUp(name, owned);
  const status: BenchStatus = { name, status: ok ? 'ok' : killedFor ? 'timed out' : 'failed', startedAt, seconds: Math.round(took / 100) / 10, log: path.basename(logFile) };
  // A benchmark with nothing to measure here (e.g. no PostgreSQL) exits 0 and says why in its result.
  const resultFile = path.join(RESULTS_DIR, `${name}.json`);
  const result = ok && existsSync(resultFile) ? (JSON.parse(readFileSync(resultFile, 'utf8')) as BenchResult) : null;
  if (result?.skipped && result.date >= startedAt) {
    status.status = 'skipped';
    status.message = result.skipped;
    print(`${live ? '–' : '==='} ${name}: skipped: ${result.skipped}`);
  } else if (ok) {
    print(`${live ? '✔' : '==='} ${name}: done in ${clock(took)}`);
  } else {
    const lastError = [...tail].reverse().find((line) => /error|failed|exited|past its bound/i.test(line)) ?? tail.at(-1) ?? '';
    status.message = killedFor ? `killed: ${killedFor}` : `exit ${code ?? signal}${lastError ? `: ${lastError.trim()}` : ''}`;
    if (killedFor === 'interrupted') status.status = 'interrupted';
    print(`${live ? '✘' : '==='} ${name}: ${status.status.toUpperCase()} after ${clock(took)}: ${status.message}`);
    print(`  last lines of ${path.relative(process.cwd(), logFile)}:`);
    for (const line of tail) print(`  | ${line}`);
  }
  return status;
}

// ---------------------------------------------------------------------------------------------------
// Main

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    if (current) current.kill('interrupted');
    else process.exit(130);
  });
}

const overall = performance.now();
print(`Benchmarks: ${benchmarks.join(', ')}. Loopback only; each bounded in time. Load average (1 min) now: ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores.`);
const statuses: BenchStatus[] = [];
for (const [index, name] of benchmarks.entries()) {
  if (interrupted) break;
  statuses.push(await runOne(name, index));
}

// The latest status of every benchmark: this run's, and earlier runs' for those not run this time.
const previous = readRunRecord()?.benchmarks ?? [];
const merged = [...previous.filter((status) => !statuses.some((s) => s.name === status.name)), ...statuses];
writeFileSync(RUN_RECORD, `${JSON.stringify({ date: new Date().toISOString(), benchmarks: merged }, null, 2)}\n`);
const written = writeReport();
const failed = statuses.filter((status) => status.status !== 'ok' && status.status !== 'skipped');
print('');
print(`${statuses.length} benchmark(s) in ${clock(performance.now() - overall)}: ${statuses.map((s) => `${s.name} ${s.status} (${clock(s.seconds * 1_000)})`).join(', ')}.`);
print(`Report: ${path.relative(process.cwd(), written[0]!)} with ${written.length - 1} chart(s); \`node bench/report.ts\` rewrites it from the JSON results.`);
process.exitCode = interrupted ? 130 : failed.length > 0 ? 1 : 0;
