/**
 * A PostgreSQL database of a benchmark's own: `patchbay_bench_<random>`, created on the server of
 * PATCHBAY_BENCH_DATABASE_URL (else PATCHBAY_TEST_DATABASE_URL, else the local server), used through its
 * own URL and dropped at the end. The URL's database is only the maintenance connection that creates and
 * drops it: no benchmark reads or writes the data of `postgres`, `patchbay_test` or any other database.
 * The runner is told about the database (`owns`), so it drops it if it has to kill the benchmark.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { owns, released, type OwnedResource } from './progress.ts';

/** The server benchmarks use, through its maintenance database. */
export const POSTGRES_ADMIN_URL = process.env.PATCHBAY_BENCH_DATABASE_URL ?? process.env.PATCHBAY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Every database a benchmark creates starts with this (and nothing else does). */
export const BENCH_DATABASE_PREFIX = 'patchbay_bench_';

/** A fresh database and how to drop it. */
export interface BenchDatabase {
  readonly name: string;
  /** postgres:// URL of the new database. */
  readonly url: string;
  /** Drops the database, closing any connection left to it. */
  drop(): Promise<void>;
}

/** Drops `name` (a benchmark database) on the server of `adminUrl`, ending its connections. */
export async function dropBenchDatabase(adminUrl: string, name: string): Promise<void> {
  if (!name.startsWith(BENCH_DATABASE_PREFIX) || !/^[a-z0-9_]+$/.test(name)) throw new Error(`refusing to drop ${name}: not a benchmark database`);
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    // WITH (FORCE) (PostgreSQL 13+): a pool a killed child left open must not keep the database alive.
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Creates a fresh database, or says why PostgreSQL cannot be had. */
export async function createBenchDatabase(): Promise<BenchDatabase | string> {
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await admin.connect();
  } catch (error) {
    await admin.end().catch(() => {});
    return `PostgreSQL at ${POSTGRES_ADMIN_URL} is not reachable (${(error as Error).message}); set PATCHBAY_BENCH_DATABASE_URL`;
  }
  const name = `${BENCH_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const resource: OwnedResource = { kind: 'postgres-database', name, adminUrl: POSTGRES_ADMIN_URL };
  owns(resource);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      await dropBenchDatabase(POSTGRES_ADMIN_URL, name);
      released(resource);
    },
  };
}

/** The server's version and durability settings, e.g. "PostgreSQL 15.20, synchronous_commit=on, fsync=on". */
export async function describePostgres(url: string = POSTGRES_ADMIN_URL): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string; sync: string; fsync: string }>("SELECT current_setting('server_version') AS version, current_setting('synchronous_commit') AS sync, current_setting('fsync') AS fsync");
    const row = rows[0]!;
    return `PostgreSQL ${row.version}, synchronous_commit=${row.sync}, fsync=${row.fsync}`;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}
