/**
 * The store port: one Kysely instance over SQLite or PostgreSQL, the dialect's capabilities, and
 * numbered migrations. Feature code writes Kysely queries against `Database` and never names a dialect;
 * where the dialects differ it asks `capabilities`.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/** What a dialect can do beyond plain SQL, for the hot paths that use it. */
export interface StoreCapabilities {
  /** `SELECT ... FOR UPDATE SKIP LOCKED`, so several instances can claim work side by side. */
  readonly skipLocked: boolean;
  /** `LISTEN/NOTIFY`, so instances wake each other instead of polling. */
  readonly listenNotify: boolean;
}

/** An open database with its schema migrated (or migratable). */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: 'sqlite' | 'postgres';
  readonly capabilities: StoreCapabilities;
  /** Runs `work` in one transaction: everything it writes commits together or not at all. */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Applies the migrations not yet applied, in order, each in its own transaction. */
  migrate(): Promise<{ applied: string[] }>;
  close(): Promise<void>;
}

/** A database handle usable both inside and outside a transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** Where to open the store. */
export type StoreLocation =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string };

/** Opens the store at `location` (without migrating it). */
export async function openStore(location: StoreLocation): Promise<Store> {
  if (location.kind === 'sqlite') {
    const { openSqliteStore } = await import('./sqlite/sqlite-store.ts');
    return openSqliteStore(location.file);
  }
  const { openPostgresStore } = await import('./postgres/postgres-store.ts');
  return openPostgresStore(location.url);
}
