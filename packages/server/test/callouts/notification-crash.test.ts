/**
 * A SIGKILL of the platform while it posts Event Notifications loses none, on SQLite and PostgreSQL. A
 * real `patchbay start --demo` child process posts a queue of notifications of two companies to a real
 * HTTPS connector; once some are delivered the connector stops answering, so that each company's head is
 * in flight, and the process is killed with SIGKILL. Started again on the same database, patchbay posts
 * every notification that was not acknowledged: each arrives at least once (an acknowledged one whose
 * deletion had not committed may arrive twice), and per company their first arrivals keep queue order.
 * `PATCHBAY_NOTIFICATION_TIMEOUT_MS` is small so that on PostgreSQL, where another live instance may
 * hold them, the dead process's leases run out soon.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { storeSuites } from '../support/stores.ts';
import { freePort } from '../support/server.ts';
import { signIn } from '../support/api-client.ts';
import { createDevCa } from '../support/tls-fixture.ts';
import { exited, killChildren, startPatchbayChild } from '../support/patchbay-child.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { saveWorkflow } from '../../src/requests/workflow-admin.ts';
import { DEMO } from '../../src/demo.ts';
import { addSafeListHost, createCompany, createUser } from '../../src/companies/companies.ts';
import { queueNotification } from '../../src/callouts/notifications.ts';
import { HANG, eventually, registerNotifyingConnector, startNotifyConnector, type NotifyConnector } from './notification-fixtures.ts';

after(killChildren);

/** Notifications per company. */
const PER_COMPANY = 12;
/** The workflow id the connectors' services tick (the notifications are queued directly, not by requests). */

