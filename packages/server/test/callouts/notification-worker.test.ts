/**
 * The notification worker on its own, over real SQLite and PostgreSQL stores, with a callout client that
 * answers as each test scripts it: retries follow the delivery clock (so `--clock-speed` shortens them),
 * `stop` lets a post in flight finish and record itself (and gives up on one that outlasts the deadline),
 * a failing claim is logged and retried, and a post that throws counts as a failed attempt. Every test
 * stops its worker.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { storeSuites, type TestDatabase } from '../support/stores.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { createSecretBox, type SecretBox } from '../../src/security/secret-box.ts';
import { createClock } from '../../src/events/clock.ts';
import { createCompany } from '../../src/companies/companies.ts';
import { queueNotification } from '../../src/callouts/notifications.ts';
import { startNotificationWorker, type NotificationWorker } from '../../src/callouts/notification-worker.ts';
import type { CalloutCall, CalloutClient, CalloutResult } from '../../src/callouts/callout-client.ts';
import { deferred, eventually } from './notification-fixtures.ts';

const WORKFLOW_ID = 'worker-test-workflow';

/** A callout client whose answers the test scripts; it records every call. */
function scriptedCallouts(answer: (call: CalloutCall, index: number) => CalloutResult | Promise<CalloutResult>): CalloutClient & { calls: CalloutCall[] } {
  const calls: CalloutCall[] = [];
  return {
    calls,
    async post(call, judge) {
      calls.push(call);
      return judge(await answer(call, calls.length - 1));
    },
    flush: async () => {},
    close: async () => {},
  };
}

const http = (status: number): CalloutResult => ({ ok: true, status, headers: {}, body: Buffer.from(''), durationMs: 1 });

/** A logger that keeps the errors it is given. */
function recordingLog(): FastifyBaseLogger & { errors: string[] } {
  const errors: string[] = [];
  const log = { errors, error: (_details: object, message: string) => errors.push(message), warn() {}, info() {}, debug() {}, trace() {}, fatal() {}, child: () => log, level: 'info', silent() {} };
  return log as unknown as FastifyBaseLogger & { errors: string[] };
}

