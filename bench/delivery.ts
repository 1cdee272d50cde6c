/**
 * The delivery benchmark (acceptance 5 of the ESS issue): events per second from a Request workflow
 * transition to an acknowledged webhook delivery, and the latency from the transition's commit to the
 * receiver, for fan-out 1 and 10 (subscriptions per event), beside bare undici POSTs to the same
 * receiver in the same run. SQLite, loopback only.
 *
 * Three processes: a real patchbay (`bench/lib/patchbay-process.ts`: `openPatchbay(loadConfig(...))`,
 * app and delivery worker, fresh for every measurement), a webhook receiver
 * (`bench/lib/webhook-receiver.ts`: `node:http`, keep-alive, answers 200 once the body is in and
 * records when it was, per event), and this one, which drives. Subscriptions are made with the
 * product's own functions (`saveSubscription`, then `companyConnected` for the demo company; two apps,
 * since an app may have five), one per fan-out, each to its own path of the receiver.
 *
 * For each fan-out F, four measurements:
 *   - bare: an undici Pool POSTs a real event body with ESS's headers to the receiver, closed loop,
 *     with as many requests in flight as patchbay may have for F subscriptions (min(C, F·⌊C/4⌋), C =
 *     the delivery concurrency: the worker gives one subscription a quarter of its slots at most).
 *   - backlog: events committed beforehand (the real `performAction` submit, 100 per transaction, with
 *     `enqueueDeliveries`), then patchbay starts and drains them: the delivery worker's own capacity,
 *     with no transitions competing (rate over the middle 80% of arrivals).
 *   - closed loop: `BENCH_CONCURRENCY` keep-alive connections POST Request v4 `submit` on fresh draft
 *     requests (the first step notifies; every submit publishes exactly one event) as fast as patchbay
 *     answers; an event counts when all F deliveries have reached the receiver inside the window.
 *   - paced: the same submits at a fixed rate (open loop: sent on schedule whatever the answers),
 *     `BENCH_PACED_RATE` events/s (the target load), then at half the closed-loop rate (a load patchbay
 *     sustains); latency percentiles over the events committed in the window. A paced run that falls
 *     more than half a second of submits behind stops sending and says so.
 * Latency = receiver's arrival time − the event's `timeStamp` (taken by `performAction` just before it
 * writes, so it also counts the rest of the transaction and its commit). Paced runs also report the
 * latency from the submit's scheduled send time (what the client sees, with HTTP queueing).
 * After each measurement the benchmark waits until every committed event reached every subscription,
 * and at the end it checks the outbox (every delivery DELIVERED), counts deliveries received twice, and
 * verifies one delivery's Concur-Signature against the stored public keys.
 *
 * Environment: BENCH_DURATION_MS (default 3000 per window, after 500 ms of warm-up),
 * BENCH_CONCURRENCY (closed-loop connections, default 16), BENCH_DELIVERY_CONCURRENCY (patchbay's
 * PATCHBAY_DELIVERY_CONCURRENCY, default 256 as in production), BENCH_PACED_RATE (default 1000),
 * BENCH_FANOUTS (default "0,1,10"; fan-out 0, no subscriptions, is a closed loop of transitions alone:
 * the ceiling the transition path sets, and its CPU cost), BENCH_MODES (default "bare,backlog,closed,paced"),
 * BENCH_BACKLOG_DELIVERIES (default 4000), BENCH_SERVER_LOG_LEVEL (default silent),
 * BENCH_PROFILE_DIR (patchbay children run with --cpu-prof and write one profile per measurement
 * there, and a summary of each is printed), BENCH_DATA_PARENT (where the temporary data directory is
 * made, default the OS temp dir; /dev/shm puts the database on tmpfs, where fsync is free: a
 * diagnostic that separates the cost of durable commits from CPU, not a result).
 * Results go to stdout, bench/results/delivery.md and bench/results/delivery.json. The run is bounded: it
 * declares its bound to `bench/run.ts` and keeps it itself (bench/lib/progress.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { openStore, type Store, type StoreLocation } from '../packages/server/src/store/store.ts';
import { DEMO, seedDemo } from '../packages/server/src/demo.ts';
import { findRequest } from '../packages/server/src/requests/requests.ts';
import { performAction } from '../packages/server/src/requests/workflow-engine.ts';
import { startNodeChild, type NodeChild } from './lib/child-process.ts';
import { startPatchbay, type PatchbayReady } from './lib/patchbay-process.ts';
import type { ReceivedDeliveries, ReceiverReady } from './lib/webhook-receiver.ts';
import { epochNow, percentiles, type Percentiles } from './lib/stats.ts';
import { summarise } from './lib/cpuprofile-summary.ts';
import {
  analyse as analyseWindow,
  createSubscriberApps,
  drained,
  freePort,
  pacedShortfall,
  pacedSubmits,
  precreate,
  PUBLIC_URL,
  sampleDelivery,
  subscribeReceiver,
  submit,
  userToken,
  verifyOutbox as verifyOutboxOf,
  type Receiver,
  type WindowStats,
} from './lib/delivery-kit.ts';
import { bound, makeTempDir, note, phase, removeTempDir } from './lib/progress.ts';
import { commitText, describeCommit, describeMachine, latencyOf, round, writeResult, type ResultRow, type Target } from './lib/result.ts';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3_000);
const WARMUP_MS = 500;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DELIVERY_CONCURRENCY = Number(process.env.BENCH_DELIVERY_CONCURRENCY ?? 256);
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 1_000);
const FANOUTS = (process.env.BENCH_FANOUTS ?? '0,1,10').split(',').map(Number);
const MODES = (process.env.BENCH_MODES ?? 'bare,backlog,closed,paced').split(',');
const BACKLOG_DELIVERIES = Number(process.env.BENCH_BACKLOG_DELIVERIES ?? 4_000);
const SERVER_LOG_LEVEL = process.env.BENCH_SERVER_LOG_LEVEL ?? 'silent';
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ? path.resolve(process.env.BENCH_PROFILE_DIR) : undefined;
const DATA_PARENT = process.env.BENCH_DATA_PARENT ?? os.tmpdir();
/** Paced runs: connections available to the open-loop client (so the client itself never queues). */
const PACED_CONNECTIONS = 64;
/** Draft requests set aside per closed-loop run, in events/s over warm-up and window (it stops early, and says so, when they run out). */
const CLOSED_LOOP_BUDGET = Number(process.env.BENCH_CLOSED_LOOP_BUDGET ?? 3_000);
/** A paced run gives up (and says so) when more than this many seconds of submits are unanswered. */
const PACED_MAX_BACKLOG_S = 0.5;
const TARGET_EVENTS = 2_000;
const TARGET_P95_MS = 50;
const TARGET_BARE_RATIO = 0.5;
const RESULTS = fileURLToPath(new URL('./results/delivery.md', import.meta.url));
const RECEIVER = fileURLToPath(new URL('./lib/webhook-receiver.ts', import.meta.url));