for (const { kind, skip } of await storeSuites()) {
  describe(`Event Notification across a SIGKILL [${kind.name}]`, { skip }, () => {
    test('SIGKILL while posting loses nothing: after a restart every notification arrives at least once, in queue order per company', async (t) => {
      const database = await kind.create();
      const ca = await createDevCa();
      const caFile = `${database.dataDir}/connector-ca.pem`;
      writeFileSync(caFile, ca.caCert);
      const env: Record<string, string> = {
        PATCHBAY_DATA_DIR: database.dataDir,
        PATCHBAY_EXTRA_CA_FILE: caFile,
        PATCHBAY_ALLOW_PRIVATE_ADDRESSES: 'loopback',
        PATCHBAY_NOTIFICATION_TIMEOUT_MS: '2000',
        PATCHBAY_NOTIFICATION_RETRY_BASE_MS: '100',
        // Never FAILED here: every notification must end delivered.
        PATCHBAY_NOTIFICATION_MAX_ATTEMPTS: '1000',
      };
      if (database.location.kind === 'postgres') env.PATCHBAY_DATABASE_URL = database.location.url;
      const port = await freePort();
      let connector: NotifyConnector | undefined;
      let running: ChildProcess | undefined;
      let handle: Store | undefined;
      try {
        const first = await startPatchbayChild(env, port);
        running = first.child;
        handle = await openStore(database.location);
        const store = handle;
        connector = await startNotifyConnector(ca);
        connector.answer = () => new Promise((resolve) => setTimeout(() => resolve(200), 15));

        // Two companies, each with a connector whose External Report Validation service is on.
        const companyB = await store.transaction(async (trx) => {
          const company = await createCompany(trx, null, { name: 'Crash Co B', edition: 'PROFESSIONAL', developmentPartner: true });
          await addSafeListHost(trx, null, company.id, 'localhost');
          return company;
        });
        const userB = { loginId: `admin-${randomUUID().slice(0, 8)}@crash.test`, password: 'correct-horse-battery' };
        await store.transaction((trx) => createUser(trx, null, { companyId: companyB.id, name: 'B Admin', roles: ['WEB_SERVICES_ADMINISTRATOR'], ...userB }));
        // Each company's own workflow, ticked on its connector's External Report Validation service.
        const workflowOf = (companyId: string) => store.transaction(async (trx) => (await saveWorkflow(trx, null, companyId, { name: `Crash workflow ${randomUUID().slice(0, 6)}`, steps: [] })).id);
        const workflowA = await workflowOf(DEMO.companyId);
        const workflowB = await workflowOf(companyB.id);
        const companies = [
          { companyId: DEMO.companyId, workflowId: workflowA, connectorId: await registerNotifyingConnector(await signIn(first.url, { loginId: DEMO.admin.loginId, password: DEMO.admin.password }), DEMO.companyId, connector.url, { workflowIds: [workflowA] }) },
          { companyId: companyB.id, workflowId: workflowB, connectorId: await registerNotifyingConnector(await signIn(first.url, userB), companyB.id, connector.url, { workflowIds: [workflowB] }) },
        ];

        // The queue, interleaved between the companies, committed at once.
        const queued = await store.transaction(async (trx) => {
          const rows = [];
          for (let i = 0; i < PER_COMPANY * 2; i++) {
            const { companyId, connectorId, workflowId } = companies[i % 2]!;
            const requestId = randomUUID().replaceAll('-', '').toUpperCase();
            const row = await queueNotification(trx, { companyId, requestId, workflowId, connectorId, publicUrl: first.url, now: Date.now() });
            assert.ok(row, 'the connector notifies for the workflow');
            rows.push(row);
          }
          return rows;
        });
        const companyOf = new Map(queued.map((row) => [row.request_id, row.company_id]));
        const acknowledged = () => new Set(connector!.posts.filter((p) => p.answered === 200).map((p) => p.requestId));
        const explain = () => `${acknowledged().size} of ${queued.length} acknowledged; posts: ${JSON.stringify(connector!.posts.map((p) => [p.index, p.requestId.slice(0, 6), p.answered]))}`;

        // Once some are delivered, the connector holds every post open, and the platform is killed
        // with a company's head in flight.
        await eventually(() => acknowledged().size >= 6, () => `${explain()}\n${first.output()}`);
        connector.answer = () => HANG;
        await eventually(() => connector!.posts.some((p) => p.held), () => `${explain()}\n${first.output()}`);
        first.child.kill('SIGKILL');
        await exited(first.child);
        const inFlightAtKill = connector.posts.filter((p) => p.held).map((p) => p.requestId);
        const postsBeforeKill = connector.posts.length;
        t.diagnostic(`acknowledged before the kill: ${acknowledged().size}; in flight at the kill: ${inFlightAtKill.length}`);

        connector.answer = () => 200;
        const second = await startPatchbayChild(env, port);
        running = second.child;
        await eventually(
          async () => acknowledged().size === queued.length && (await store.db.selectFrom('notifications').select('id').execute()).length === 0,
          async () => `${explain()}; rows left: ${JSON.stringify(await store.db.selectFrom('notifications').select(['id', 'status', 'attempts', 'lease_expires_at']).execute())}\n${second.output()}`,
          // On PostgreSQL the dead process's leases must run out first (notification timeout + margin).
          120_000,
        );

        // Every notification arrived at least once, those in flight at the kill again after the restart.
        assert.deepEqual([...acknowledged()].sort(), queued.map((row) => row.request_id).sort());
        for (const requestId of inFlightAtKill) {
          assert.ok(connector.posts.some((p) => p.index >= postsBeforeKill && p.requestId === requestId && p.answered === 200), `${requestId} was posted again after the restart`);
        }
        // Per company, first arrivals are in queue (seq) order.
        for (const { companyId } of companies) {
          const firstArrivals: string[] = [];
          for (const post of connector.posts) {
            if (companyOf.get(post.requestId) === companyId && !firstArrivals.includes(post.requestId)) firstArrivals.push(post.requestId);
          }
          const inQueueOrder = queued.filter((row) => row.company_id === companyId).sort((a, b) => a.seq - b.seq).map((row) => row.request_id);
          assert.deepEqual(firstArrivals, inQueueOrder, `company ${companyId}: ${explain()}`);
        }
        const duplicates = connector.posts.filter((p) => p.answered === 200).length - queued.length;
        t.diagnostic(`${queued.length} notifications, ${connector.posts.length} posts, ${duplicates} acknowledged twice`);
      } finally {
        await handle?.close();
        if (running) {
          running.kill('SIGKILL');
          await exited(running);
        }
        await connector?.close();
        await database.drop();
      }
    });
  });
}
