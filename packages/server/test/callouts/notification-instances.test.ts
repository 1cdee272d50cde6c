/**
 * Two patchbay instances on one PostgreSQL schema share the Event Notification queue: every notification
 * is posted exactly once (never by both instances), both instances take part, a company never has two notifications in flight at
 * once, and each company's notifications arrive in queue order. PostgreSQL only: on SQLite one process
 * owns the database.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { signIn } from '../support/api-client.ts';
import { createDevCa } from '../support/tls-fixture.ts';
import { queueNotification } from '../../src/callouts/notifications.ts';
import { saveWorkflow } from '../../src/requests/workflow-admin.ts';
import { eventually, registerNotifyingConnector, startNotifyConnector, type NotifyConnector, type NotificationPost } from './notification-fixtures.ts';

const postgres = STORE_KINDS.find((kind) => kind.name === 'postgres')!;
const skip = (await postgres.unavailable()) ?? false;

// More companies than one instance posts for at once (16), with slow answers, so that one instance
// cannot take the whole queue and both instances claim side by side.
const COMPANIES = 20;
const PER_COMPANY = 4;
const ANSWER_MS = 300;

/** The company a post is about: the notifications are queued with a public URL naming it. */
const companyOf = (post: NotificationPost): string => /<ObjectURI>https:\/\/(c\d+)\./.exec(post.body.toString('utf8'))?.[1] ?? '?';

describe('Event Notification by two patchbay instances on one PostgreSQL', { skip }, () => {
  test('each notification is posted once, one at a time per company, in queue order', async (t) => {
    const database = await postgres.create();
    const ca = await createDevCa();
    const env = { PATCHBAY_NOTIFICATION_TIMEOUT_MS: '10000' };
    let first: TestServer | undefined;
    let second: TestServer | undefined;
    let connector: NotifyConnector | undefined;
    try {
      first = await startTestServer({ database, extraCa: ca.caCert, env });
      second = await startTestServer({ database, extraCa: ca.caCert, env });
      connector = await startNotifyConnector(ca);
      const open = new Map<string, number>();
      let mostOpenAtOnce = 0;
      connector.answer = async (post) => {
        const company = companyOf(post);
        open.set(company, (open.get(company) ?? 0) + 1);
        mostOpenAtOnce = Math.max(mostOpenAtOnce, open.get(company)!);
        await new Promise((resolve) => setTimeout(resolve, ANSWER_MS));
        open.set(company, open.get(company)! - 1);
        return 200;
      };

      const companies: Array<{ companyId: string; connectorId: string; workflowId: string }> = [];
      const admins = [{ server: first, companyId: first.companyId, user: first.admin }, { server: second, companyId: second.companyId, user: second.admin }];
      for (let i = admins.length; i < COMPANIES; i++) {
        const added = await first.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] });
        admins.push({ server: first, companyId: added.companyId, user: added.user });
      }
      for (const { server, companyId, user } of admins) {
        await server.addSafeHost('localhost', companyId);
        // The company's own workflow, ticked on its connector's External Report Validation service.
        const workflowId = await server.patchbay.store.transaction(async (trx) => (await saveWorkflow(trx, null, companyId, { name: `Instances workflow ${randomUUID().slice(0, 6)}`, steps: [] })).id);
        companies.push({ companyId, workflowId, connectorId: await registerNotifyingConnector(await signIn(server.url, user), companyId, connector.url, { workflowIds: [workflowId] }) });
      }

      // Lease owners seen while the queue drains (one per instance's worker).
      const owners = new Set<string>();
      let watching = true;
      const store = first.patchbay.store;
      const watcher = (async () => {
        while (watching) {
          for (const row of await store.db.selectFrom('notifications').select('lease_owner').distinct().where('lease_owner', 'is not', null).execute()) owners.add(row.lease_owner!);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();

      const queued = await store.transaction(async (trx) => {
        const rows = [];
        for (let i = 0; i < COMPANIES * PER_COMPANY; i++) {
          const { companyId, connectorId, workflowId } = companies[i % COMPANIES]!;
          const requestId = randomUUID().replaceAll('-', '').toUpperCase();
          const row = await queueNotification(trx, { companyId, requestId, workflowId, connectorId, publicUrl: `https://c${i % COMPANIES}.patchbay.test`, now: Date.now() });
          assert.ok(row);
          rows.push(row);
        }
        return rows;
      });
      const explain = () => `posts: ${JSON.stringify(connector!.posts.map((p) => [p.index, companyOf(p), p.requestId.slice(0, 6), p.answered]))}`;
      await eventually(async () => connector!.posts.filter((p) => p.answered === 200).length >= queued.length && (await store.db.selectFrom('notifications').select('id').execute()).length === 0, explain, 60_000);
      watching = false;
      await watcher;

      assert.equal(connector.posts.length, queued.length, `each notification posted exactly once: ${explain()}`);
      assert.deepEqual(connector.posts.map((p) => p.requestId).sort(), queued.map((row) => row.request_id).sort());
      assert.equal(mostOpenAtOnce, 1, 'never two notifications of one company in flight at once');
      for (let k = 0; k < COMPANIES; k++) {
        const arrived: string[] = connector.posts.filter((p) => companyOf(p) === `c${k}`).map((p) => p.requestId);
        const inQueueOrder = queued.filter((_, i) => i % COMPANIES === k).map((row) => row.request_id);
        assert.deepEqual(arrived, inQueueOrder, `company c${k} in queue order`);
      }
      assert.equal(owners.size, 2, 'both instances posted notifications');
      t.diagnostic(`${queued.length} notifications of ${COMPANIES} companies, lease owners seen: ${owners.size}`);
    } finally {
      await connector?.close();
      await second?.close({ keepDatabase: true });
      await first?.close();
    }
  });
});