const say = (text: string) => process.stdout.write(`${text}\n`);

/**
 * The run's bound, declared to the runner: two minutes of setup (drafts, the smoke test), then per
 * measurement its window and warm-up plus 45 s for a fresh patchbay child, topping up the drafts and
 * draining the last deliveries on a loaded machine (fan-out 0 has one measurement, the others five).
 */
bound(120_000 + FANOUTS.reduce((count, fanOut) => count + (fanOut === 0 ? 1 : 5), 0) * (WARMUP_MS + DURATION_MS + 45_000));

/** Deliveries the receiver got more than once (same event, same subscription), over all measurements. */
let duplicateDeliveries = 0;

/** One measurement, as the table shows it. */
interface Row {
  fanOut: number;
  mode: 'bare' | 'backlog' | 'closed' | 'paced';
  label: string;
  /** Events fully delivered (all F subscriptions) per second. */
  eventsPerSecond?: number;
  /** Deliveries (or bare POSTs) acknowledged per second. */
  deliveriesPerSecond: number;
  /** Transitions answered 200 per second in the window (closed and paced). */
  transitionsPerSecond?: number;
  /** Transition commit → receiver, per delivery. */
  latency?: Percentiles | null;
  /** Paced: scheduled send of the submit → receiver, per delivery. */
  sendLatency?: Percentiles | null;
  /** patchbay child's CPU (user + system) per event, µs. */
  cpuPerEvent?: number;
  /** Paced: the requested load, events/s. */
  rate?: number;
  /** Whether the run held the requested load (paced) or pool (closed). */
  note?: string;
}

// ---------------------------------------------------------------------------------------------------
// Setup: the demo company, its employee as the traveler, two subscribing apps, draft requests

interface Fixture {
  location: StoreLocation;
  dataDir: string;
  travelerId: string;
  apps: string[];
}

async function setUp(): Promise<Fixture> {
  const dataDir = makeTempDir(DATA_PARENT, 'patchbay-bench-delivery-');
  const location: StoreLocation = { kind: 'sqlite', file: path.join(dataDir, 'patchbay.db') };
  const store = await openStore(location);
  try {
    await store.migrate();
    await seedDemo(store);
    const traveler = await store.db.selectFrom('users').select('id').where('login_id', '=', DEMO.employee.loginId).executeTakeFirstOrThrow();
    const apps = await createSubscriberApps(store);
    return { location, dataDir, travelerId: traveler.id, apps };
  } finally {
    await store.close();
  }
}

