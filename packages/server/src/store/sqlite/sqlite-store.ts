/**
 * The SQLite store on `node:sqlite`: one connection in WAL mode with full fsync, so a committed
 * transaction survives a process kill. Kysely's SQLite dialect drives it through a small adapter.
 * Transactions that arrive while one is being written are committed together (group commit).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { Kysely, SqliteDialect, sql, type SqliteDatabase, type SqliteStatement, type Transaction } from 'kysely';
import type { Database } from '../schema.ts';
import type { Store } from '../store.ts';
import { readMigrations } from '../migrations.ts';

/** How long a writer waits for another process (e.g. `patchbay migrate`) to release the database. */
const BUSY_TIMEOUT_MS = 5_000;

/** Opens (creating if needed) the SQLite database at `file`. */
export function openSqliteStore(file: string): Store {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const native = new DatabaseSync(file);
  native.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: adapt(native) }) });

  return {
    db,
    dialect: 'sqlite',
    capabilities: { skipLocked: false, listenNotify: false },
    transaction: groupCommit(db),
    async migrate() {
      native.exec('CREATE TABLE IF NOT EXISTS patchbay_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      const applied: string[] = [];
      for (const migration of readMigrations(new URL('./migrations/', import.meta.url))) {
        // BEGIN IMMEDIATE takes the write lock first, so two processes migrating at once queue up.
        native.exec('BEGIN IMMEDIATE');
        try {
          const done = native.prepare('SELECT 1 FROM patchbay_migrations WHERE version = ?').get(migration.version);
          if (!done) {
            native.exec(migration.sql);
            native.prepare('INSERT INTO patchbay_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
            applied.push(migration.name);
          }
          native.exec('COMMIT');
        } catch (error) {
          native.exec('ROLLBACK');
          throw error;
        }
      }
      return { applied };
    },
    async close() {
      await db.destroy();
    },
  };
}

/** The most transactions one COMMIT carries: bounds how long the last of them waits for its answer. */
const MAX_GROUP = 64;

interface PendingTransaction {
  work: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit. SQLite has one writer and every COMMIT waits for an fsync, which blocks the process; so
 * transactions that queue up while one runs are written together, each in its own SAVEPOINT (one that
 * fails rolls back only its own writes and gets its own error), under a single COMMIT. Every caller is
 * answered only after the COMMIT that made its work durable; if that COMMIT fails, all of them get the error.
 */
function groupCommit(db: Kysely<Database>): <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T> {
  let queue: PendingTransaction[] = [];
  let writing = false;

  async function writeGroup(group: PendingTransaction[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      const trx = await db.startTransaction().execute();
      try {
        if (group.length === 1) {
          outcomes.push({ ok: true, value: await group[0]!.work(trx) });
        } else {
          for (const job of group) {
            await sql`SAVEPOINT grouped`.execute(trx);
            try {
              outcomes.push({ ok: true, value: await job.work(trx) });
            } catch (error) {
              outcomes.push({ ok: false, error });
              await sql`ROLLBACK TO grouped`.execute(trx);
            }
            await sql`RELEASE grouped`.execute(trx);
          }
        }
        await trx.commit().execute();
      } catch (error) {
        await trx.rollback().execute().catch(() => {});
        throw error;
      }
    } catch (error) {
      // A lone transaction's own error, or a failed COMMIT: nothing of the group was written.
      for (const job of group) job.reject(error);
      return;
    }
    group.forEach((job, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const group = queue.slice(0, MAX_GROUP);
        queue = queue.slice(group.length);
        await writeGroup(group);
      }
    } finally {
      writing = false;
    }
  }

  return <T>(work: (trx: Transaction<Database>) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      // Writing starts after the current round of I/O callbacks, not at once: the other HTTP requests
      // read in the same round queue their transactions first and share this COMMIT.
      if (!writing) {
        writing = true;
        setImmediate(() => void drain());
      }
    });
}

/** Prepared statements kept per SQL text: the same few hundred queries run over and over. */
const STATEMENT_CACHE_SIZE = 500;

/** Presents a `node:sqlite` database as the better-sqlite3 subset Kysely's SQLite dialect uses. */
function adapt(native: DatabaseSync): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => {
      statements.clear();
      if (native.isOpen) native.close();
    },
    prepare(sql: string): SqliteStatement {
      const cached = statements.get(sql);
      if (cached) return cached;
      const statement = native.prepare(sql);
      const adapted: SqliteStatement = {
        reader: statement.columns().length > 0,
        all: (parameters) => statement.all(...toSqlite(parameters)),
        run: (parameters) => statement.run(...toSqlite(parameters)),
        iterate: (parameters) => statement.iterate(...toSqlite(parameters)),
      };
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      statements.set(sql, adapted);
      return adapted;
    },
  };
}

/** SQLite has no boolean type: store flags as 0/1. */
function toSqlite(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : (value as SQLInputValue)));
}
