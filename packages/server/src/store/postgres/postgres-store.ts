/**
 * The PostgreSQL store on `pg`: a connection pool shared by every feature, migrations under an
 * advisory lock so several patchbay instances can start at once.
 */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../schema.ts';
import type { Store } from '../store.ts';
import { readMigrations } from '../migrations.ts';

/** Times and counters are BIGINT; every value patchbay stores fits a JavaScript number. */
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));

/** An arbitrary constant naming patchbay's migration lock among the database's advisory locks. */
const MIGRATION_LOCK_ID = 7_404_211;

/**
 * Opens a pool on `url`. A schema other than `public` is chosen in the URL, as PostgreSQL clients do:
 * `postgres://host/db?options=-c%20search_path%3Dmyschema`.
 */
export async function openPostgresStore(url: string): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // A connection that dies (a database restart terminates them all) must not crash the process: the
  // pool reports an idle one here, and a connection in use gets its own listener, since pg raises an
  // unhandled 'error' event on a checked-out client otherwise. The query in flight fails and is retried
  // by its caller; the pool opens new connections for the next ones.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

  return {
    db,
    dialect: 'postgres',
    capabilities: { skipLocked: true, listenNotify: true },
    transaction: (work) => db.transaction().execute(work),
    async migrate() {
      const client = await pool.connect();
      const applied: string[] = [];
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
        await client.query('CREATE TABLE IF NOT EXISTS patchbay_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
        const done = new Set((await client.query<{ version: number }>('SELECT version FROM patchbay_migrations')).rows.map((row) => row.version));
        for (const migration of readMigrations(new URL('./migrations/', import.meta.url))) {
          if (done.has(migration.version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(migration.sql);
            await client.query('INSERT INTO patchbay_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
            await client.query('COMMIT');
            applied.push(migration.name);
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
        client.release();
      }
      return { applied };
    },
    async close() {
      await db.destroy();
    },
  };
}