/** Subscriptions bench-hook-0 … bench-hook-(F−1) to the receiver, with the demo company connected. */
async function subscribe(fixture: Fixture, receiverUrl: string, fanOut: number): Promise<void> {
  await withStore(fixture, (store) => subscribeReceiver(store, fixture.apps, receiverUrl, fanOut));
}

async function withStore<T>(fixture: Fixture, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(fixture.location);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Hands out pre-created draft requests, one per submit; topped up before each measurement. */
class RequestPool {
  private next = 0;
  private readonly ids: string[] = [];
  private readonly fixture: Fixture;
  constructor(fixture: Fixture) {
    this.fixture = fixture;
  }
  take(): string | undefined {
    return this.ids[this.next++];
  }
  /** Makes sure at least `count` drafts are left (patchbay must not be running: it is SQLite). */
  async ensure(count: number): Promise<void> {
    const missing = Math.ceil(count) - (this.ids.length - this.next);
    if (missing <= 0) return;
    this.ids.push(...(await withStore(this.fixture, (store) => precreate(store, this.fixture.travelerId, missing))));
  }
}

// ---------------------------------------------------------------------------------------------------
// Processes

async function startServer(fixture: Fixture, name: string): Promise<NodeChild<PatchbayReady>> {
  const port = await freePort();
  return startPatchbay(
    {
      PATCHBAY_DATA_DIR: fixture.dataDir,
      PATCHBAY_HOST: '127.0.0.1',
      PATCHBAY_PORT: String(port),
      PATCHBAY_LOG_LEVEL: SERVER_LOG_LEVEL,
      PATCHBAY_ALLOW_HTTP_WEBHOOKS: 'true',
      PATCHBAY_ALLOW_PRIVATE_ADDRESSES: 'loopback',
      PATCHBAY_DELIVERY_CONCURRENCY: String(DELIVERY_CONCURRENCY),
    },
    { profileDir: PROFILE_DIR, name },
  );
}

/** Stops the child; with profiling on, names its profile after the measurement and prints a summary. */
async function stopServer(server: NodeChild<PatchbayReady>, label: string, options: { summary?: boolean } = {}): Promise<void> {
  const before = PROFILE_DIR ? new Set(readdirSync(PROFILE_DIR)) : new Set<string>();
  await server.stop();
  if (!PROFILE_DIR) return;
  const written = readdirSync(PROFILE_DIR).find((file) => file.endsWith('.cpuprofile') && !before.has(file) && file.includes(`.${server.pid}.`));
  if (!written) return;
  if (options.summary === false) {
    rmSync(path.join(PROFILE_DIR, written));
    return;
  }
  const named = `delivery-${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.cpuprofile`;
  renameSync(path.join(PROFILE_DIR, written), path.join(PROFILE_DIR, named));
  say(`  profile ${path.join(PROFILE_DIR, named)}:`);
  say(summarise(JSON.parse(readFileSync(path.join(PROFILE_DIR, named), 'utf8')) as Parameters<typeof summarise>[0], 15).replace(/^/gm, '    '));
}

// ---------------------------------------------------------------------------------------------------
// Analysis of what the receiver got

/** `analyse` of the kit, counting the deliveries received twice over the whole run. */
function analyse(records: ReceivedDeliveries, fanOut: number, windowStart: number, windowEnd: number): WindowStats {
  const stats = analyseWindow(records, fanOut, windowStart, windowEnd);
  duplicateDeliveries += stats.duplicates;
  return stats;
}

// ---------------------------------------------------------------------------------------------------
// Measurements

async function bare(receiver: Receiver, fanOut: number): Promise<Row> {
  const inFlight = Math.min(DELIVERY_CONCURRENCY, fanOut * Math.max(1, Math.floor(DELIVERY_CONCURRENCY / 4)));
  const { body, headers } = sampleDelivery();
  const pool = new Pool(receiver.ready.url, { connections: inFlight, pipelining: 1 });
  await receiver.call('reset');
  try {
    const begin = epochNow();
    const windowStart = begin + WARMUP_MS;
    const windowEnd = windowStart + DURATION_MS;
    let inWindow = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async (_, worker) => {
        while (epochNow() < windowEnd) {
          const response = await pool.request({ method: 'POST', path: `/bare/${worker % fanOut}`, headers, body });
          await response.body.dump();
          if (response.statusCode !== 200) throw new Error(`bare POST: ${response.statusCode}`);
          const now = epochNow();
          if (now >= windowStart && now < windowEnd) inWindow++;
        }
      }),
    );
    return { fanOut, mode: 'bare', label: `bare undici POSTs, ${inFlight} in flight`, deliveriesPerSecond: inWindow / (DURATION_MS / 1_000) };
  } finally {
    await pool.close();
  }
}

