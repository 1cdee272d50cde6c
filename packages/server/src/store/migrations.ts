/** Reading the numbered migration files shared by both dialects' runners. */
import { readdirSync, readFileSync } from 'node:fs';

/** One migration file: `NNN_name.sql`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The migrations in `directory`, ordered by version; gaps and duplicates are refused. */
export function readMigrations(directory: URL): Migration[] {
  const migrations = readdirSync(directory)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) throw new Error(`Migration file ${file} must be named NNN_name.sql`);
      return { version: Number(match[1]), name: file, sql: readFileSync(new URL(file, directory), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`Migration ${migration.name} is out of sequence: expected ${index + 1}`);
  });
  return migrations;
}