for (const { kind, skip } of await storeSuites()) {
  describe(`notification worker [${kind.name}]`, { skip }, () => {
    let database: TestDatabase;
    let store: Store;
    let secrets: SecretBox;

    before(async () => {
      database = await kind.create();
      store = await openStore(database.location);
      await store.migrate();
      secrets = createSecretBox(randomBytes(32));
    });
    after(async () => {
      await store?.close();
      await database?.drop();
    });

    /** A company with a Verified connector whose External Report Validation service notifies, and `count` queued notifications. */
    async function queued(count: number): Promise<{ companyId: string; ids: string[] }> {
      return store.transaction(async (trx) => {
        const company = await createCompany(trx, null, { name: `Worker Co ${randomUUID().slice(0, 6)}`, edition: 'PROFESSIONAL', developmentPartner: true });
        const connectorId = randomUUID();
        const now = Date.now();
        await trx
          .insertInto('connectors')
          .values({
            id: connectorId, company_id: company.id, name: 'Validator', description: '', host_name: 'https://connector.example.test', user_name: 'connector-user',
            password_encrypted: secrets.seal('connector-password'), verified: true, verified_at: now, last_test_at: now, last_test_outcome: 'verified',
            last_test_message: '', last_test_http_status: 200, created_at: now, updated_at: now,
          })
          .execute();
        await trx
          .insertInto('connector_services')
          .values({ connector_id: connectorId, service: 'external-report-validation', endpoint: '/concur/v1.0/notify', active: true, settings: JSON.stringify({ workflows: [{ workflowId: WORKFLOW_ID, steps: ['SUBMIT'] }] }), updated_at: now })
          .execute();
        const ids = [];
        for (let i = 0; i < count; i++) {
          const row = await queueNotification(trx, { companyId: company.id, requestId: randomUUID().replaceAll('-', '').toUpperCase(), workflowId: WORKFLOW_ID, connectorId, publicUrl: 'https://patchbay.example.test', now });
          ids.push(row!.id);
        }
        return { companyId: company.id, ids };
      });
    }
    const rowOf = (id: string) => store.db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();

    function start(callouts: CalloutClient, overrides: Partial<Parameters<typeof startNotificationWorker>[0]> = {}): NotificationWorker {
      return startNotificationWorker({ store, callouts, secrets, clock: createClock(1), log: recordingLog(), maxAttempts: 5, retryBaseMs: 60_000, timeoutMs: 5_000, ...overrides });
    }

    test('retries run on the delivery clock: at 3600× a one-minute backoff passes in milliseconds', async () => {
      const { ids } = await queued(1);
      const callouts = scriptedCallouts((_call, index) => http(index === 0 ? 500 : 200));
      const worker = start(callouts, { clock: createClock(3_600), retryBaseMs: 60_000 });
      try {
        // At real speed the retry would wait 48 to 72 seconds; the guard is far shorter.
        await eventually(async () => (await rowOf(ids[0]!)) === undefined, () => `${callouts.calls.length} calls`, 15_000);
        assert.equal(callouts.calls.length, 2);
        assert.equal(callouts.calls[0]!.service, 'notification');
        assert.equal(callouts.calls[0]!.contentType, 'application/xml; charset=utf-8');
        assert.equal(callouts.calls[0]!.target.url, 'https://connector.example.test/concur/v1.0/notify');
        assert.equal(callouts.calls[0]!.target.password, 'connector-password');
      } finally {
        worker.wake();
        await worker.stop(1_000);
      }
    });

    test('stop stops claiming and lets the post in flight finish and record itself', async () => {
      const { ids } = await queued(2);
      const release = deferred();
      const callouts = scriptedCallouts(async () => {
        await release.promise;
        return http(200);
      });
      const worker = start(callouts);
      await eventually(() => callouts.calls.length === 1, () => `${callouts.calls.length} calls`);
      const stopped = worker.stop(10_000);
      release.resolve();
      await stopped;
      assert.equal(await rowOf(ids[0]!), undefined, 'the post in flight was recorded before stop resolved');
      assert.equal(callouts.calls.length, 1, 'nothing claimed after stop');
      assert.equal((await rowOf(ids[1]!))?.status, 'PENDING', 'the next one waits for the next start');
      await store.db.deleteFrom('notifications').where('id', '=', ids[1]!).execute();
    });

    test('stop gives up on a post that outlasts the deadline; the notification stays queued under its lease', async () => {
      const { ids } = await queued(1);
      const release = deferred<CalloutResult>();
      const callouts = scriptedCallouts(() => release.promise);
      const worker = start(callouts);
      await eventually(() => callouts.calls.length === 1, () => `${callouts.calls.length} calls`);
      await worker.stop(20);
      const row = await rowOf(ids[0]!);
      assert.equal(row?.status, 'PENDING');
      assert.ok(row?.lease_owner, 'still leased: claimed again once the lease runs out (or at the next start on SQLite)');
      release.resolve(http(500));
      await eventually(async () => (await rowOf(ids[0]!))?.lease_owner === null, () => 'the late answer is recorded');
      await store.db.deleteFrom('notifications').where('id', '=', ids[0]!).execute();
    });

    test('a failing claim is logged and tried again; the worker keeps going', async () => {
      const { ids } = await queued(1);
      let failures = 2;
      const flaky: Store = {
        ...store,
        db: store.db,
        transaction: (work) => (failures-- > 0 ? Promise.reject(new Error('the database is restarting')) : store.transaction(work)),
      };
      const log = recordingLog();
      const callouts = scriptedCallouts(() => http(200));
      const worker = startNotificationWorker({ store: flaky, callouts, secrets, clock: createClock(1), log, maxAttempts: 5, retryBaseMs: 60_000, timeoutMs: 5_000 });
      try {
        await eventually(async () => (await rowOf(ids[0]!)) === undefined, () => `${log.errors.join('; ')}`);
        assert.ok(log.errors.filter((message) => /claiming failed/.test(message)).length >= 2, log.errors.join('; '));
      } finally {
        await worker.stop(1_000);
      }
    });

    test('a post that throws counts as a failed attempt and is retried', async () => {
      const { ids } = await queued(1);
      const callouts = scriptedCallouts((_call, index) => {
        if (index === 0) throw new Error('the safe list could not be read');
        return http(200);
      });
      const log = recordingLog();
      const worker = start(callouts, { clock: createClock(3_600), log });
      try {
        await eventually(async () => (await rowOf(ids[0]!))?.attempts === 1 || callouts.calls.length > 1, () => `${callouts.calls.length} calls`);
        await eventually(async () => (await rowOf(ids[0]!)) === undefined, () => `${callouts.calls.length} calls; ${log.errors.join('; ')}`);
        assert.equal(callouts.calls.length, 2);
        assert.ok(log.errors.some((message) => /posting failed unexpectedly/.test(message)));
      } finally {
        await worker.stop(1_000);
      }
    });
  });
}