/** Commits `events` submits in-process (100 per transaction), then lets a fresh patchbay drain them. */
async function backlog(fixture: Fixture, receiver: Receiver, fanOut: number, requests: RequestPool): Promise<Row> {
  const events = Math.ceil(BACKLOG_DELIVERIES / fanOut);
  await requests.ensure(events);
  await withStore(fixture, async (store) => {
    for (let done = 0; done < events; done += 100) {
      await store.transaction(async (trx) => {
        for (let i = done; i < Math.min(events, done + 100); i++) {
          const id = requests.take();
          if (!id) throw new Error('the pool of draft requests ran out (backlog)');
          await performAction(trx, await findRequest(trx, DEMO.companyId, id), 'submit', { kind: 'user', userId: fixture.travelerId }, null, { publicUrl: PUBLIC_URL, correlationId: randomUUID() });
        }
      });
    }
  });
  await receiver.call('reset');
  const label = `F${fanOut} backlog`;
  const server = await startServer(fixture, label);
  const cpuStart = await server.cpuMicros();
  const received = await drained(receiver, events * fanOut);
  const cpu = (await server.cpuMicros()) - cpuStart;
  await stopServer(server, label);
  if (received < events * fanOut) throw new Error(`backlog: ${received} of ${events * fanOut} deliveries arrived`);
  const records = await receiver.call<ReceivedDeliveries>('collect');
  analyse(records, fanOut, 0, 0);
  const arrivals = Float64Array.from(records.arrivedAt).sort();
  const low = Math.floor(arrivals.length * 0.1);
  const high = Math.floor(arrivals.length * 0.9);
  const rate = (high - low) / ((arrivals[high]! - arrivals[low]!) / 1_000);
  return { fanOut, mode: 'backlog', label: `backlog of ${events.toLocaleString('en-US')} events drained`, eventsPerSecond: rate / fanOut, deliveriesPerSecond: rate, cpuPerEvent: cpu / events };
}

/** Closed loop: CONCURRENCY connections submit as fast as patchbay answers. */
async function closedLoop(fixture: Fixture, receiver: Receiver, fanOut: number, requests: RequestPool): Promise<Row> {
  await requests.ensure((CLOSED_LOOP_BUDGET * (WARMUP_MS + DURATION_MS)) / 1_000);
  await receiver.call('reset');
  const label = `F${fanOut} closed loop`;
  const server = await startServer(fixture, label);
  const pool = new Pool(server.ready.url, { connections: CONCURRENCY, pipelining: 1 });
  let committed = 0;
  let transitionsInWindow = 0;
  let ranOutAt: number | null = null;
  const token = await userToken(server.ready.url);
  const cpuStart = await server.cpuMicros();
  const begin = epochNow();
  const windowStart = begin + WARMUP_MS;
  let windowEnd = windowStart + DURATION_MS;
  try {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (epochNow() < windowEnd) {
          const id = requests.take();
          if (!id) {
            // The window ends here: what follows would not be a loaded system.
            ranOutAt ??= epochNow();
            windowEnd = Math.min(windowEnd, ranOutAt);
            return;
          }
          await submit(pool, token, id, randomUUID());
          committed++;
          const now = epochNow();
          if (now >= windowStart && now < windowEnd) transitionsInWindow++;
        }
      }),
    );
    if (windowEnd - windowStart < 1_000) throw new Error(`closed loop: the pool of draft requests ran out ${Math.round(windowEnd - windowStart)} ms into the window; raise CLOSED_LOOP_BUDGET`);
    const received = await drained(receiver, committed * fanOut);
    const cpu = (await server.cpuMicros()) - cpuStart;
    if (received < committed * fanOut) throw new Error(`closed loop: ${received} of ${committed * fanOut} deliveries arrived`);
    const stats = analyse(await receiver.call<ReceivedDeliveries>('collect'), fanOut, windowStart, windowEnd);
    const seconds = (windowEnd - windowStart) / 1_000;
    return {
      fanOut,
      mode: 'closed',
      label: fanOut === 0 ? `transitions only (no subscriptions), closed loop, ${CONCURRENCY} connections` : `closed loop, ${CONCURRENCY} connections`,
      // With no subscription an event is done when committed.
      eventsPerSecond: fanOut === 0 ? transitionsInWindow / seconds : stats.eventsCompletedInWindow / seconds,
      deliveriesPerSecond: stats.deliveriesInWindow / seconds,
      transitionsPerSecond: transitionsInWindow / seconds,
      latency: percentiles(stats.latencies),
      cpuPerEvent: cpu / committed,
      ...(ranOutAt === null ? {} : { note: `the draft requests ran out: window ${seconds.toFixed(1)} s` }),
    };
  } finally {
    await pool.close();
    await stopServer(server, label);
  }
}

