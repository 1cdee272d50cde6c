/**
 * The databases every store-touching test runs against: SQLite always, PostgreSQL from
 * PATCHBAY_TEST_DATABASE_URL (default: the local server's `postgres` database). Each test gets its
 * own SQLite file or PostgreSQL schema. When PostgreSQL cannot be reached, its tests fail in CI (or with
 * PATCHBAY_REQUIRE_POSTGRES=1) and are skipped with the reason otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { StoreLocation } from '../../src/store/store.ts';

/** The PostgreSQL server the tests use. */
export const TEST_DATABASE_URL = process.env.PATCHBAY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const postgresRequired = Boolean(process.env.CI) || process.env.PATCHBAY_REQUIRE_POSTGRES === '1';

/** A fresh, empty database location and how to remove it. */
export interface TestDatabase {
  readonly location: StoreLocation;
  /** The data directory to use with it (holds the SQLite file, or nothing for PostgreSQL). */
  readonly dataDir: string;
  drop(): Promise<void>;
}

/** One kind of store the suites run on. */
export interface TestStoreKind {
  readonly name: 'sqlite' | 'postgres';
  /** Why this kind cannot run here, or null when it can. */
  unavailable(): Promise<string | null>;
  create(): Promise<TestDatabase>;
}

let postgresProbe: Promise<string | null> | undefined;

async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    const reason = `PostgreSQL at ${TEST_DATABASE_URL} is not reachable (${(error as Error).message}); set PATCHBAY_TEST_DATABASE_URL`;
    if (postgresRequired) throw new Error(`${reason}. PostgreSQL tests are required here.`, { cause: error });
    return reason;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs one statement on the test server outside any test store. */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** SQLite, then PostgreSQL. */
export const STORE_KINDS: readonly TestStoreKind[] = [
  {
    name: 'sqlite',
    unavailable: async () => null,
    async create() {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'patchbay-test-'));
      return { location: { kind: 'sqlite', file: path.join(dataDir, 'patchbay.db') }, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    unavailable: () => (postgresProbe ??= probePostgres()),
    async create() {
      const schema = `t_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
      await adminQuery(`CREATE SCHEMA ${schema}`);
      const url = new URL(TEST_DATABASE_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const dataDir = mkdtempSync(path.join(tmpdir(), 'patchbay-test-'));
      return {
        location: { kind: 'postgres', url: url.toString() },
        dataDir,
        async drop() {
          rmSync(dataDir, { recursive: true, force: true });
          await adminQuery(`DROP SCHEMA ${schema} CASCADE`);
        },
      };
    },
  },
];

/** Each store kind with the reason its suite must be skipped here (false when it runs). */
export async function storeSuites(): Promise<Array<{ kind: TestStoreKind; skip: string | false }>> {
  const suites = [];
  for (const kind of STORE_KINDS) suites.push({ kind, skip: (await kind.unavailable()) ?? (false as const) });
  return suites;
}
