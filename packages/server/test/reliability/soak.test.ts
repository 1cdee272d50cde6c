/**
 * Reliability, soak: a real `patchbay start` child carries paced mixed load (the crash test's world:
 * three companies, External Validation notifications, three subscriptions) for PATCHBAY_SOAK_SECONDS
 * (20 inside `npm test`, 600 with `npm run test:reliability`), on SQLite and PostgreSQL at once. Every
 * few seconds the test samples the child's resident memory (VmRSS), its open file descriptors and the
 * queue depths (PENDING deliveries and notifications), and prints them as a table. It checks that they
 * stay bounded (the memory peak grows by less than a generous limit between the second and the last quarter,
 * file descriptors do not keep growing), that the queues drain to zero once the load stops, and that
 * the consistency checks of the crash test hold over everything the soak did.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeSuites } from '../support/stores.ts';
import { killChildren } from '../support/patchbay-child.ts';
import { startReceiver, type Receiver } from '../support/ess-fixtures.ts';
import { startNotifyConnector, type NotifyConnector } from '../callouts/notification-fixtures.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { connectorCa, platformSettings, processFigures, startPlatform, type Platform } from './platform-process.ts';
import { buildWorld, checkConsistency, describeFigures, queueDepths, startLoad, threeCompanyWorld, waitForDrain, type Load } from './mixed-load.ts';
import { RELIABILITY, testRandom, sleep } from './reliability-settings.ts';

after(killChildren);

/**
 * The peak of resident memory may grow this much (MiB) from the second quarter of the soak to the last:
 * caches, the JIT and the heap's own sizing settle early; a leak proportional to the load passes it in
 * a long soak.
 */
const RSS_GROWTH_LIMIT_MIB = 96;
/** Open file descriptors may vary this much (sockets come and go), but not keep growing. */
const FD_GROWTH_LIMIT = 32;

/** One sample of the child and its queues. */
interface Sample {
  /** Seconds since the load began ('drained' for the sample taken once the queues were empty). */
  label: string;
  second: number;
  rssMiB: number;
  fds: number;
  pendingDeliveries: number;
  pendingNotifications: number;
  acknowledged: number;
}

const suites = await storeSuites();

