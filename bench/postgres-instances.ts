/**
 * The PostgreSQL benchmark: one patchbay instance against two sharing one PostgreSQL database (the
 * scale-out path: the delivery workers claim with FOR UPDATE SKIP LOCKED), for Request workflow
 * transitions over HTTP and ESS event delivery at fan-out 0 (transitions alone), 1 and 10, beside the raw
 * limits measured in the same run: single-row INSERT transactions straight through `pg` into a table
 * shaped like `events`, and bare undici POSTs to the same webhook receiver. Loopback only.
 *
 * The benchmark creates its own database (`patchbay_bench_<random>`, bench/lib/postgres-database.ts) on
 * the server of PATCHBAY_BENCH_DATABASE_URL and drops it at the end (the runner drops it if it has to
 * kill the run). Processes: N real patchbay instances (bench/lib/patchbay-process.ts, each with its own
 * data directory, the same database URL and the same secret key, as a deployment runs them), the webhook
 * receiver (bench/lib/webhook-receiver.ts), and this one, which drives.
 *
 * Measurements, first the raw limits:
 *   - raw inserts: BENCH_CONCURRENCY workers, each a BEGIN; INSERT; COMMIT at a time, over a pg pool of
 *     10 connections per instance of the largest N (what those instances' pools hold together).
 *   - bare (per fan-out F ≥ 1): undici POSTs of a real event body with ESS's headers to the receiver,
 *     with as many in flight as the largest N instances may have together for F subscriptions.
 * then for each fan-out F and each instance count N (fresh instances for every measurement):
 *   - backlog (F ≥ 1): events committed beforehand (the real `performAction` submit, 100 per
 *     transaction), then N instances start at once and drain them: rate over the middle 80% of arrivals.
 *   - closed loop: BENCH_CONCURRENCY keep-alive connections, spread evenly over the N instances, POST
 *     Request v4 `submit` on fresh drafts as fast as patchbay answers.
 *   - paced (F ≥ 1): submits on a fixed schedule, alternately to each instance, at BENCH_PACED_RATE
 *     events/s (default: half the one-instance closed-loop rate of that fan-out, the same for every N so
 *     the latencies compare).
 * Latency = receiver arrival − the event's `timeStamp` (commit). During backlog and closed-loop runs the
 * deliveries' lease owners are sampled every 50 ms (one owner per instance's worker), to show whether
 * every instance took part. At the end every delivery must be DELIVERED, none received twice, and a
 * sampled signature must verify.
 *
 * Environment: BENCH_DURATION_MS (default 3000 per window, after 500 ms of warm-up), BENCH_CONCURRENCY
 * (default 16), BENCH_DELIVERY_CONCURRENCY (each instance's PATCHBAY_DELIVERY_CONCURRENCY, default 256),
 * BENCH_INSTANCES (default "1,2"), BENCH_FANOUTS (default "0,1,10"), BENCH_MODES (default
 * "raw,bare,backlog,closed,paced"), BENCH_BACKLOG_DELIVERIES (default 4000), BENCH_PACED_RATE,
 * BENCH_CLOSED_LOOP_BUDGET (drafts set aside per closed-loop run, in events/s, default 1000),
 * BENCH_SERVER_LOG_LEVEL (default silent), PATCHBAY_BENCH_DATABASE_URL (the server, through its
 * maintenance database; else PATCHBAY_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres).
 * Results go to stdout, bench/results/postgres-instances.md and bench/results/postgres-instances.json.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Pool } from 'undici';
import { openStore, type Store } from '../packages/server/src/store/store.ts';
import { DEMO, seedDemo } from '../packages/server/src/demo.ts';
import { findRequest } from '../packages/server/src/requests/requests.ts';
import { performAction } from '../packages/server/src/requests/workflow-engine.ts';
import { startNodeChild, type NodeChild } from './lib/child-process.ts';
import { startPatchbay, type PatchbayReady } from './lib/patchbay-process.ts';
import type { ReceivedDeliveries, ReceiverReady } from './lib/webhook-receiver.ts';
import { epochNow, percentiles, type Percentiles } from './lib/stats.ts';
import { analyse, createSubscriberApps, drained, freePort, pacedShortfall, pacedSubmits, precreate, PUBLIC_URL, sampleDelivery, sleep, subscribeReceiver, submit, userToken, verifyOutbox, type Receiver } from './lib/delivery-kit.ts';
import { createBenchDatabase, describePostgres, type BenchDatabase } from './lib/postgres-database.ts';
import { bound, makeTempDir, note, phase, removeTempDir } from './lib/progress.ts';
import { commitText, describeCommit, describeMachine, latencyOf, round, writeResult, type ResultRow } from './lib/result.ts';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3_000);
const WARMUP_MS = 500;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DELIVERY_CONCURRENCY = Number(process.env.BENCH_DELIVERY_CONCURRENCY ?? 256);
const INSTANCES = (process.env.BENCH_INSTANCES ?? '1,2').split(',').map(Number);
const FANOUTS = (process.env.BENCH_FANOUTS ?? '0,1,10').split(',').map(Number);
const MODES = (process.env.BENCH_MODES ?? 'raw,bare,backlog,closed,paced').split(',');
const BACKLOG_DELIVERIES = Number(process.env.BENCH_BACKLOG_DELIVERIES ?? 4_000);
const PACED_RATE = process.env.BENCH_PACED_RATE ? Number(process.env.BENCH_PACED_RATE) : null;
const CLOSED_LOOP_BUDGET = Number(process.env.BENCH_CLOSED_LOOP_BUDGET ?? 1_000);
const SERVER_LOG_LEVEL = process.env.BENCH_SERVER_LOG_LEVEL ?? 'silent';
/** Paced runs: connections per instance available to the open-loop client (so the client itself never queues). */
const PACED_CONNECTIONS = 32;
/** A paced run gives up (and says so) when more than this many seconds of submits are unanswered. */
const PACED_MAX_BACKLOG_S = 0.5;
/** How often the lease owners are sampled: often enough to see both workers, rarely enough to cost PostgreSQL little. */
const LEASE_SAMPLE_MS = 50;
/** Connections of one instance's pool (openPostgresStore's `max`). */
const POOL_PER_INSTANCE = 10;
const MAX_INSTANCES = Math.max(...INSTANCES);
const RESULTS = fileURLToPath(new URL('./results/postgres-instances.md', import.meta.url));
const RECEIVER = fileURLToPath(new URL('./lib/webhook-receiver.ts', import.meta.url));

