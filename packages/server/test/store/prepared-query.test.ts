/**
 * `prepareQuery`: a query compiled once runs with new values each time, inside and outside a
 * transaction, on SQLite and PostgreSQL; constants stay constants; a slot Kysely would not send as a
 * parameter is refused at its first use, not discovered as a wrong write later.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { storeSuites, type TestDatabase } from '../support/stores.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { prepareQuery } from '../../src/store/prepared-query.ts';

for (const { kind, skip } of await storeSuites()) {
  describe(`prepared queries [${kind.name}]`, { skip }, () => {
    let database: TestDatabase;
    let store: Store;

    before(async () => {
      database = await kind.create();
      store = await openStore(database.location);
      await store.migrate();
    });
    after(async () => {
      await store?.close();
      await database?.drop();
    });

    test('runs with the values of each call, in any order of slots, beside constants', async () => {
      // Slots out of order and a constant between them: the values must land in their own columns.
      const insert = prepareQuery<[string, number, string], unknown>((db, slot) =>
        db.insertInto('audit_log').values({ company_id: null, actor_user_id: null, actor_label: 'prepared', action: slot(0), target_type: 'constant', target_id: slot(2), details: '{}', created_at: slot(1) }),
      );
      const byAction = prepareQuery<[string], { action: string; created_at: number; target_type: string; target_id: string }>((db, slot) =>
        db.selectFrom('audit_log').select(['action', 'created_at', 'target_type', 'target_id']).where('action', '=', slot(0)).where('actor_label', '=', 'prepared'),
      );
      await insert.execute(store.db, ['prepared-a', 1_000, 'target-a']);
      await store.transaction(async (trx) => {
        await insert.execute(trx, ['prepared-b', 2_000, 'target-b']);
        await insert.execute(trx, ['prepared-c', 3_000, 'target-c']);
      });
      const rows = await Promise.all(['prepared-a', 'prepared-b', 'prepared-c', 'prepared-none'].map(async (action) => (await byAction.execute(store.db, [action])).rows));
      assert.deepEqual({ ...(await byAction.first(store.db, ['prepared-b'])) }, { ...rows[1]![0]! });
      assert.deepEqual(
        rows.map((found) => found.map((row) => ({ ...row, created_at: Number(row.created_at) }))),
        [
          [{ action: 'prepared-a', created_at: 1_000, target_type: 'constant', target_id: 'target-a' }],
          [{ action: 'prepared-b', created_at: 2_000, target_type: 'constant', target_id: 'target-b' }],
          [{ action: 'prepared-c', created_at: 3_000, target_type: 'constant', target_id: 'target-c' }],
          [],
        ],
      );
    });

    test('a slot that does not become a parameter is refused at first use', () => {
      // `sql.raw` pastes its text into the SQL, where no later value could replace it.
      const folded = prepareQuery<[string], unknown>((db, slot) => db.selectFrom('audit_log').select('id').where('action', '=', sql.raw<string>(String(slot(0)))));
      assert.throws(() => folded.execute(store.db, ['anything']), /a value slot did not become a parameter/);
    });
  });
}
