/**
 * Reliability, database faults: a real `patchbay start` child on a private PostgreSQL cluster (these
 * tests restart their database, so they never use the shared server) while the database is restarted
 * under it: `pg_ctl restart -m fast` (the server closes every connection) and `pg_ctl stop -m immediate`
 * (a crash) with the database away for a few seconds before it recovers. patchbay must keep running
 * (the same process throughout), answer /healthz with 503 while the database is away and 200 once it is
 * back, carry on serving, and lose nothing: after mixed load the same checks as the crash test hold
 * (every acknowledged transition with exactly one event, every event and notification delivered,
 * nothing half-written). A call answered with a 5xx during an outage may or may not have committed; the
 * checks treat it as unanswered.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { killChildren } from '../support/patchbay-child.ts';
import { startReceiver, userToken, waitUntil, type Receiver } from '../support/ess-fixtures.ts';
import { startNotifyConnector, type NotifyConnector } from '../callouts/notification-fixtures.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { DEMO } from '../../src/demo.ts';
import { connectorCa, platformSettings, startPlatform, type Platform } from './platform-process.ts';
import { buildWorld, checkConsistency, describeFigures, startLoad, threeCompanyWorld, waitForDrain, type Load } from './mixed-load.ts';
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from './private-postgres.ts';
import { RELIABILITY, between, testRandom, sleep } from './reliability-settings.ts';

after(killChildren);

const unavailable = await privatePostgresUnavailable();
if (unavailable) process.stdout.write(`# reliability: the PostgreSQL restart tests are skipped: ${unavailable}\n`);

/** Polls /healthz until stopped, counting the answers. */
function watchHealth(url: string) {
  const seen = { ok: 0, unavailable: 0, other: 0, noAnswer: 0 };
  let stopping = false;
  const done = (async () => {
    while (!stopping) {
      try {
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        if (response.status === 200) seen.ok++;
        else if (response.status === 503) seen.unavailable++;
        else seen.other++;
      } catch {
        seen.noAnswer++;
      }
      await sleep(100);
    }
  })();
  return {
    seen,
    async stop() {
      stopping = true;
      await done;
    },
  };
}

/** The /healthz status, 0 without an answer. */
const health = (url: string) => fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, () => 0);