// Both stores soak at the same time: the load is paced, and the soak's length is the point.
describe('reliability: soak', { concurrency: suites.length }, () => {
  for (const [storeIndex, { kind, skip }] of suites.entries()) {
    test(`[${kind.name}] ${RELIABILITY.soakSeconds} s of paced mixed load: memory, file descriptors and queue depth stay bounded, and the queues drain`, { skip, timeout: (RELIABILITY.soakSeconds + 30 * 60) * 1000 }, async (t) => {
      const random = testRandom(t, 23 + storeIndex);
      const database = await kind.create();
      const { ca, caFile } = await connectorCa(database.dataDir);
      let receiver: Receiver | undefined;
      let connector: NotifyConnector | undefined;
      let platform: Platform | undefined;
      let store: Store | undefined;
      let load: Load | undefined;
      try {
        receiver = await startReceiver();
        connector = await startNotifyConnector(ca);
        platform = await startPlatform(platformSettings(database, caFile, 5_000));
        store = await openStore(database.location);
        const world = await buildWorld(platform, store, receiver, threeCompanyWorld(connector), random);
        const pid = platform.pid()!;
        const seconds = RELIABILITY.soakSeconds;
        const everyMs = Math.max(2_000, Math.round((seconds * 1000) / 40));
        const samples: Sample[] = [];
        const began = Date.now();
        const sample = async (running: Load, label?: string) => {
          const figures = processFigures(pid);
          const depths = await queueDepths(store!);
          const second = Math.round((Date.now() - began) / 1000);
          samples.push({
            label: label ?? String(second),
            second,
            rssMiB: figures?.rssMiB ?? Number.NaN,
            fds: figures?.fds ?? Number.NaN,
            pendingDeliveries: depths.deliveries,
            pendingNotifications: depths.notifications,
            acknowledged: running.acked(),
          });
        };
        load = startLoad(world, { random, pauseMs: [20, 150] });
        const running = load;
        while (Date.now() - began < seconds * 1000) {
          await sleep(Math.min(everyMs, seconds * 1000 - (Date.now() - began)));
          assert.deepEqual(running.failures, [], 'the load behaved');
          assert.deepEqual(platform.unexpectedExits, [], 'patchbay kept running');
          await sample(running);
        }
        await running.stop();
        const stoppedAt = Date.now();
        await waitForDrain(world, store);
        const drainedMs = Date.now() - stoppedAt;
        await sample(running, 'drained');
        const figures = await checkConsistency(world, running, store);
        assert.deepEqual(platform.unexpectedExits, [], 'patchbay never crashed');
        assert.equal(platform.pid(), pid);
        assert.equal(running.serverErrors(), 0, 'no call was answered with a 5xx');

        t.diagnostic('  second   RSS MiB   fds   pending deliveries   pending notifications   transitions acknowledged');
        for (const s of samples) {
          t.diagnostic(`${s.label.padStart(8)}${s.rssMiB.toFixed(1).padStart(10)}${String(s.fds).padStart(6)}${String(s.pendingDeliveries).padStart(21)}${String(s.pendingNotifications).padStart(24)}${String(s.acknowledged).padStart(27)}`);
        }
        const during = samples.slice(0, -1);
        const quarter = (from: number, to: number) => during.filter((s) => s.second >= seconds * from && s.second <= seconds * to);
        const second = quarter(0.25, 0.5);
        const last = quarter(0.75, 1);
        // Peaks, not medians: V8 returns memory in large steps, so a sawtooth is normal; a leak raises the peaks.
        const rssGrowth = Math.max(...last.map((s) => s.rssMiB)) - Math.max(...second.map((s) => s.rssMiB));
        const fdGrowth = Math.max(...last.map((s) => s.fds)) - Math.max(...second.map((s) => s.fds));
        const maxDepth = Math.max(...during.map((s) => s.pendingDeliveries + s.pendingNotifications));
        t.diagnostic(
          `soak ${seconds} s: ${running.acked()} transitions acknowledged (${(running.acked() / seconds).toFixed(1)}/s); RSS ${Math.min(...during.map((s) => s.rssMiB)).toFixed(1)}-${Math.max(...during.map((s) => s.rssMiB)).toFixed(1)} MiB, ` +
            `peak growth from the second to the last quarter ${rssGrowth.toFixed(1)} MiB (limit ${RSS_GROWTH_LIMIT_MIB}); fds ${Math.min(...during.map((s) => s.fds))}-${Math.max(...during.map((s) => s.fds))} (growth ${fdGrowth}, limit ${FD_GROWTH_LIMIT}); ` +
            `queue depth at most ${maxDepth}, drained to 0 in ${(drainedMs / 1000).toFixed(1)} s after the load stopped`,
        );
        t.diagnostic(describeFigures(figures));
        if (processFigures(process.pid) !== null) {
          assert.ok(second.length > 0 && last.length > 0, 'samples in the second and the last quarter');
          assert.ok(rssGrowth < RSS_GROWTH_LIMIT_MIB, `resident memory grew ${rssGrowth.toFixed(1)} MiB from the second quarter of the soak to the last (limit ${RSS_GROWTH_LIMIT_MIB})`);
          assert.ok(fdGrowth <= FD_GROWTH_LIMIT, `open file descriptors grew by ${fdGrowth} from the second quarter of the soak to the last (limit ${FD_GROWTH_LIMIT})`);
        } else {
          t.diagnostic('no /proc here: memory and file descriptors were not sampled');
        }
        const final = samples.at(-1)!;
        assert.equal(final.pendingDeliveries + final.pendingNotifications, 0, 'the queues drained once the load stopped');
      } finally {
        await load?.stop();
        await platform?.stop();
        await store?.close();
        await receiver?.close();
        await connector?.close();
        await database.drop();
      }
    });
  }
});