const say = (text: string) => process.stdout.write(`${text}\n`);

/** Measurements the run makes with these settings. */
const MEASUREMENTS =
  (MODES.includes('raw') ? 1 : 0) +
  FANOUTS.reduce((count, fanOut) => count + (fanOut === 0 ? INSTANCES.length : (MODES.includes('bare') ? 1 : 0) + 3 * INSTANCES.length), 0);
/**
 * The run's bound, declared to the runner: two minutes of setup (database, migrations, drafts), then per
 * measurement its window and warm-up plus 45 s for fresh instances, topping up the drafts and draining
 * the last deliveries on a loaded machine.
 */
bound(120_000 + MEASUREMENTS * (WARMUP_MS + DURATION_MS + 45_000));

// ---------------------------------------------------------------------------------------------------
// Setup

interface Fixture {
  database: BenchDatabase;
  /** The benchmark's own connection: drafts, the backlog, the lease sampler, the checks. */
  store: Store;
  /** PATCHBAY_SECRET_KEY of every instance: they decrypt each other's webhook signing key. */
  secretKey: string;
  /** One data directory per instance (the secret key is given, so they hold nothing but logs). */
  dataDirs: string[];
  travelerId: string;
  apps: string[];
}

async function setUp(database: BenchDatabase): Promise<Fixture> {
  const store = await openStore({ kind: 'postgres', url: database.url });
  await store.migrate();
  await seedDemo(store);
  const traveler = await store.db.selectFrom('users').select('id').where('login_id', '=', DEMO.employee.loginId).executeTakeFirstOrThrow();
  const apps = await createSubscriberApps(store);
  const dataDirs = Array.from({ length: MAX_INSTANCES }, (_, i) => makeTempDir(os.tmpdir(), `patchbay-bench-instance-${i + 1}-`));
  return { database, store, secretKey: randomBytes(32).toString('base64'), dataDirs, travelerId: traveler.id, apps };
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
  async ensure(count: number): Promise<void> {
    const missing = Math.ceil(count) - (this.ids.length - this.next);
    if (missing > 0) this.ids.push(...(await precreate(this.fixture.store, this.fixture.travelerId, missing)));
  }
}

// ---------------------------------------------------------------------------------------------------
// Instances

interface Instances {
  servers: Array<NodeChild<PatchbayReady>>;
  /** User + system CPU of every instance so far, µs. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `count` instances at once on the fixture's database. */
async function startInstances(fixture: Fixture, count: number, label: string): Promise<Instances> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, async (_, i) =>
      startPatchbay(
        {
          PATCHBAY_DATABASE_URL: fixture.database.url,
          PATCHBAY_SECRET_KEY: fixture.secretKey,
          PATCHBAY_DATA_DIR: fixture.dataDirs[i]!,
          PATCHBAY_HOST: '127.0.0.1',
          PATCHBAY_PORT: String(await freePort()),
          PATCHBAY_LOG_LEVEL: SERVER_LOG_LEVEL,
          PATCHBAY_ALLOW_HTTP_WEBHOOKS: 'true',
          PATCHBAY_ALLOW_PRIVATE_ADDRESSES: 'loopback',
          PATCHBAY_DELIVERY_CONCURRENCY: String(DELIVERY_CONCURRENCY),
        },
        { name: `${label} instance ${i + 1}` },
      ),
    ),
  );
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  return {
    servers,
    async cpuMicros() {
      const each = await Promise.all(servers.map((server) => server.cpuMicros()));
      return each.reduce((sum, micros) => sum + micros, 0);
    },
    stop,
  };
}

