/**
 * The machine-readable result of a benchmark, `bench/results/<name>.json`, written beside its Markdown:
 * the machine, date, commit and load it ran with, and one row per measurement with its figures
 * (throughput, latency percentiles, the raw limit measured in the same run, their ratio, the target and
 * whether it was met). `bench/report.ts` builds REPORT.md and the charts from these files alone.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { describePostgres } from './postgres-database.ts';

/** Where results are written. */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));

/** The machine a benchmark ran on. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  /** Distribution and kernel, e.g. "Debian GNU/Linux 12 (bookworm), Linux 6.1.0". */
  os: string;
  node: string;
  /** SQLite of node:sqlite. */
  sqlite: string;
  /** The PostgreSQL server benchmarks use, or null when it was not reachable. */
  postgres: string | null;
}

/** The commit measured. */
export interface Commit {
  /** Short hash, or "unknown" outside a git checkout. */
  id: string;
  /** Whether the product's sources (the src folders of packages and examples) differed from the commit. */
  dirty: boolean;
}

/** Latency percentiles, ms. */
export interface LatencyMs {
  p50: number;
  p95: number;
  p99: number;
  max?: number;
}

/** A target of the issue a row is judged against. */
export interface Target {
  /** What the target is, e.g. "≥ 2,000 actions/s". */
  text: string;
  met: boolean;
}

/** One measurement. */
export interface ResultRow {
  /** Stable within the benchmark, e.g. "sqlite-http". */
  id: string;
  /** Short, for tables and charts, e.g. "SQLite, HTTP (Request v4)". */
  label: string;
  /** Shown in the report's summary table (the others are in the benchmark's own section). */
  headline: boolean;
  /** The load offered (per second) when the row measures latency at a fixed rate: its throughput is that load, not a capacity. */
  fixedLoad?: number;
  /** patchbay's throughput, or null when the row is about latency only. */
  throughput: { value: number; unit: string } | null;
  /** patchbay's latency percentiles, when measured. */
  latencyMs: LatencyMs | null;
  /** The raw limit measured in the same run that this row is compared with. */
  raw: { label: string; throughput: number | null; unit: string; latencyMs: LatencyMs | null } | null;
  /** throughput ÷ raw throughput. */
  ratio: number | null;
  target: Target | null;
  /** Anything the reader must know about this row (e.g. the load was not held). */
  note?: string;
  /** Further figures of the benchmark's own table, by name (e.g. "cpuPerActionMicros"). */
  extra?: Record<string, number | string | null>;
}

/** A benchmark's whole result. */
export interface BenchResult {
  /** The file name, e.g. "workflow" for bench/workflow.ts. */
  name: string;
  title: string;
  /** One sentence: what is measured. */
  summary: string;
  /** The Markdown result beside this file, relative to bench/results/. */
  markdown: string;
  /** ISO time the benchmark finished. */
  date: string;
  /** Seconds the benchmark took. */
  seconds: number;
  commit: Commit;
  machine: Machine;
  /** 1-minute load average at the start and at the end. */
  load: { start: number; end: number };
  /** The settings that shaped the figures (durations, concurrency, stores…). */
  settings: Record<string, string | number | boolean>;
  rows: ResultRow[];
  /** The verdicts, as the Markdown states them. */
  verdicts: Target[];
  /** Why nothing was measured (e.g. PostgreSQL not reachable), when so. */
  skipped?: string;
}

/** The product's sources: what a benchmark measures (tests and benchmarks are not). */
const PRODUCT_SOURCES = ['packages/*/src', 'examples/*/src'];

/** The commit of the repository and whether the product's sources differ from it; read-only git commands. */
export function describeCommit(paths: string[] = PRODUCT_SOURCES): Commit {
  try {
    const id = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPOSITORY, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', ...paths], { cwd: REPOSITORY, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return { id, dirty };
  } catch {
    return { id: 'unknown', dirty: false };
  }
}

/** "commit abc1234" plus whether the measured code had uncommitted changes. */
export function commitText(commit: Commit): string {
  return commit.id === 'unknown' ? 'commit unknown (not a git checkout)' : `commit ${commit.id}${commit.dirty ? ' with uncommitted changes to the product' : ''}`;
}

function operatingSystem(): string {
  let distribution: string = os.type();
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    distribution = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] ?? distribution;
  } catch {
    // not Linux, or no os-release: the OS type will do
  }
  return `${distribution}, ${os.type()} ${os.release()}, ${os.arch()}`;
}

function sqliteVersion(): string {
  const db = new DatabaseSync(':memory:');
  try {
    return (db.prepare('SELECT sqlite_version() AS version').get() as { version: string }).version;
  } finally {
    db.close();
  }
}

/** The machine this process runs on, with the SQLite and PostgreSQL versions benchmarks use. */
export async function describeMachine(): Promise<Machine> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: operatingSystem(),
    node: process.version,
    sqlite: sqliteVersion(),
    postgres: await describePostgres(),
  };
}

/** One line: "AMD EPYC, 2 cores, 24 GiB, Debian …; Node v24…, SQLite 3.x, PostgreSQL 15.x". */
export function machineText(machine: Machine): string {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; Node ${machine.node}, SQLite ${machine.sqlite}, ${machine.postgres ?? 'PostgreSQL not reachable'}`;
}

/** The 1-minute load average now. */
export const loadNow = (): number => Number(os.loadavg()[0]!.toFixed(2));

/** Writes `bench/results/<name>.json`; returns its path. */
export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** Rounds a figure for the JSON: 3 significant digits below 100, whole numbers above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  return Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(3));
}

/** Latency percentiles rounded for the JSON, or null. */
export function latencyOf(p: { p50: number; p95: number; p99: number; max: number } | null | undefined): LatencyMs | null {
  return p ? { p50: round(p.p50), p95: round(p.p95), p99: round(p.p99), max: round(p.max) } : null;
}