/** Open loop: submits sent on a fixed schedule of `rate` per second, whatever the answers. */
async function paced(fixture: Fixture, receiver: Receiver, fanOut: number, requests: RequestPool, rate: number, why: string): Promise<Row> {
  const total = Math.round((rate * (WARMUP_MS + DURATION_MS)) / 1_000);
  await requests.ensure(total);
  await receiver.call('reset');
  const label = `F${fanOut} paced ${rate}`;
  const server = await startServer(fixture, label);
  const pool = new Pool(server.ready.url, { connections: PACED_CONNECTIONS, pipelining: 1 });
  const token = await userToken(server.ready.url);
  const cpuStart = await server.cpuMicros();
  try {
    const run = await pacedSubmits({
      rate,
      total,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
      maxBacklogSeconds: PACED_MAX_BACKLOG_S,
      takeRequest: () => requests.take()!,
      send: (_index, requestId, correlationId) => submit(pool, token, requestId, correlationId),
    });
    const { answered, windowStart, windowEnd, scheduledAt } = run;
    const received = await drained(receiver, answered * fanOut);
    const cpu = (await server.cpuMicros()) - cpuStart;
    if (received < answered * fanOut) throw new Error(`paced: ${received} of ${answered * fanOut} deliveries arrived`);
    const records = await receiver.call<ReceivedDeliveries>('collect');
    const stats = analyse(records, fanOut, windowStart, windowEnd);
    const sendLatencies: number[] = [];
    for (let i = 0; i < records.arrivedAt.length; i++) {
      const scheduled = scheduledAt.get(records.correlationId[i]!);
      if (scheduled !== undefined && scheduled >= windowStart && scheduled < windowEnd) sendLatencies.push(records.arrivedAt[i]! - scheduled);
    }
    const seconds = Math.max(0.001, (windowEnd - windowStart) / 1_000);
    const transitionsPerSecond = run.transitionsInWindow / seconds;
    const shortfall = pacedShortfall(run, rate, PACED_MAX_BACKLOG_S);
    return {
      fanOut,
      mode: 'paced',
      rate,
      label: `paced at ${rate.toLocaleString('en-US')} events/s (open loop; ${why})`,
      eventsPerSecond: stats.eventsCompletedInWindow / seconds,
      deliveriesPerSecond: stats.deliveriesInWindow / seconds,
      transitionsPerSecond,
      latency: percentiles(stats.latencies),
      sendLatency: percentiles(sendLatencies),
      cpuPerEvent: cpu / answered,
      ...(shortfall === null ? {} : { note: shortfall }),
    };
  } finally {
    await pool.close();
    await stopServer(server, label);
  }
}

// ---------------------------------------------------------------------------------------------------
// Checks at the end

function verifyOutbox(fixture: Fixture, receiver: Receiver): Promise<string> {
  return withStore(fixture, (store) => verifyOutboxOf(store, receiver, duplicateDeliveries));
}

// ---------------------------------------------------------------------------------------------------
// Main