/** Samples which workers hold delivery leases, until stopped; returns each worker's share of the samples, largest first. */
function watchLeases(store: Store): { stop(): Promise<number[]> } {
  const held = new Map<string, number>();
  let running = true;
  const sampling = (async () => {
    while (running) {
      // A failed sample (the database busy or going away) is skipped: the sampler only informs.
      const rows = await store.db
        .selectFrom('deliveries')
        .select(['lease_owner', (eb) => eb.fn.countAll<number>().as('n')])
        .where('lease_owner', 'is not', null)
        .groupBy('lease_owner')
        .execute()
        .catch(() => []);
      for (const row of rows) held.set(row.lease_owner!, (held.get(row.lease_owner!) ?? 0) + Number(row.n));
      await sleep(LEASE_SAMPLE_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await sampling;
      const total = [...held.values()].reduce((sum, n) => sum + n, 0);
      return [...held.values()].sort((a, b) => b - a).map((n) => n / Math.max(1, total));
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Measurements

interface Row {
  fanOut: number;
  instances: number;
  mode: 'raw' | 'bare' | 'backlog' | 'closed' | 'paced';
  label: string;
  /** Raw rows: inserts/s or POSTs/s. */
  rawPerSecond?: number;
  eventsPerSecond?: number;
  deliveriesPerSecond?: number;
  transitionsPerSecond?: number;
  latency?: Percentiles | null;
  /** All instances' CPU per event, µs. */
  cpuPerEvent?: number;
  /** Each lease owner's share of the sampled leases (backlog and closed loop, F ≥ 1). */
  leaseShares?: number[];
  rate?: number;
  note?: string;
}

/** Deliveries received twice over the whole run. */
let duplicateDeliveries = 0;

/**
 * `workers` closed loops of `operation`: WARMUP_MS, then DURATION_MS counted. `operation` returns false
 * when it has nothing left to do (the window then ends there). Returns the operations completed in the
 * window, all of them, and the window.
 */
async function closedLoops(workers: number, operation: (worker: number) => Promise<boolean>): Promise<{ inWindow: number; total: number; windowStart: number; windowEnd: number; ranOut: boolean }> {
  const begin = epochNow();
  const windowStart = begin + WARMUP_MS;
  let windowEnd = windowStart + DURATION_MS;
  let inWindow = 0;
  let total = 0;
  let ranOut = false;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (epochNow() < windowEnd) {
        if (!(await operation(worker))) {
          ranOut = true;
          windowEnd = Math.min(windowEnd, epochNow());
          return;
        }
        total++;
        const now = epochNow();
        if (now >= windowStart && now < windowEnd) inWindow++;
      }
    }),
  );
  return { inWindow, total, windowStart, windowEnd, ranOut };
}

/** Single-row INSERT transactions straight through pg into a scratch table shaped like `events`. */
async function rawInserts(fixture: Fixture): Promise<Row> {
  const connections = POOL_PER_INSTANCE * MAX_INSTANCES;
  const pool = new pg.Pool({ connectionString: fixture.database.url, max: connections });
  try {
    await pool.query('DROP TABLE IF EXISTS bench_raw_events');
    await pool.query('CREATE TABLE bench_raw_events (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE, company_id TEXT NOT NULL REFERENCES companies (id), topic TEXT NOT NULL, event_type TEXT NOT NULL, request_id TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL)');
    await pool.query('CREATE INDEX bench_raw_events_company ON bench_raw_events (company_id, seq)');
    await pool.query('CREATE INDEX bench_raw_events_request ON bench_raw_events (request_id, seq)');
    const payload = sampleDelivery().body.toString('utf8');
    const requestId = 'D'.repeat(32);
    const result = await closedLoops(CONCURRENCY, async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO bench_raw_events (id, company_id, topic, event_type, request_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [randomUUID(), DEMO.companyId, 'public.concur.request', 'statusChange.PENDING.RequestManager', requestId, payload, Date.now()]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      return true;
    });
    await pool.query('DROP TABLE bench_raw_events');
    return { fanOut: 0, instances: 0, mode: 'raw', label: `raw single-row INSERT transactions through pg, ${CONCURRENCY} workers, pool of ${connections}`, rawPerSecond: result.inWindow / (DURATION_MS / 1_000) };
  } finally {
    await pool.end();
  }
}

/** In flight at most for F subscriptions by `instances` instances (each gives a subscription a quarter of its slots). */
const inFlightFor = (fanOut: number, instances: number) => instances * Math.min(DELIVERY_CONCURRENCY, fanOut * Math.max(1, Math.floor(DELIVERY_CONCURRENCY / 4)));

async function bare(receiver: Receiver, fanOut: number): Promise<Row> {
  const inFlight = inFlightFor(fanOut, MAX_INSTANCES);
  const { body, headers } = sampleDelivery();
  const pool = new Pool(receiver.ready.url, { connections: inFlight, pipelining: 1 });
  await receiver.call('reset');
  try {
    const result = await closedLoops(inFlight, async (worker) => {
      const response = await pool.request({ method: 'POST', path: `/bare/${worker % fanOut}`, headers, body });
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`bare POST: ${response.statusCode}`);
      return true;
    });
    return { fanOut, instances: 0, mode: 'bare', label: `bare undici POSTs, fan-out ${fanOut}, ${inFlight} in flight`, rawPerSecond: result.inWindow / (DURATION_MS / 1_000) };
  } finally {
    await pool.close();
  }
}

/** Commits the backlog (100 submits per transaction), then lets `instances` fresh instances drain it. */
async function backlog(fixture: Fixture, receiver: Receiver, fanOut: number, instances: number, requests: RequestPool): Promise<Row> {
  const events = Math.ceil(BACKLOG_DELIVERIES / fanOut);
  await requests.ensure(events);
  for (let done = 0; done < events; done += 100) {
    await fixture.store.transaction(async (trx) => {
      for (let i = done; i < Math.min(events, done + 100); i++) {
        const id = requests.take();
        if (!id) throw new Error('the pool of draft requests ran out (backlog)');
        await performAction(trx, await findRequest(trx, DEMO.companyId, id), 'submit', { kind: 'user', userId: fixture.travelerId }, null, { publicUrl: PUBLIC_URL, correlationId: randomUUID() });
      }
    });
  }
  await receiver.call('reset');
  const leases = watchLeases(fixture.store);
  const running = await startInstances(fixture, instances, `F${fanOut} backlog`);
  let shares: number[];
  try {
    const cpuStart = await running.cpuMicros();
    const received = await drained(receiver, events * fanOut);
    const cpu = (await running.cpuMicros()) - cpuStart;
    shares = await leases.stop();
    if (received < events * fanOut) throw new Error(`backlog: ${received} of ${events * fanOut} deliveries arrived`);
    const records = await receiver.call<ReceivedDeliveries>('collect');
    duplicateDeliveries += analyse(records, fanOut, 0, 0).duplicates;
    const arrivals = Float64Array.from(records.arrivedAt).sort();
    const low = Math.floor(arrivals.length * 0.1);
    const high = Math.floor(arrivals.length * 0.9);
    const rate = (high - low) / ((arrivals[high]! - arrivals[low]!) / 1_000);
    return { fanOut, instances, mode: 'backlog', label: `backlog of ${events.toLocaleString('en-US')} events drained`, eventsPerSecond: rate / fanOut, deliveriesPerSecond: rate, cpuPerEvent: cpu / events, leaseShares: shares };
  } finally {
    await leases.stop();
    await running.stop();
  }
}

/** Closed loop: CONCURRENCY connections, spread over the instances, submit as fast as patchbay answers. */
async function closedLoop(fixture: Fixture, receiver: Receiver, fanOut: number, instances: number, requests: RequestPool): Promise<Row> {
  await requests.ensure((CLOSED_LOOP_BUDGET * (WARMUP_MS + DURATION_MS)) / 1_000);
  await receiver.call('reset');
  const running = await startInstances(fixture, instances, `F${fanOut} closed loop`);
  const pools = running.servers.map((server) => new Pool(server.ready.url, { connections: Math.ceil(CONCURRENCY / instances), pipelining: 1 }));
  const leases = fanOut > 0 ? watchLeases(fixture.store) : null;
  try {
    const tokens = await Promise.all(running.servers.map((server) => userToken(server.ready.url)));
    const cpuStart = await running.cpuMicros();
    const result = await closedLoops(CONCURRENCY, async (worker) => {
      const id = requests.take();
      if (!id) return false;
      await submit(pools[worker % instances]!, tokens[worker % instances]!, id, randomUUID());
      return true;
    });
    if (result.windowEnd - result.windowStart < 1_000) throw new Error(`closed loop: the pool of draft requests ran out ${Math.round(result.windowEnd - result.windowStart)} ms into the window; raise BENCH_CLOSED_LOOP_BUDGET`);
    const received = await drained(receiver, result.total * fanOut);
    const cpu = (await running.cpuMicros()) - cpuStart;
    const shares = leases ? await leases.stop() : undefined;
    if (received < result.total * fanOut) throw new Error(`closed loop: ${received} of ${result.total * fanOut} deliveries arrived`);
    const stats = analyse(await receiver.call<ReceivedDeliveries>('collect'), fanOut, result.windowStart, result.windowEnd);
    duplicateDeliveries += stats.duplicates;
    const seconds = (result.windowEnd - result.windowStart) / 1_000;
    return {
      fanOut,
      instances,
      mode: 'closed',
      label: fanOut === 0 ? `transitions only (no subscriptions), closed loop, ${CONCURRENCY} connections` : `closed loop, ${CONCURRENCY} connections`,
      eventsPerSecond: fanOut === 0 ? result.inWindow / seconds : stats.eventsCompletedInWindow / seconds,
      deliveriesPerSecond: stats.deliveriesInWindow / seconds,
      transitionsPerSecond: result.inWindow / seconds,
      latency: percentiles(stats.latencies),
      cpuPerEvent: cpu / result.total,
      ...(shares ? { leaseShares: shares } : {}),
      ...(result.ranOut ? { note: `the draft requests ran out: window ${seconds.toFixed(1)} s` } : {}),
    };
  } finally {
    await leases?.stop();
    await Promise.all(pools.map((pool) => pool.close()));
    await running.stop();
  }
}

/** Open loop: submits on a fixed schedule of `rate` per second, alternately to each instance. */
async function paced(fixture: Fixture, receiver: Receiver, fanOut: number, instances: number, requests: RequestPool, rate: number): Promise<Row> {
  const total = Math.round((rate * (WARMUP_MS + DURATION_MS)) / 1_000);
  await requests.ensure(total);
  await receiver.call('reset');
  const running = await startInstances(fixture, instances, `F${fanOut} paced`);
  const pools = running.servers.map((server) => new Pool(server.ready.url, { connections: PACED_CONNECTIONS, pipelining: 1 }));
  try {
    const tokens = await Promise.all(running.servers.map((server) => userToken(server.ready.url)));
    const cpuStart = await running.cpuMicros();
    const run = await pacedSubmits({
      rate,
      total,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
      maxBacklogSeconds: PACED_MAX_BACKLOG_S,
      takeRequest: () => requests.take()!,
      // The submits take turns over the instances.
      send: (index, requestId, correlationId) => submit(pools[index % instances]!, tokens[index % instances]!, requestId, correlationId),
    });
    const { answered, windowStart, windowEnd } = run;
    const received = await drained(receiver, answered * fanOut);
    const cpu = (await running.cpuMicros()) - cpuStart;
    if (received < answered * fanOut) throw new Error(`paced: ${received} of ${answered * fanOut} deliveries arrived`);
    const stats = analyse(await receiver.call<ReceivedDeliveries>('collect'), fanOut, windowStart, windowEnd);
    duplicateDeliveries += stats.duplicates;
    const seconds = Math.max(0.001, (windowEnd - windowStart) / 1_000);
    const transitionsPerSecond = run.transitionsInWindow / seconds;
    const shortfall = pacedShortfall(run, rate, PACED_MAX_BACKLOG_S);
    return {
      fanOut,
      instances,
      mode: 'paced',
      rate,
      label: `paced at ${rate.toLocaleString('en-US')} events/s (open loop)`,
      eventsPerSecond: stats.eventsCompletedInWindow / seconds,
      deliveriesPerSecond: stats.deliveriesInWindow / seconds,
      transitionsPerSecond,
      latency: percentiles(stats.latencies),
      cpuPerEvent: cpu / Math.max(1, answered),
      ...(shortfall === null ? {} : { note: shortfall }),
    };
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
    await running.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// Main

const fmt = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const ms = (n: number | undefined) => (n === undefined ? '—' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
const shareText = (shares: number[] | undefined) => (shares === undefined ? '—' : shares.length === 0 ? 'none sampled' : shares.map((share) => `${Math.round(share * 100)}%`).join(' / '));
const plural = (n: number) => `${n} instance${n === 1 ? '' : 's'}`;

const startedAt = performance.now();
const loadAtStart = os.loadavg()[0]!;
const commit = describeCommit();
const rows: Row[] = [];

phase('setting up: database, receiver, demo company, 2 apps');
const database = await createBenchDatabase();
if (typeof database === 'string') {
  // Nothing to measure without PostgreSQL: say so in the results rather than fail the whole run.
  note(`skipped: ${database}`);
  mkdirSync(path.dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, ['# PostgreSQL benchmark: one patchbay instance vs two', '', `Generated ${new Date().toISOString()} by \`node bench/postgres-instances.ts\`; do not edit by hand.`, '', `Skipped: ${database}.`, ''].join('\n'));
  writeResult({
    name: 'postgres-instances',
    title: 'PostgreSQL, one vs two instances',
    summary: 'Skipped: PostgreSQL was not reachable.',
    markdown: 'postgres-instances.md',
    date: new Date().toISOString(),
    seconds: round((performance.now() - startedAt) / 1_000),
    commit,
    machine: await describeMachine(),
    load: { start: round(loadAtStart), end: round(os.loadavg()[0]!) },
    settings: {},
    rows: [],
    verdicts: [],
    skipped: database,
  });
  process.exit(0);
}
let outboxLine: string;
let serverDescription: string;
const receiver = await startNodeChild<ReceiverReady>(RECEIVER, { name: 'webhook receiver' });
let fixture: Fixture | undefined;
try {
  fixture = await setUp(database);
  serverDescription = (await describePostgres(database.url)) ?? 'PostgreSQL';
  const requests = new RequestPool(fixture);
  phase(`setting up: ${Math.round((CLOSED_LOOP_BUDGET * (WARMUP_MS + DURATION_MS)) / 1_000).toLocaleString('en-US')} draft requests (topped up before each measurement)`);
  await requests.ensure((CLOSED_LOOP_BUDGET * (WARMUP_MS + DURATION_MS)) / 1_000);

  // One event end to end through every instance before measuring: checks the path, makes the signing key.
  phase('smoke test: one event through each instance');
  await subscribeReceiver(fixture.store, fixture.apps, receiver.ready.url, 1);
  {
    await receiver.call('reset');
    const running = await startInstances(fixture, MAX_INSTANCES, 'smoke');
    try {
      for (const server of running.servers) {
        const pool = new Pool(server.ready.url, { connections: 1 });
        await submit(pool, await userToken(server.ready.url), requests.take()!, randomUUID());
        await pool.close();
      }
      if ((await drained(receiver, MAX_INSTANCES)) < MAX_INSTANCES) throw new Error('smoke test: the events were not delivered');
    } finally {
      await running.stop();
    }
  }

  const record = (row: Row) => {
    rows.push(row);
    const figure =
      row.rawPerSecond !== undefined
        ? `${fmt(row.rawPerSecond)}/s`
        : [row.fanOut === 0 ? null : `${fmt(row.eventsPerSecond)} events/s, ${fmt(row.deliveriesPerSecond)} deliveries/s`, row.transitionsPerSecond === undefined ? null : `${fmt(row.transitionsPerSecond)} transitions/s`].filter((part) => part !== null).join(', ') +
          `${row.latency ? `, p50/p95/p99 ${ms(row.latency.p50)}/${ms(row.latency.p95)}/${ms(row.latency.p99)} ms` : ''}${row.leaseShares ? `, leases ${shareText(row.leaseShares)}` : ''}`;
    note(`${row.instances === 0 ? '' : `F${row.fanOut} ${plural(row.instances)}, `}${row.label}: ${figure}${row.note ? ` (${row.note})` : ''}`);
  };

  if (MODES.includes('raw')) {
    phase('raw inserts through pg');
    record(await rawInserts(fixture));
  }
  for (const fanOut of FANOUTS) {
    await subscribeReceiver(fixture.store, fixture.apps, receiver.ready.url, fanOut);
    if (fanOut > 0 && MODES.includes('bare')) {
      phase(`F${fanOut} bare POSTs`);
      record(await bare(receiver, fanOut));
    }
    if (fanOut > 0 && MODES.includes('backlog')) {
      for (const instances of INSTANCES) {
        phase(`F${fanOut} backlog drain, ${plural(instances)}`);
        record(await backlog(fixture, receiver, fanOut, instances, requests));
      }
    }
    if (MODES.includes('closed')) {
      for (const instances of INSTANCES) {
        phase(`F${fanOut} closed loop, ${plural(instances)}`);
        record(await closedLoop(fixture, receiver, fanOut, instances, requests));
      }
    }
    if (fanOut > 0 && MODES.includes('paced')) {
      // The same load for every instance count: half what one instance got through in the closed loop.
      const closed = rows.find((row) => row.fanOut === fanOut && row.mode === 'closed' && row.instances === INSTANCES[0]);
      const rate = PACED_RATE ?? (closed ? Math.max(10, Math.floor(closed.eventsPerSecond! / 2 / 10) * 10) : 100);
      for (const instances of INSTANCES) {
        phase(`F${fanOut} paced at ${rate}/s, ${plural(instances)}`);
        record(await paced(fixture, receiver, fanOut, instances, requests, rate));
      }
    }
  }
  phase('checking the outbox');
  outboxLine = await verifyOutbox(fixture.store, receiver, duplicateDeliveries);
} finally {
  await receiver.stop();
  await fixture?.store.close();
  for (const dir of fixture?.dataDirs ?? []) removeTempDir(dir);
  await database.drop();
}

// ---------------------------------------------------------------------------------------------------
// Report

const rawInsertRow = rows.find((row) => row.mode === 'raw');
const bareOf = (fanOut: number) => rows.find((row) => row.mode === 'bare' && row.fanOut === fanOut)?.rawPerSecond;
/**
 * The raw limit a row is compared with: raw inserts for the transitions alone, bare POSTs for deliveries;
 * none for a paced row, which offers a fixed load (its figure is that load, not a capacity).
 */
const limitOf = (row: Row): { perSecond: number; figure: number } | null => {
  if (row.mode === 'paced') return null;
  if (row.fanOut === 0) return rawInsertRow?.rawPerSecond && row.transitionsPerSecond !== undefined ? { perSecond: rawInsertRow.rawPerSecond, figure: row.transitionsPerSecond } : null;
  const base = bareOf(row.fanOut);
  return base && row.deliveriesPerSecond !== undefined ? { perSecond: base, figure: row.deliveriesPerSecond } : null;
};
const ratioOf = (row: Row) => {
  const limit = limitOf(row);
  return limit ? limit.figure / limit.perSecond : null;
};
/** The figure a row is compared across instance counts with: events/s (transitions/s at fan-out 0), or p95 for paced rows. */
const headlineFigure = (row: Row) => (row.fanOut === 0 ? row.transitionsPerSecond : row.eventsPerSecond);
const sameRun = (row: Row, instances: number) => rows.find((other) => other.fanOut === row.fanOut && other.mode === row.mode && other.instances === instances);
const scaling = (row: Row) => {
  const one = sameRun(row, INSTANCES[0]!);
  if (!one || one === row || row.mode === 'paced') return null;
  const base = headlineFigure(one);
  const figure = headlineFigure(row);
  return base && figure !== undefined ? figure / base : null;
};

const loadAtEnd = os.loadavg()[0]!;
const cpu = os.cpus();
const header = [
  `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; Node ${process.version}. Store: ${serverDescription} on loopback, a database of the benchmark's own (created and dropped). Loopback only.`,
  `Product: ${commitText(commit)}.`,
  `Load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${loadAtEnd.toFixed(2)}: other work on the machine lowers every figure. Every process (client, instances, receiver, PostgreSQL) shares the ${cpu.length} cores, so a second instance adds a worker and an event loop but no CPU.`,
  `patchbay: fresh instances for every measurement, started together, same database URL and secret key, each with a pool of ${POOL_PER_INSTANCE} connections and PATCHBAY_DELIVERY_CONCURRENCY=${DELIVERY_CONCURRENCY} (at most ${Math.max(1, Math.floor(DELIVERY_CONCURRENCY / 4))} in flight per subscription), log level ${SERVER_LOG_LEVEL}. Receiver: node:http in its own process, keep-alive, 200 with an empty body.`,
  `Each figure: ${DURATION_MS / 1_000} s after ${WARMUP_MS / 1_000} s of warm-up (backlog: middle 80% of the arrivals). Event = one Request v4 submit over HTTP (user token, keep-alive), committed with its statusChange event and one delivery per subscription; the closed loop's ${CONCURRENCY} connections and the paced submits are spread evenly over the instances.`,
  'Raw limits: single-row INSERT transactions straight through pg into a table shaped like `events`; bare undici POSTs of a real event body to the same receiver, as many in flight as the instances may have. Ratio: transitions/s ÷ raw inserts/s at fan-out 0, deliveries/s ÷ bare POSTs/s otherwise. ×1 instance: the figure (events/s, transitions/s at fan-out 0) ÷ the same measurement with one instance.',
  `Latency: receiver arrival − event timeStamp (commit), per delivery, over the events committed in the window. CPU/event: all instances' user+system CPU per event. Leases: each worker's share of the deliveries seen leased, sampled every ${LEASE_SAMPLE_MS} ms (one worker per instance).`,
];
const rawTable = [
  '| Raw limit | Per second |',
  '|---|---:|',
  ...rows.filter((row) => row.rawPerSecond !== undefined).map((row) => `| ${row.label} | ${fmt(row.rawPerSecond)} |`),
];
const measured = rows.filter((row) => row.rawPerSecond === undefined);
const table = [
  '| Fan-out | Instances | Measurement | Events/s | Deliveries/s | Transitions/s | Ratio to raw | ×1 instance | p50 ms | p95 ms | p99 ms | max ms | CPU/event | Leases |',
  '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...measured.map((row) => {
    const l = row.latency;
    const ratio = ratioOf(row);
    const scale = scaling(row);
    return `| ${row.fanOut} | ${row.instances} | ${row.label}${row.note ? ` — ${row.note}` : ''} | ${fmt(row.eventsPerSecond)} | ${row.fanOut === 0 ? '—' : fmt(row.deliveriesPerSecond)} | ${fmt(row.transitionsPerSecond)} | ${ratio === null ? '—' : ratio.toFixed(2)} | ${scale === null ? '—' : `${scale.toFixed(2)}`} | ${l ? ms(l.p50) : '—'} | ${l ? ms(l.p95) : '—'} | ${l ? ms(l.p99) : '—'} | ${l ? ms(l.max) : '—'} | ${row.cpuPerEvent === undefined ? '—' : `${fmt(row.cpuPerEvent)} µs`} | ${shareText(row.leaseShares)} |`;
  }),
];
const twoInstanceRows = measured.filter((row) => row.instances > 1 && row.leaseShares !== undefined);
const sharedLine = twoInstanceRows.length
  ? `Sharing: with ${plural(MAX_INSTANCES)}, ${twoInstanceRows.every((row) => row.leaseShares!.length >= MAX_INSTANCES) ? 'every instance' : 'not every instance'} held delivery leases in every sampled run (${twoInstanceRows.map((row) => `F${row.fanOut} ${row.mode} ${shareText(row.leaseShares)}`).join('; ')}).`
  : '';

say('');
for (const line of [...header, '', ...rawTable, '', ...table, '', outboxLine, sharedLine]) say(line);
mkdirSync(path.dirname(RESULTS), { recursive: true });
writeFileSync(
  RESULTS,
  [
    '# PostgreSQL benchmark: one patchbay instance vs two',
    '',
    `Generated ${new Date().toISOString()} by \`node bench/postgres-instances.ts\` (also run by \`npm run bench\`); do not edit by hand.`,
    '',
    ...header.map((line) => `${line}  `),
    '',
    ...rawTable,
    '',
    ...table,
    '',
    `${outboxLine}  `,
    sharedLine,
    '',
  ].join('\n'),
);

const jsonRows: ResultRow[] = measured.map((row, index) => {
  const limit = limitOf(row);
  const ratio = ratioOf(row);
  const scale = scaling(row);
  const what = row.mode === 'paced' ? `paced at ${(row.rate ?? 0).toLocaleString('en-US')} events/s` : row.mode === 'closed' ? (row.fanOut === 0 ? 'transitions only, closed loop' : 'closed loop') : 'backlog drained';
  return {
    id: `f${row.fanOut}-${row.mode}-n${row.instances}-${index}`,
    label: `F${row.fanOut}, ${plural(row.instances)}, ${what}`,
    // The summary shows the transitions and fan-out 1; fan-out 10 is in the benchmark's own section.
    headline: row.fanOut <= 1 && (row.mode === 'closed' || row.mode === 'backlog'),
    ...(row.mode === 'paced' ? { fixedLoad: row.rate ?? 0 } : {}),
    throughput: row.fanOut === 0 ? { value: round(row.transitionsPerSecond ?? 0), unit: 'transitions/s' } : { value: round(row.deliveriesPerSecond ?? 0), unit: 'deliveries/s' },
    latencyMs: latencyOf(row.latency),
    raw: limit ? { label: row.fanOut === 0 ? 'single-row INSERT transactions through pg' : `bare undici POSTs to the same receiver, fan-out ${row.fanOut}`, throughput: round(limit.perSecond), unit: row.fanOut === 0 ? 'inserts/s' : 'POSTs/s', latencyMs: null } : null,
    ratio: ratio === null ? null : round(ratio),
    target: null,
    ...(row.note ? { note: row.note } : {}),
    extra: {
      fanOut: row.fanOut,
      instances: row.instances,
      mode: row.mode,
      eventsPerSecond: row.eventsPerSecond === undefined ? null : round(row.eventsPerSecond),
      transitionsPerSecond: row.transitionsPerSecond === undefined ? null : round(row.transitionsPerSecond),
      cpuPerEventMicros: row.cpuPerEvent === undefined ? null : round(row.cpuPerEvent),
      scalingVersusOneInstance: scale === null ? null : round(scale),
      leaseShares: row.leaseShares ? shareText(row.leaseShares) : null,
    },
  };
});
const jsonFile = writeResult({
  name: 'postgres-instances',
  title: 'PostgreSQL, one vs two instances',
  summary: 'Workflow transitions and ESS event delivery (fan-out 0, 1, 10) with one patchbay instance and with two sharing one PostgreSQL database, beside raw inserts through pg and bare POSTs to the same receiver.',
  markdown: 'postgres-instances.md',
  date: new Date().toISOString(),
  seconds: round((performance.now() - startedAt) / 1_000),
  commit,
  machine: await describeMachine(),
  load: { start: round(loadAtStart), end: round(loadAtEnd) },
  settings: { durationMs: DURATION_MS, warmupMs: WARMUP_MS, concurrency: CONCURRENCY, deliveryConcurrency: DELIVERY_CONCURRENCY, instances: INSTANCES.join(','), fanOuts: FANOUTS.join(','), modes: MODES.join(','), serverLogLevel: SERVER_LOG_LEVEL },
  rows: jsonRows,
  verdicts: [],
});
say(`\nWritten to ${path.relative(process.cwd(), RESULTS)} and ${path.relative(process.cwd(), jsonFile)}`);
