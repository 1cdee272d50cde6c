/**
 * `store.transaction` under concurrency, on SQLite (where concurrent transactions share one COMMIT) and
 * PostgreSQL: each transaction commits or rolls back alone, a failing one gets its own error and leaves
 * nothing behind, later ones see earlier ones' writes, and every caller is answered.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeSuites, type TestDatabase } from '../support/stores.ts';
import { openStore, type Store } from '../../src/store/store.ts';

for (const { kind, skip } of await storeSuites()) {
  describe(`store transactions [${kind.name}]`, { skip }, () => {
    let database: TestDatabase;
    let store: Store;
    let counter = 0;

    before(async () => {
      database = await kind.create();
      store = await openStore(database.location);
      await store.migrate();
    });
    after(async () => {
      await store?.close();
      await database?.drop();
    });

    // The audit log is a table every transaction may write without other rows to set up.
    const write = (store: Store, marker: string) =>
      store.transaction(async (trx) => {
        await trx.insertInto('audit_log').values({ company_id: null, actor_user_id: null, actor_label: 'test', action: marker, target_type: 'test', target_id: marker, details: '{}', created_at: Date.now() }).execute();
        return marker;
      });
    const written = async (prefix: string) =>
      (await store.db.selectFrom('audit_log').select('action').where('action', 'like', `${prefix}%`).execute()).map((row) => row.action).sort();

    test('concurrent transactions commit independently; a failing one leaves none of its writes and gets its own error', async () => {
      const prefix = `tx${++counter}-`;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => {
          const marker = `${prefix}${String(i).padStart(2, '0')}`;
          if (i % 5 !== 3) return write(store, marker);
          return store.transaction(async (trx) => {
            await trx.insertInto('audit_log').values({ company_id: null, actor_user_id: null, actor_label: 'test', action: marker, target_type: 'test', target_id: marker, details: '{}', created_at: Date.now() }).execute();
            throw new Error(`refused ${marker}`);
          });
        }),
      );
      const expected: string[] = [];
      outcomes.forEach((outcome, i) => {
        const marker = `${prefix}${String(i).padStart(2, '0')}`;
        if (i % 5 === 3) {
          assert.equal(outcome.status, 'rejected');
          assert.equal((outcome as PromiseRejectedResult).reason.message, `refused ${marker}`);
        } else {
          assert.deepEqual(outcome, { status: 'fulfilled', value: marker });
          expected.push(marker);
        }
      });
      assert.deepEqual(await written(prefix), expected);
    });

    test('a transaction sees what the transactions committed before it wrote', async () => {
      // SQLite has one writer: transactions run one after the other. PostgreSQL runs them side by side
      // (read committed), so there each only sees itself and some of the others.
      const serial = database.location.kind === 'sqlite';
      const prefix = `seq${++counter}-`;
      const counts = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.transaction(async (trx) => {
            await trx.insertInto('audit_log').values({ company_id: null, actor_user_id: null, actor_label: 'test', action: `${prefix}${i}`, target_type: 'test', target_id: String(i), details: '{}', created_at: Date.now() }).execute();
            const rows = await trx.selectFrom('audit_log').select('action').where('action', 'like', `${prefix}%`).execute();
            return rows.length;
          }),
        ),
      );
      if (serial) assert.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i + 1));
      else assert.ok(counts.every((count) => count >= 1 && count <= 10), counts.join(', '));
      assert.equal((await written(prefix)).length, 10);
    });

    test('a constraint violation in one transaction does not undo its neighbours', async () => {
      const prefix = `uniq${++counter}-`;
      const duplicateId = `${prefix}${crypto.randomUUID()}`;
      const companyRow = (id: string) => ({ id, name: id, edition: 'STANDARD', development_partner: false, entity_id: `p${id.replace(/[^a-z0-9]/gi, '').slice(0, 20)}`, created_at: Date.now() });
      const outcomes = await Promise.allSettled([
        write(store, `${prefix}a`),
        store.transaction((trx) => trx.insertInto('companies').values(companyRow(duplicateId)).execute()),
        store.transaction((trx) => trx.insertInto('companies').values(companyRow(duplicateId)).execute()),
        write(store, `${prefix}b`),
      ]);
      assert.equal(outcomes.filter((outcome) => outcome.status === 'rejected').length, 1);
      assert.deepEqual(await written(prefix), [`${prefix}a`, `${prefix}b`]);
      assert.equal((await store.db.selectFrom('companies').select('id').where('id', '=', duplicateId).execute()).length, 1);
    });
  });
}
