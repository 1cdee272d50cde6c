/**
 * The SQLite store on `node:sqlite`: one connection in WAL mode with full fsync, so a committed
 * transaction survives a process kill. Kysely's SQLite dialect drives it through a small adapter.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
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
    transaction: (work) => db.transaction().execute(work),
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
