/**
 * Nothing committed is lost: a restarted patchbay has everything, and a patchbay killed with SIGKILL in
 * the middle of a stream of saves keeps every save it acknowledged. Runs the real CLI as a child
 * process, on SQLite and PostgreSQL.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeSuites } from '../support/stores.ts';
import { startTestServer } from '../support/server.ts';
import { signIn } from '../support/api-client.ts';
import { openStore } from '../../src/store/store.ts';
import { DEMO } from '../../src/demo.ts';
import { exited, killChildren, startPatchbayChild } from '../support/patchbay-child.ts';



after(killChildren);

for (const { kind, skip } of await storeSuites()) {
  describe(`durability [${kind.name}]`, { skip }, () => {
    test('a restarted patchbay has every connector, service and audit entry', async () => {
      const database = await kind.create();
      const first = await startTestServer({ database });
      const admin = await signIn(first.url, first.admin);
      const base = `/api/companies/${first.companyId}/connectors`;
      const created = (await admin.post(base, { name: 'Persistent', description: 'kept', hostName: 'https://c.example.com', userName: 'persistent-user', password: 'persistent-pass' })).body;
      await admin.put(`${base}/${created.id}/services/fetch-list`, { endpoint: '/list', active: true, settings: { lists: [{ name: 'P', category: 'C', languageCode: 'en', connectedListLevel: null }] } });
      const before = (await admin.get(`${base}/${created.id}`)).body;
      const auditBefore = (await admin.get(`${base}/${created.id}/audit`)).body;
      await first.close({ keepDatabase: true });

      const second = await startTestServer({ database });
      try {
        const again = await signIn(second.url, first.admin);
        assert.deepEqual((await again.get(`${base}/${created.id}`)).body, before);
        assert.deepEqual((await again.get(`${base}/${created.id}/audit`)).body, auditBefore);
      } finally {
        await second.close();
      }
    });

    test('SIGKILL in the middle of saves loses no acknowledged change', async () => {
      const database = await kind.create();
      const env: Record<string, string> = { PATCHBAY_DATA_DIR: database.dataDir };
      if (database.location.kind === 'postgres') env.PATCHBAY_DATABASE_URL = database.location.url;
      try {
        let { child, url } = await startPatchbayChild(env);
        const admin = await signIn(url, { loginId: DEMO.admin.loginId, password: DEMO.admin.password });
        const base = `/api/companies/${DEMO.companyId}/connectors`;
        const acknowledgedRegistrations: string[] = [];
        const acknowledgedRevision = new Map<string, number>();
        const WRITERS = 6;
        const ids: string[] = [];
        for (let i = 0; i < WRITERS; i++) {
          const created = await admin.post(base, { name: `Writer ${i}`, description: 'rev 0', hostName: 'https://c.example.com', userName: 'writer-user-name', password: 'writer-password' });
          ids.push(created.body.id);
          acknowledgedRevision.set(created.body.id, 0);
        }
        let stop = false;
        const writers = ids.map(async (id, index) => {
          for (let revision = 1; !stop; revision++) {
            try {
              const modified = await admin.patch(`${base}/${id}`, { description: `rev ${revision}` });
              if (modified.status === 200) acknowledgedRevision.set(id, revision);
              if (revision % 5 === 0) {
                const created = await admin.post(base, { name: `Extra ${index}-${revision}`, description: '', hostName: 'https://c.example.com', userName: 'writer-user-name', password: 'writer-password' });
                if (created.status === 201) acknowledgedRegistrations.push(created.body.id);
              }
            } catch {
              return; // the server is gone
            }
          }
        });
        // Let the writers get going, then kill the server without warning.
        while ([...acknowledgedRevision.values()].reduce((a, b) => a + b, 0) < 60) await new Promise((resolve) => setTimeout(resolve, 10));
        child.kill('SIGKILL');
        await exited(child);
        stop = true;
        await Promise.all(writers);
        assert.ok(acknowledgedRegistrations.length > 0, 'some registrations were acknowledged before the kill');

        ({ child, url } = await startPatchbayChild(env));
        try {
          const store = await openStore(database.location);
          try {
            for (const [id, revision] of acknowledgedRevision) {
              const row = await store.db.selectFrom('connectors').select('description').where('id', '=', id).executeTakeFirstOrThrow();
              const stored = Number(row.description.replace('rev ', ''));
              assert.ok(stored >= revision, `connector ${id}: acknowledged rev ${revision}, stored ${row.description}`);
              const audited = await store.db.selectFrom('audit_log').select('id').where('target_id', '=', id).where('action', '=', 'connector.modified').execute();
              assert.equal(audited.length, stored, 'every stored change has exactly its audit entry');
            }
            for (const id of acknowledgedRegistrations) {
              assert.ok(await store.db.selectFrom('connectors').select('id').where('id', '=', id).executeTakeFirst(), `registration ${id} was acknowledged but lost`);
            }
          } finally {
            await store.close();
          }
          const again = await signIn(url, { loginId: DEMO.admin.loginId, password: DEMO.admin.password });
          assert.equal((await again.get(base)).status, 200);
        } finally {
          child.kill('SIGTERM');
          await exited(child);
        }
      } finally {
        await database.drop();
      }
    });
  });
}