/** The file system type holding `dir` (Linux /proc/mounts; "unknown" elsewhere). */
function fileSystemOf(dir: string): string {
  try {
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .filter((fields) => fields.length > 2 && (dir === fields[1] || dir.startsWith(fields[1] === '/' ? '/' : `${fields[1]}/`)));
    return mounts.sort((a, b) => b[1]!.length - a[1]!.length)[0]?.[2] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const fmt = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const ms = (n: number | undefined) => (n === undefined ? '—' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));

const startedAt = performance.now();
const loadAtStart = os.loadavg()[0]!;
if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
const receiver = await startNodeChild<ReceiverReady>(RECEIVER, { name: 'webhook receiver' });
const fixture = await setUp();
const rows: Row[] = [];
let outboxLine: string;
try {
  const requests = new RequestPool(fixture);
  phase(`setting up: demo company, 2 apps, ${Math.round((CLOSED_LOOP_BUDGET * (WARMUP_MS + DURATION_MS)) / 1_000).toLocaleString('en-US')} draft requests (topped up before each measurement)`);
  await requests.ensure((CLOSED_LOOP_BUDGET * (WARMUP_MS + DURATION_MS)) / 1_000);

  // One event end to end before measuring: checks the path, and makes the webhook signing key.
  phase('smoke test: one event end to end');
  await subscribe(fixture, receiver.ready.url, 1);
  {
    await receiver.call('reset');
    const server = await startServer(fixture, 'smoke');
    const pool = new Pool(server.ready.url, { connections: 1 });
    await submit(pool, await userToken(server.ready.url), requests.take()!, randomUUID());
    await pool.close();
    if ((await drained(receiver, 1)) < 1) throw new Error('smoke test: the event was not delivered');
    await stopServer(server, 'smoke', { summary: false });
  }

  for (const fanOut of FANOUTS) {
    await subscribe(fixture, receiver.ready.url, fanOut);
    const run = async (mode: Row['mode'], what: string, measure: () => Promise<Row>) => {
      if (!MODES.includes(mode)) return;
      phase(`F${fanOut} ${what}`);
      const row = await measure();
      rows.push(row);
      note(
        `F${fanOut} ${row.label}: ${row.eventsPerSecond === undefined ? '' : `${fmt(row.eventsPerSecond)} events/s, `}${fmt(row.deliveriesPerSecond)} deliveries/s` +
          `${row.transitionsPerSecond === undefined ? '' : `, ${fmt(row.transitionsPerSecond)} transitions/s`}` +
          `${row.latency ? `, p50/p95/p99 ${ms(row.latency.p50)}/${ms(row.latency.p95)}/${ms(row.latency.p99)} ms` : ''}${row.note ? ` (${row.note})` : ''}`,
      );
    };
    if (fanOut === 0) {
      await run('closed', 'closed loop, transitions only', () => closedLoop(fixture, receiver, fanOut, requests));
      continue;
    }
    await run('bare', 'bare POSTs', () => bare(receiver, fanOut));
    await run('backlog', 'backlog drain', () => backlog(fixture, receiver, fanOut, requests));
    await run('closed', 'closed loop', () => closedLoop(fixture, receiver, fanOut, requests));
    await run('paced', `paced at ${PACED_RATE}/s`, () => paced(fixture, receiver, fanOut, requests, PACED_RATE, 'the target load'));
    // The latency of a load patchbay does sustain: half of what the closed loop got through.
    const closed = rows.find((row) => row.fanOut === fanOut && row.mode === 'closed');
    const sustainable = closed ? Math.max(10, Math.floor(closed.eventsPerSecond! / 2 / 10) * 10) : 0;
    if (sustainable > 0 && sustainable < PACED_RATE) await run('paced', `paced at ${sustainable}/s`, () => paced(fixture, receiver, fanOut, requests, sustainable, 'half the closed-loop rate'));
  }
  phase('checking the outbox');
  outboxLine = await verifyOutbox(fixture, receiver);
} finally {
  await receiver.stop();
  removeTempDir(fixture.dataDir);
}

const bareOf = (fanOut: number) => rows.find((row) => row.fanOut === fanOut && row.mode === 'bare')?.deliveriesPerSecond;
const ratio = (row: Row) => {
  const base = bareOf(row.fanOut);
  return base ? (row.deliveriesPerSecond / base).toFixed(2) : '—';
};
const loadAtEnd = os.loadavg()[0]!;
const commit = describeCommit();
const cpu = os.cpus();
const header = [
  `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; Node ${process.version}. Store: SQLite (node:sqlite), WAL, synchronous=FULL, in ${path.resolve(DATA_PARENT)} (${fileSystemOf(path.resolve(DATA_PARENT))}${fileSystemOf(path.resolve(DATA_PARENT)) === 'tmpfs' ? ': fsync is free there, a diagnostic, not a result' : ''}). Loopback only.`,
  `Product: ${commitText(commit)}.`,
  `Load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${loadAtEnd.toFixed(2)}: other work on the machine lowers every figure.`,
  `patchbay: a fresh child per measurement, PATCHBAY_DELIVERY_CONCURRENCY=${DELIVERY_CONCURRENCY} (at most ${Math.max(1, Math.floor(DELIVERY_CONCURRENCY / 4))} in flight per subscription), log level ${SERVER_LOG_LEVEL}. Receiver: node:http in its own process, keep-alive, 200 with an empty body.`,
  `Each figure: ${DURATION_MS / 1_000} s after ${WARMUP_MS / 1_000} s of warm-up (backlog: middle 80% of the arrivals). Event = one Request v4 submit over HTTP (user token, keep-alive), committed with its statusChange event and one delivery per subscription.`,
  'Measurements: bare = undici Pool POSTs of a real event body to the same receiver, as many in flight as patchbay may have; backlog = events committed beforehand, then a fresh patchbay drains them (delivery alone); closed loop = submits as fast as patchbay answers; paced = submits on a fixed schedule (open loop); fan-out 0 = no subscriptions (the transitions alone).',
  'Events/s: events whose every delivery reached the receiver in the window; deliveries/s: acknowledged POSTs in the window; ratio = deliveries/s ÷ bare POSTs/s of the same fan-out.',
  'Latency: receiver arrival − event timeStamp (commit), per delivery, over the events committed in the window; paced rows add, in brackets, the latency from the scheduled send of the submit (what a client sees). CPU/event: the patchbay child’s user+system CPU per event.',
];
const table = [
  '| Fan-out | Measurement | Events/s | Deliveries/s | Ratio to bare | Transitions/s | p50 ms | p95 ms | p99 ms | max ms | CPU/event |',
  '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((row) => {
    const l = row.latency;
    const s = row.sendLatency;
    const cell = (key: 'p50' | 'p95' | 'p99' | 'max') => (l ? `${ms(l[key])}${s ? ` (${ms(s[key])})` : ''}` : '—');
    return `| ${row.fanOut} | ${row.label}${row.note ? ` — ${row.note}` : ''} | ${fmt(row.eventsPerSecond)} | ${fmt(row.deliveriesPerSecond)} | ${row.mode === 'bare' ? '1.00' : ratio(row)} | ${fmt(row.transitionsPerSecond)} | ${cell('p50')} | ${cell('p95')} | ${cell('p99')} | ${cell('max')} | ${row.cpuPerEvent === undefined ? '—' : `${fmt(row.cpuPerEvent)} µs`} |`;
  }),
];