describe('reliability: PostgreSQL restarted under load', { skip: unavailable ?? false }, () => {
  let cluster: PrivatePostgres;
  let databases = 0;
  const dataDirs: string[] = [];

  /** A fresh database in the private cluster, and a data directory for the child (its secret key). */
  async function freshDatabase(): Promise<{ url: string; dataDir: string }> {
    const name = `reliability_${++databases}`;
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    const dataDir = mkdtempSync(path.join(tmpdir(), 'patchbay-reliability-'));
    dataDirs.push(dataDir);
    return { url: cluster.url.replace(/\/postgres$/, `/${name}`), dataDir };
  }

  before(async () => {
    cluster = await startPrivatePostgres();
  });
  after(async () => {
    await cluster?.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  // The defect this guards against: pg's Pool listens for errors only on idle clients. A client that
  // is checked out (a transaction between two statements, say) when the server terminates its
  // connection emits 'error' with no listener, and the whole process dies.
  test('regression: PostgreSQL terminating its connections (pg_ctl restart -m fast) crashed patchbay with an unhandled pg client error', { timeout: 5 * 60_000 }, async () => {
    const database = await freshDatabase();
    const platform = await startPlatform({ PATCHBAY_DATA_DIR: database.dataDir, PATCHBAY_DATABASE_URL: database.url });
    let stopping = false;
    let writers: Promise<void>[] = [];
    try {
      // Writers keep transactions open in the platform (Request v4 creates), as its workers do too.
      const token = await userToken(platform.url, { id: DEMO.application.id, secret: DEMO.application.clientSecret }, DEMO.employee);
      writers = Array.from({ length: 4 }, async () => {
        while (!stopping) {
          await fetch(`${platform.url}/travelrequest/v4/requests`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'Restart', businessPurpose: 'Reliability' }),
            signal: AbortSignal.timeout(10_000),
          }).then((r) => r.arrayBuffer(), () => sleep(50));
        }
      });
      for (let restart = 1; restart <= 3; restart++) {
        await sleep(500);
        await cluster.restart('fast');
        await waitUntil(async () => platform.unexpectedExits.length > 0 || (await health(platform.url)) === 200, () => platform.output(), { timeoutMs: 60_000 });
        assert.deepEqual(platform.unexpectedExits, [], `patchbay must survive PostgreSQL closing its connections (restart ${restart})`);
      }
    } finally {
      stopping = true;
      await Promise.all(writers);
      await platform.stop();
    }
  });

  test(`${RELIABILITY.postgresRestarts} database restarts (-m fast, and -m immediate with an outage) during mixed load: patchbay reconnects by itself and loses nothing`, { timeout: 60 * 60_000 }, async (t) => {
    const random = testRandom(t, 7);
    const database = await freshDatabase();
    let receiver: Receiver | undefined;
    let connector: NotifyConnector | undefined;
    let platform: Platform | undefined;
    let store: Store | undefined;
    let load: Load | undefined;
    let watcher: ReturnType<typeof watchHealth> | undefined;
    try {
      const { ca, caFile } = await connectorCa(database.dataDir);
      receiver = await startReceiver();
      connector = await startNotifyConnector(ca);
      platform = await startPlatform(platformSettings({ dataDir: database.dataDir, location: { kind: 'postgres', url: database.url } }, caFile, 2_000));
      store = await openStore({ kind: 'postgres', url: database.url });
      const world = await buildWorld(platform, store, receiver, threeCompanyWorld(connector), random);
      // The test's own connections stay out of the way of the restarts.
      await store.close();
      store = undefined;
      load = startLoad(world, { random, notificationGuardMs: 180_000 });
      const running = load;
      const live = platform;
      const pid = live.pid();
      const explain = () => `${running.acked()} acknowledged; failures: ${running.failures.slice(0, 3).join(' | ')}; exits: ${live.unexpectedExits.join(' | ')}\n${live.output(2_000)}\n--- postgres log ---\n${cluster.log(1_500)}`;
      const outages: string[] = [];
      let unavailableAnswers = 0;

      for (let restart = 1; restart <= RELIABILITY.postgresRestarts; restart++) {
        const since = running.acked();
        const work = between(random, 20, 60);
        await waitUntil(() => running.acked() - since >= work || running.failures.length > 0 || live.unexpectedExits.length > 0, explain, { timeoutMs: 180_000 });
        assert.deepEqual(running.failures, [], 'the load behaved before the restart');
        assert.deepEqual(live.unexpectedExits, [], 'patchbay kept running');
        watcher = watchHealth(live.url);
        const fast = restart % 2 === 1;
        const began = Date.now();
        let downMs = 0;
        if (fast) {
          await cluster.restart('fast');
        } else {
          // A crash of the database, which stays away for a while before it recovers.
          await cluster.stop('immediate');
          downMs = between(random, 1_500, 4_000);
          await sleep(downMs);
          await cluster.start();
        }
        const back = Date.now();
        // patchbay answers again and the load is acknowledged again, without a restart of patchbay.
        const after = running.acked();
        await waitUntil(async () => live.unexpectedExits.length > 0 || ((await health(live.url)) === 200 && running.acked() - after >= 5), explain, { timeoutMs: 120_000 });
        await watcher.stop();
        assert.deepEqual(live.unexpectedExits, [], 'patchbay kept running through the database restart');
        assert.equal(live.pid(), pid, 'the same patchbay process served before and after');
        unavailableAnswers += watcher.seen.unavailable;
        outages.push(
          `${fast ? 'restart -m fast' : `stop -m immediate, ${downMs} ms down, start`}: database back after ${back - began} ms, load acknowledged again ${Date.now() - back} ms later; ` +
            `/healthz answered 503 ${watcher.seen.unavailable}x, 200 ${watcher.seen.ok}x, other ${watcher.seen.other}x, nothing ${watcher.seen.noAnswer}x`,
        );
        watcher = undefined;
      }
      const serverErrors = running.serverErrors();
      await running.stop();
      store = await openStore({ kind: 'postgres', url: database.url });
      await waitForDrain(world, store);
      const figures = await checkConsistency(world, running, store);
      assert.deepEqual(live.unexpectedExits, [], 'patchbay never crashed');
      for (const line of outages) t.diagnostic(line);
      t.diagnostic(`database restarts survived: ${RELIABILITY.postgresRestarts} (one patchbay process throughout); 503 from /healthz during outages: ${unavailableAnswers}; calls answered 5xx during outages: ${serverErrors}; ${describeFigures(figures)}`);
    } finally {
      await watcher?.stop();
      await load?.stop();
      await platform?.stop();
      await store?.close();
      await receiver?.close();
      await connector?.close();
    }
  });
});