/** The issue's targets, judged; the Markdown adds MET or MISSED to each. */
const verdicts: Target[] = [];
const transitionsOnly = rows.find((row) => row.fanOut === 0 && row.mode === 'closed');
const ceiling = transitionsOnly ? ` (transitions alone, without subscriptions: ${fmt(transitionsOnly.eventsPerSecond)}/s)` : '';
const closed1 = rows.find((row) => row.fanOut === 1 && row.mode === 'closed');
const backlog1 = rows.find((row) => row.fanOut === 1 && row.mode === 'backlog');
const closed1Met = closed1 ? closed1.eventsPerSecond! >= TARGET_EVENTS : false;
if (closed1) verdicts.push({ text: `Fan-out 1, sustained (closed loop) ≥ ${TARGET_EVENTS.toLocaleString('en-US')} events/s: ${fmt(closed1.eventsPerSecond)}/s${ceiling}${backlog1 ? `; delivery alone (backlog) ${fmt(backlog1.eventsPerSecond)}/s` : ''}`, met: closed1Met });
const paced1 = rows.find((row) => row.fanOut === 1 && row.mode === 'paced');
const paced1Met = paced1 ? !paced1.note && paced1.latency !== null && paced1.latency !== undefined && paced1.latency.p95 < TARGET_P95_MS && PACED_RATE >= 1_000 : false;
if (paced1) {
  verdicts.push({ text: `Fan-out 1, p95 < ${TARGET_P95_MS} ms at 1,000 events/s (paced at ${PACED_RATE.toLocaleString('en-US')}/s): p95 ${ms(paced1.latency?.p95)} ms with ${fmt(paced1.transitionsPerSecond)} transitions/s answered${paced1.note ? ` (${paced1.note})` : ''}`, met: paced1Met });
}
const closed10 = rows.find((row) => row.fanOut === 10 && row.mode === 'closed');
const backlog10 = rows.find((row) => row.fanOut === 10 && row.mode === 'backlog');
const bare10 = bareOf(10);
const closed10Met = closed10 && bare10 ? closed10.deliveriesPerSecond >= TARGET_BARE_RATIO * bare10 : false;
if (closed10 && bare10) {
  verdicts.push({
    text: `Fan-out 10, deliveries/s ≥ ${TARGET_BARE_RATIO} × bare POSTs/s: closed loop ${fmt(closed10.deliveriesPerSecond)} ÷ ${fmt(bare10)} = ${ratio(closed10)}${backlog10 ? `; delivery alone (backlog) ${fmt(backlog10.deliveriesPerSecond)} ÷ ${fmt(bare10)} = ${ratio(backlog10)}` : ''}`,
    met: closed10Met,
  });
}
const verdictLines = verdicts.map((verdict) => `${verdict.text}: ${verdict.met ? 'MET' : 'MISSED'}.`);

say('');
for (const line of [...header, '', ...table, '', outboxLine, '', ...verdictLines]) say(line);
mkdirSync(path.dirname(RESULTS), { recursive: true });
writeFileSync(RESULTS, ['# Delivery benchmark', '', `Run ${new Date().toISOString()} with \`node bench/delivery.ts\` (also run by \`npm run bench\`).`, '', ...header.map((line) => `${line}  `), '', ...table, '', outboxLine, '', ...verdictLines.map((line) => `**${line}**  `), ''].join('\n'));

/** A row of delivery.json: throughput in deliveries/s (events/s for fan-out 0) beside the bare POSTs of its fan-out. */
function jsonRow(row: Row, index: number): ResultRow {
  const base = bareOf(row.fanOut);
  const isBare = row.mode === 'bare';
  const transitionsOnlyRow = row.fanOut === 0;
  let target: Target | null = null;
  if (row === closed1) target = { text: `≥ ${TARGET_EVENTS.toLocaleString('en-US')} events/s`, met: closed1Met };
  if (row === paced1) target = { text: `p95 < ${TARGET_P95_MS} ms at 1,000 events/s`, met: paced1Met };
  if (row === closed10) target = { text: `≥ ${TARGET_BARE_RATIO} × bare POSTs/s`, met: closed10Met };
  const short = row.mode === 'paced' ? `paced at ${(row.rate ?? 0).toLocaleString('en-US')} events/s` : row.mode === 'closed' ? (transitionsOnlyRow ? 'transitions only, closed loop' : 'closed loop') : row.mode === 'backlog' ? 'backlog drained' : 'bare POSTs';
  return {
    id: `f${row.fanOut}-${row.mode}-${index}`,
    label: `F${row.fanOut}, ${short}`,
    // The summary shows what the targets judge and the delivery worker's own capacity.
    headline: target !== null || row.mode === 'backlog' || (transitionsOnlyRow && row.mode === 'closed'),
    throughput: transitionsOnlyRow ? { value: round(row.transitionsPerSecond ?? 0), unit: 'transitions/s' } : { value: round(row.deliveriesPerSecond), unit: isBare ? 'POSTs/s' : 'deliveries/s' },
    latencyMs: latencyOf(row.latency),
    // A paced row offers a fixed load: its figure is that load (or what was held of it), not a capacity to compare.
    ...(row.mode === 'paced' ? { fixedLoad: row.rate ?? 0 } : {}),
    raw: isBare || transitionsOnlyRow || row.mode === 'paced' || !base ? null : { label: `bare undici POSTs to the same receiver, fan-out ${row.fanOut}`, throughput: round(base), unit: 'POSTs/s', latencyMs: null },
    ratio: isBare || transitionsOnlyRow || row.mode === 'paced' || !base ? null : round(row.deliveriesPerSecond / base),
    target,
    ...(row.note ? { note: row.note } : {}),
    extra: {
      fanOut: row.fanOut,
      mode: row.mode,
      eventsPerSecond: row.eventsPerSecond === undefined ? null : round(row.eventsPerSecond),
      transitionsPerSecond: row.transitionsPerSecond === undefined ? null : round(row.transitionsPerSecond),
      cpuPerEventMicros: row.cpuPerEvent === undefined ? null : round(row.cpuPerEvent),
      sendLatencyP95Ms: row.sendLatency ? round(row.sendLatency.p95) : null,
    },
  };
}

const jsonFile = writeResult({
  name: 'delivery',
  title: 'ESS event delivery (SQLite)',
  summary: 'Events from a Request v4 submit to an acknowledged webhook delivery, at fan-out 1 and 10, beside bare undici POSTs to the same receiver; latency from the commit to the receiver.',
  markdown: 'delivery.md',
  date: new Date().toISOString(),
  seconds: round((performance.now() - startedAt) / 1_000),
  commit,
  machine: await describeMachine(),
  load: { start: round(loadAtStart), end: round(loadAtEnd) },
  settings: { durationMs: DURATION_MS, warmupMs: WARMUP_MS, concurrency: CONCURRENCY, deliveryConcurrency: DELIVERY_CONCURRENCY, pacedRate: PACED_RATE, fanOuts: FANOUTS.join(','), modes: MODES.join(','), serverLogLevel: SERVER_LOG_LEVEL, dataFileSystem: fileSystemOf(path.resolve(DATA_PARENT)) },
  // The bare POSTs are the raw limit of the other rows (their `raw`), not a measurement of patchbay.
  rows: rows.filter((row) => row.mode !== 'bare').map(jsonRow),
  verdicts,
});
say(`\nWritten to ${path.relative(process.cwd(), RESULTS)} and ${path.relative(process.cwd(), jsonFile)}`);
