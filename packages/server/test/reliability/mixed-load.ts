/**
 * The reliability suite's world and load: several companies on a running patchbay (a child process the
 * tests kill, starve or fault), each with a manager, travelers, and a Request workflow whose first step
 * is an External Validation answered by a real HTTPS connector (its External Report Validation service
 * ticks the workflow's Submit, so every submit queues an Event Notification in the same transaction),
 * then the manager's approval; applications subscribed to a real webhook receiver and connected to some
 * of the companies. Lanes of travelers drive requests through the workflow over Request v4 with user
 * and company tokens (the connector's answer is an external-system approve or send back with the
 * company token), each call with its own correlation id and comment, recording what the API answered.
 *
 * Afterwards `waitForDrain` lets every event and notification arrive, and `checkConsistency` checks the
 * durability model end to end: every acknowledged transition has exactly one event (and its comment), no
 * event lacks its transition, every event reached every matching subscription at least once (in order
 * per request), every notification reached its connector at least once and each company's first
 * arrivals kept queue order, and nothing is half-written. It returns the figures the tests print.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createApplication } from '../../src/identity/applications.ts';
import { addSafeListHost, createCompany, createUser } from '../../src/companies/companies.ts';
import { savePolicy, saveWorkflow, updateUserWorkflowFields } from '../../src/requests/workflow-admin.ts';
import { toBool } from '../../src/store/schema.ts';
import type { Store } from '../../src/store/store.ts';
import type { StatusChangeEvent } from '../../src/requests/status-change-event.ts';
import { signIn } from '../support/api-client.ts';
import { EXTERNAL_WORKFLOW_WRITE } from '../support/request-fixtures.ts';
import {
  EVENTS_TOPIC_READ,
  REQUEST_WRITE,
  assertOrderedPerRequest,
  connectCompany,
  slowAnswer,
  subscribe,
  userToken,
  type Behaviour,
  type EssApp,
  type Login,
  type OutboxEvent,
  type Receiver,
  type Received,
} from '../support/ess-fixtures.ts';
import { configureNotifyService, registerNotifyingConnector, type NotificationPost, type NotifyConnector } from '../callouts/notification-fixtures.ts';
import type { Platform } from './platform-process.ts';
import { between, sleep } from './reliability-settings.ts';

const PASSWORD = 'reliability-password';

/** The event types of the suite's workflow (External Validation, then the manager). */
export const EVENT_TYPES = {
  externalValidation: 'statusChange.PENDING.ExternalValidation',
  manager: 'statusChange.PENDING.RequestManager',
  approved: 'statusChange.APPROVED',
  sentBack: 'statusChange.SENTBACK',
  canceled: 'statusChange.CANCELED',
} as const;

// ---------------------------------------------------------------------------------------------------
// The world

/** One company as the test wants it. */
export interface CompanySpec {
  /** The connector that validates its requests. */
  connector: NotifyConnector;
  /** The Host Name registered for it (default: the connector's own URL; a gate in front of it, say). */
  hostUrl?: string;
  /** A victim's lanes only submit (and sometimes cancel): they never wait for its connector. */
  victim?: boolean;
}

/** One subscription: a path on the receiver, reached through `baseUrl` (default: the receiver). */
export interface SubscriptionSpec {
  path: string;
  /** A regular expression on the event type (ESS's filter). */
  filter: string;
  baseUrl?: string;
}

/** One application with its subscriptions, connected to the companies at these indexes. */
export interface AppSpec {
  subscriptions: SubscriptionSpec[];
  companies: number[];
}

/** What `buildWorld` makes. */
export interface WorldSpec {
  companies: CompanySpec[];
  apps: AppSpec[];
  travelersPerCompany?: number;
}

/**
 * The world most tests run: three companies on one connector, and two applications whose three
 * subscriptions (two catch-alls and one on approvals) overlap on the first company.
 */
export function threeCompanyWorld(connector: NotifyConnector): WorldSpec {
  return {
    companies: [{ connector }, { connector }, { connector }],
    apps: [
      { subscriptions: [{ path: '/a/all', filter: '.*' }, { path: '/a/approved', filter: 'statusChange\\.APPROVED' }], companies: [0, 1] },
      { subscriptions: [{ path: '/b/all', filter: '.*' }], companies: [0, 2] },
    ],
  };
}

/** A company of the world, with the people and tokens the lanes use. */
export interface WorldCompany {
  index: number;
  id: string;
  victim: boolean;
  admin: Login;
  managerId: string;
  travelerIds: string[];
  connectorId: string;
  workflowId: string;
  connector: NotifyConnector;
  tokens: { manager: string; travelers: string[]; company: string };
}

/** A subscription of the world. */
export interface WorldSubscription {
  id: string;
  path: string;
  filter: RegExp;
  appIndex: number;
}

/** How the notifications about one request arrived at its connector. */
export interface NotificationArrival {
  companyIndex: number;
  /** The suite's clock (see `World.tick`) at the first post, and at the first one answered 200. */
  firstTick: number;
  firstAt: number;
  firstAckTick: number | null;
  firstAckAt: number | null;
  posts: number;
  acknowledged: number;
}

/** Everything the load and the checks need. */
export interface World {
  readonly platform: Platform;
  readonly companies: WorldCompany[];
  readonly subscriptions: WorldSubscription[];
  readonly receiver: Receiver;
  /** Arrivals at the connectors, by request id. */
  readonly arrivals: Map<string, NotificationArrival>;
  /** Posts whose request id no company of the world knows (a phantom notification). */
  readonly strayPosts: NotificationPost[];
  /** A logical clock shared by the load, the receiver and the connectors: orders what happened in this process. */
  tick(): number;
  /** How the receiver answers a delivery (replace it to script faults). */
  receiverBehaviour: (request: Received) => Behaviour;
  /** The default, healthy answer of the receiver. */
  readonly healthyReceiver: (request: Received) => Behaviour;
  /** How a connector answers a notification: a status, or HANG (replace it to script faults). */
  notificationAnswer: (post: NotificationPost, company: WorldCompany) => number | Promise<number>;
  /** The default, healthy answer of a connector. */
  readonly healthyNotificationAnswer: (post: NotificationPost, company: WorldCompany) => number | Promise<number>;
  /** The subscriptions an event of `companyId` with `eventType` must reach. */
  subscriptionsFor(companyId: string, eventType: string): WorldSubscription[];
  companyById(companyId: string): WorldCompany | undefined;
  /** Remembers which company a request belongs to (the load does it as it creates requests). */
  own(requestId: string, companyIndex: number): void;
  companyOfRequest(requestId: string): number | undefined;
}

/**
 * Builds the world on the running platform: companies, people, connectors (registered, tested and
 * configured through the admin API), workflows and policies (through the store), applications,
 * subscriptions and company connections (through the ESS and OAuth2 APIs), and the tokens.
 */
export async function buildWorld(platform: Platform, store: Store, receiver: Receiver, spec: WorldSpec, random: () => number): Promise<World> {
  const url = platform.url;
  const tag = randomUUID().slice(0, 8);
  const travelersPerCompany = spec.travelersPerCompany ?? 2;
  let ticks = 0;
  const tick = () => ++ticks;
  const arrivals = new Map<string, NotificationArrival>();
  const strayPosts: NotificationPost[] = [];
  const owners = new Map<string, number>();

  // Companies and their people.
  const made = [];
  for (let index = 0; index < spec.companies.length; index++) {
    made.push(
      await store.transaction(async (trx) => {
        const company = await createCompany(trx, null, { name: `Reliability ${tag} ${index}`, edition: 'PROFESSIONAL', developmentPartner: true });
        await addSafeListHost(trx, null, company.id, 'localhost');
        const person = (name: string, roles: Parameters<typeof createUser>[2]['roles']) =>
          createUser(trx, null, { companyId: company.id, loginId: `${name}-${index}-${tag}@reliability.test`, name: `Reliability ${name} ${index}`, password: PASSWORD, roles });
        const admin = await person('admin', ['WEB_SERVICES_ADMINISTRATOR', 'REQUEST_ADMIN', 'EMPLOYEE']);
        const manager = await person('manager', ['EMPLOYEE']);
        const travelers = [];
        for (let i = 0; i < travelersPerCompany; i++) {
          const traveler = await person(`traveler${i}`, ['EMPLOYEE']);
          await updateUserWorkflowFields(trx, null, company.id, traveler.id, { managerId: manager.id });
          travelers.push(traveler);
        }
        return { company, admin, manager, travelers };
      }),
    );
  }

  // Each company's connector, then its workflow (External Validation by that connector, then the
  // manager, who is notified), then the service ticking the workflow's Submit.
  const connectorIds: string[] = [];
  const workflowIds: string[] = [];
  for (const [index, companySpec] of spec.companies.entries()) {
    const { company, admin } = made[index]!;
    const session = await signIn(url, { loginId: admin.loginId, password: PASSWORD });
    const connectorId = await registerNotifyingConnector(session, company.id, companySpec.hostUrl ?? companySpec.connector.url, { workflowIds: [] });
    const workflowId = await store.transaction(async (trx) => {
      const workflow = await saveWorkflow(trx, null, company.id, {
        name: `Validated approval ${tag}`,
        approvedStepCode: 'REQAPPR',
        steps: [
          { roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId, notify: true, stepCode: null },
          { roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'PENDMGR' },
        ],
      });
      await savePolicy(trx, null, company.id, { name: `Validated travel ${tag}`, workflowId: workflow.id, isDefault: true });
      return workflow.id;
    });
    await configureNotifyService(session, company.id, connectorId, { workflowIds: [workflowId] });
    connectorIds.push(connectorId);
    workflowIds.push(workflowId);
  }

  // Applications, their subscriptions, and the companies connected to them.
  const apps: EssApp[] = [];
  const subscriptions: WorldSubscription[] = [];
  const companyTokens = new Map<number, string>();
  for (const [appIndex, appSpec] of spec.apps.entries()) {
    const app = await store.transaction(async (trx) => {
      const created = await createApplication(trx, null, {
        name: `Reliability app ${tag} ${appIndex}`,
        grants: ['client_credentials', 'password'],
        scopes: [EVENTS_TOPIC_READ, REQUEST_WRITE, EXTERNAL_WORKFLOW_WRITE],
        redirectUris: [],
      });
      return { id: created.application.id, secret: created.clientSecret };
    });
    apps.push(app);
    for (const [n, subscription] of appSpec.subscriptions.entries()) {
      const id = `rel-${tag}-${appIndex}-${n}`;
      await subscribe(url, app, { id, endpoint: `${subscription.baseUrl ?? receiver.base}${subscription.path}`, filter: subscription.filter });
      subscriptions.push({ id, path: subscription.path, filter: new RegExp(`^(?:${subscription.filter})$`), appIndex });
    }
    for (const companyIndex of appSpec.companies) {
      const token = await connectCompany(url, { loginId: made[companyIndex]!.admin.loginId, password: PASSWORD }, made[companyIndex]!.company.id, app);
      if (!companyTokens.has(companyIndex)) companyTokens.set(companyIndex, token);
    }
  }

  const companies: WorldCompany[] = [];
  for (const [index, companySpec] of spec.companies.entries()) {
    const { company, admin, manager, travelers } = made[index]!;
    const appIndex = spec.apps.findIndex((app) => app.companies.includes(index));
    assert.ok(appIndex >= 0 && companyTokens.has(index), `company ${index} must be connected to an application`);
    const app = apps[appIndex]!;
    companies.push({
      index,
      id: company.id,
      victim: companySpec.victim ?? false,
      admin: { loginId: admin.loginId, password: PASSWORD },
      managerId: manager.id,
      travelerIds: travelers.map((t) => t.id),
      connectorId: connectorIds[index]!,
      workflowId: workflowIds[index]!,
      connector: companySpec.connector,
      tokens: {
        manager: await userToken(url, app, { loginId: manager.loginId, password: PASSWORD }),
        travelers: await Promise.all(travelers.map((t) => userToken(url, app, { loginId: t.loginId, password: PASSWORD }))),
        company: companyTokens.get(index)!,
      },
    });
  }
  const byId = new Map(companies.map((c) => [c.id, c]));
  const connectedApps = new Map(companies.map((c) => [c.id, new Set(spec.apps.flatMap((app, i) => (app.companies.includes(c.index) ? [i] : [])))]));

  const healthyReceiver = () => slowAnswer(200, between(random, 0, 8));
  const healthyNotificationAnswer = () => new Promise<number>((resolve) => setTimeout(() => resolve(200), between(random, 0, 10)));
  const world: World = {
    platform,
    companies,
    subscriptions,
    receiver,
    arrivals,
    strayPosts,
    tick,
    receiverBehaviour: healthyReceiver,
    healthyReceiver,
    notificationAnswer: healthyNotificationAnswer,
    healthyNotificationAnswer,
    subscriptionsFor: (companyId, eventType) => subscriptions.filter((s) => connectedApps.get(companyId)?.has(s.appIndex) && s.filter.test(eventType)),
    companyById: (companyId) => byId.get(companyId),
    own: (requestId, companyIndex) => void owners.set(requestId, companyIndex),
    companyOfRequest: (requestId) => owners.get(requestId),
  };

  receiver.script((request) => world.receiverBehaviour(request));
  for (const connector of new Set(spec.companies.map((c) => c.connector))) {
    connector.answer = async (post) => {
      const companyIndex = owners.get(post.requestId);
      if (companyIndex === undefined) {
        strayPosts.push(post);
        return 200;
      }
      let arrival = arrivals.get(post.requestId);
      if (!arrival) {
        arrival = { companyIndex, firstTick: tick(), firstAt: Date.now(), firstAckTick: null, firstAckAt: null, posts: 0, acknowledged: 0 };
        arrivals.set(post.requestId, arrival);
      }
      arrival.posts++;
      const status = await world.notificationAnswer(post, companies[companyIndex]!);
      if (status === 200) {
        arrival.acknowledged++;
        if (arrival.firstAckTick === null) {
          arrival.firstAckTick = tick();
          arrival.firstAckAt = Date.now();
        }
      }
      return status;
    };
  }
  return world;
}

// ---------------------------------------------------------------------------------------------------
// The load

/** Who takes an action, and with which token. */
export type Actor = 'traveler' | 'manager-user' | 'manager-company' | 'connector';

/** A workflow action of Request v4. */
export type Action = 'submit' | 'approve' | 'recall' | 'sendback' | 'cancel' | 'close' | 'reopen';

/** One workflow call and what became of it. */
export interface Call {
  companyIndex: number;
  requestId: string;
  action: Action;
  actor: Actor;
  correlationId: string;
  comment: string;
  /** acked: 200; refused: a 4xx answer; unknown: no answer or a 5xx (it may have committed). */
  outcome: 'pending' | 'acked' | 'refused' | 'unknown';
  status?: number;
  /** The start of a refusal's body, for messages. */
  answerExcerpt?: string;
  sentTick: number;
  answeredTick?: number;
  /** Order of acknowledgement among this request's calls. */
  ackIndex?: number;
}

/** Options of `startLoad`. */
export interface LoadOptions {
  random: () => number;
  /** Lanes per traveler (default 1). */
  lanesPerTraveler?: number;
  /** A pause before each action, in ms ([min, max]); none by default (as fast as the platform goes). */
  pauseMs?: readonly [number, number];
  /** How long a lane waits for its request's notification before calling it lost (a guard, not a timing). */
  notificationGuardMs?: number;
}

/** Running load. */
export interface Load {
  readonly calls: Call[];
  /** Requests whose creation was acknowledged (201), with their company. */
  readonly created: Map<string, number>;
  /** Unexpected answers and broken promises of the platform, as messages. */
  readonly failures: string[];
  /** Acknowledged workflow calls so far. */
  acked(): number;
  /** Acknowledged workflow calls of the companies matching `filter` (all by default). */
  ackedWhere(filter: (call: Call) => boolean): number;
  /** Calls answered with a 5xx. */
  serverErrors(): number;
  /** Requests driven to their end (every step of a lane's script acknowledged). */
  completed(companyIndex?: number): number;
  /** Stops the lanes after their current step and waits for them. */
  stop(): Promise<void>;
}

class Abandon extends Error {}

/** Starts lanes of travelers on every company of the world. */
export function startLoad(world: World, options: LoadOptions): Load {
  const { random } = options;
  const platform = world.platform;
  const calls: Call[] = [];
  const created = new Map<string, number>();
  const failures: string[] = [];
  const acksByRequest = new Map<string, number>();
  const completedBy = new Map<number, number>();
  let acked = 0;
  let serverErrors = 0;
  let stopping = false;
  let release: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (release = resolve));
  const guardMs = options.notificationGuardMs ?? 120_000;

  async function http(method: string, path: string, token: string, init: { body?: unknown; correlationId?: string; query?: Record<string, string> } = {}): Promise<{ status: number; body: any; text: string } | null> {
    // While the platform is down the lanes wait here, unless the load is stopped meanwhile.
    await Promise.race([platform.ready(), stopped]);
    if (!platform.isUp()) return null;
    const query = init.query ? `?${new URLSearchParams(init.query).toString()}` : '';
    try {
      const response = await fetch(`${platform.url}/travelrequest/v4${path}${query}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.correlationId ? { 'concur-correlationid': init.correlationId } : {}) },
        body: JSON.stringify(init.body ?? {}),
        // A guard against a hung platform: an answer that never comes counts as no answer.
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      return { status: response.status, body, text };
    } catch {
      return null;
    }
  }

  const pause = async () => {
    if (options.pauseMs) await sleep(between(random, options.pauseMs[0], options.pauseMs[1]));
  };

  async function act(company: WorldCompany, traveler: number, requestId: string, action: Action, actor: Actor): Promise<Call> {
    await pause();
    if (stopping) throw new Abandon('stopping');
    const correlationId = randomUUID();
    const call: Call = { companyIndex: company.index, requestId, action, actor, correlationId, comment: `${action} by ${actor} ${correlationId}`, outcome: 'pending', sentTick: world.tick() };
    calls.push(call);
    const token = actor === 'traveler' ? company.tokens.travelers[traveler]! : actor === 'manager-user' ? company.tokens.manager : company.tokens.company;
    const answer = await http('POST', `/requests/${requestId}/${action}`, token, {
      body: { comment: call.comment },
      correlationId,
      ...(actor === 'manager-company' ? { query: { userId: company.managerId } } : {}),
    });
    call.answeredTick = world.tick();
    if (answer === null || answer.status >= 500) {
      if (answer) serverErrors++;
      call.outcome = 'unknown';
      if (answer) call.status = answer.status;
    } else {
      call.status = answer.status;
      if (answer.status === 200) {
        call.outcome = 'acked';
        const index = acksByRequest.get(requestId) ?? 0;
        call.ackIndex = index;
        acksByRequest.set(requestId, index + 1);
        acked++;
      } else {
        call.outcome = 'refused';
        call.answerExcerpt = answer.text.slice(0, 300);
      }
    }
    return call;
  }

  /** An action the script needs to succeed: anything but 200 ends this request's script. */
  async function must(company: WorldCompany, traveler: number, requestId: string, action: Action, actor: Actor): Promise<void> {
    const call = await act(company, traveler, requestId, action, actor);
    if (call.outcome === 'acked') return;
    if (call.outcome === 'refused') failures.push(`${action} by ${actor} on ${requestId} (company ${company.index}) was refused with ${call.status}: ${call.answerExcerpt}`);
    throw new Abandon(`${action} ${call.outcome}`);
  }

  async function create(company: WorldCompany, traveler: number): Promise<string> {
    await pause();
    if (stopping) throw new Abandon('stopping');
    const answer = await http('POST', '/requests', company.tokens.travelers[traveler]!, { body: { name: `Trip ${randomUUID().slice(0, 8)}`, businessPurpose: 'Reliability' } });
    if (answer === null || answer.status >= 500) {
      if (answer) serverErrors++;
      throw new Abandon('create unanswered');
    }
    if (answer.status !== 201) {
      failures.push(`creating a request (company ${company.index}) answered ${answer.status}: ${answer.text.slice(0, 300)}`);
      throw new Abandon('create refused');
    }
    const id = answer.body.id as string;
    created.set(id, company.index);
    world.own(id, company.index);
    return id;
  }

  /** Waits until the connector acknowledged the request's notification; false when stopping. */
  async function notified(requestId: string): Promise<boolean> {
    const deadline = Date.now() + guardMs;
    for (;;) {
      if (world.arrivals.get(requestId)?.firstAckTick) return true;
      if (stopping) return false;
      if (Date.now() > deadline) {
        failures.push(`the notification of request ${requestId} (its submit was acknowledged) did not reach the connector within ${guardMs} ms`);
        return false;
      }
      await sleep(20);
    }
  }

  /** The manager approves twice at once (user token and company token): exactly one may win. */
  async function racingApprove(company: WorldCompany, traveler: number, requestId: string): Promise<void> {
    const [a, b] = await Promise.all([act(company, traveler, requestId, 'approve', 'manager-user'), act(company, traveler, requestId, 'approve', 'manager-company')]);
    if (a.outcome === 'unknown' || b.outcome === 'unknown') throw new Abandon('race unanswered');
    const winners = [a, b].filter((c) => c.outcome === 'acked');
    if (winners.length !== 1) {
      failures.push(`a double approval of ${requestId} had ${winners.length} winners (${a.status}, ${b.status})`);
      throw new Abandon('race');
    }
    const loser = winners[0] === a ? b : a;
    if (loser.status !== 403 && loser.status !== 409) failures.push(`the losing double approval of ${requestId} answered ${loser.status}`);
  }

  async function script(company: WorldCompany, traveler: number): Promise<void> {
    const id = await create(company, traveler);
    const run = (action: Action, actor: Actor = 'traveler') => must(company, traveler, id, action, actor);
    if (random() < 0.06) {
      await run('cancel');
      if (random() < 0.5) await run('close');
      return;
    }
    await run('submit');
    if (company.victim) {
      if (random() < 0.4) await run('cancel');
      return;
    }
    if (!(await notified(id))) throw new Abandon('not notified');
    if (random() < 0.12) {
      await run('sendback', 'connector');
      await run('cancel');
      return;
    }
    await run('approve', 'connector');
    const atManager = random();
    if (atManager < 0.08) {
      await run('recall');
      await run('cancel');
      return;
    }
    if (atManager < 0.16) {
      await run('sendback', random() < 0.5 ? 'manager-user' : 'manager-company');
      await run('cancel');
      return;
    }
    if (atManager < 0.28) await racingApprove(company, traveler, id);
    else await run('approve', random() < 0.5 ? 'manager-user' : 'manager-company');
    const after = random();
    if (after < 0.15) {
      await run('cancel');
    } else if (after < 0.6) {
      await run('close');
      if (random() < 0.3) await run('reopen');
    }
  }

  const lanes: Promise<void>[] = [];
  for (const company of world.companies) {
    for (let traveler = 0; traveler < company.travelerIds.length; traveler++) {
      for (let lane = 0; lane < (options.lanesPerTraveler ?? 1); lane++) {
        lanes.push(
          (async () => {
            while (!stopping) {
              try {
                await script(company, traveler);
                completedBy.set(company.index, (completedBy.get(company.index) ?? 0) + 1);
              } catch (error) {
                if (!(error instanceof Abandon)) {
                  failures.push(`lane of company ${company.index} failed: ${(error as Error).stack ?? String(error)}`);
                  return;
                }
                // The platform is down or refused: do not spin.
                await sleep(between(random, 20, 100));
              }
            }
          })(),
        );
      }
    }
  }

  return {
    calls,
    created,
    failures,
    acked: () => acked,
    ackedWhere: (filter) => calls.filter((c) => c.outcome === 'acked' && filter(c)).length,
    serverErrors: () => serverErrors,
    completed: (companyIndex) => (companyIndex === undefined ? [...completedBy.values()].reduce((a, b) => a + b, 0) : (completedBy.get(companyIndex) ?? 0)),
    async stop() {
      stopping = true;
      release();
      await Promise.all(lanes);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Draining and checking

/** The world's events, oldest first. */
async function worldEvents(store: Store, world: World): Promise<Array<OutboxEvent & { companyId: string; createdAt: number }>> {
  const rows = await store.db
    .selectFrom('events')
    .select(['seq', 'id', 'request_id', 'event_type', 'payload', 'company_id', 'created_at'])
    .where('company_id', 'in', world.companies.map((c) => c.id))
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({ seq: Number(row.seq), id: row.id, requestId: row.request_id, eventType: row.event_type, payload: row.payload, companyId: row.company_id, createdAt: Number(row.created_at) }));
}

/** Queue depths: deliveries and notifications still to go. */
export async function queueDepths(store: Store): Promise<{ deliveries: number; notifications: number }> {
  const deliveries = await store.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'PENDING').executeTakeFirstOrThrow();
  const notifications = await store.db.selectFrom('notifications').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'PENDING').executeTakeFirstOrThrow();
  return { deliveries: Number(deliveries.n), notifications: Number(notifications.n) };
}

/**
 * Waits (the platform running, the load stopped) until every event of the world reached every
 * matching subscription's path, no delivery is pending, the notification queue is empty and every
 * External Validation entry's notification was acknowledged by the connector. Fails after `guardMs`
 * with what is missing.
 */
export async function waitForDrain(world: World, store: Store, guardMs = 180_000): Promise<void> {
  const missing = async () => {
    const events = await worldEvents(store, world);
    const acknowledged = new Map(world.subscriptions.map((s) => [s.path, world.receiver.acknowledgedIds(s.path)]));
    const lost: string[] = [];
    for (const event of events) {
      for (const subscription of world.subscriptionsFor(event.companyId, event.eventType)) {
        if (!acknowledged.get(subscription.path)!.has(event.id)) lost.push(`event ${event.id} (${event.eventType}) at ${subscription.path}`);
      }
      if (event.eventType === EVENT_TYPES.externalValidation && !world.arrivals.get(event.requestId)?.firstAckTick) lost.push(`the notification of request ${event.requestId}`);
    }
    const depths = await queueDepths(store);
    const rows = await store.db.selectFrom('notifications').select(['status']).execute();
    return { lost, depths, notificationRows: rows.length };
  };
  const deadline = Date.now() + guardMs;
  for (;;) {
    const state = await missing();
    if (state.lost.length === 0 && state.depths.deliveries === 0 && state.notificationRows === 0) return;
    if (Date.now() > deadline) {
      assert.fail(
        `gave up waiting for the queues to drain (${guardMs} ms guard): ${state.lost.length} not delivered (${state.lost.slice(0, 5).join('; ')}), ` +
          `${state.depths.deliveries} deliveries pending, ${state.notificationRows} notification rows left\n${world.platform.output(3_000)}`,
      );
    }
    await sleep(200);
  }
}

/** What `checkConsistency` counted. */
export interface Figures {
  requests: number;
  transitionsAcked: number;
  refused: number;
  unanswered: number;
  unansweredCommitted: number;
  events: number;
  deliveriesChecked: number;
  deliveryDuplicates: number;
  notificationsChecked: number;
  notificationDuplicates: number;
  fifoPairs: number;
  lost: number;
}

/** The figures as one line. */
export function describeFigures(figures: Figures): string {
  return (
    `requests ${figures.requests}; transitions acknowledged ${figures.transitionsAcked} (refused ${figures.refused}, unanswered ${figures.unanswered}, of which committed ${figures.unansweredCommitted}); ` +
    `events ${figures.events}, each with exactly its transition; deliveries checked ${figures.deliveriesChecked} (duplicates ${figures.deliveryDuplicates}); ` +
    `notifications checked ${figures.notificationsChecked} (duplicates ${figures.notificationDuplicates}, FIFO pairs ${figures.fifoPairs}); lost ${figures.lost}`
  );
}

/** The status a request must have after its last event. */
function stateAfter(last: StatusChangeEvent | undefined, company: WorldCompany) {
  if (!last) return { status: 'NOT_SUBMITTED', step: null, approver: null, closed: false };
  switch (last.eventType) {
    case EVENT_TYPES.externalValidation:
      return { status: 'SUBMITTED', step: 1, approver: null, closed: false };
    case EVENT_TYPES.manager:
      return { status: 'SUBMITTED', step: 2, approver: company.managerId, closed: false };
    case EVENT_TYPES.approved:
      return { status: 'APPROVED', step: null, approver: null, closed: last.facts.isClosed === 'true' };
    case EVENT_TYPES.canceled:
      return { status: 'CANCELED', step: null, approver: null, closed: last.facts.isClosed === 'true' };
    case EVENT_TYPES.sentBack:
      return { status: 'SENTBACK', step: null, approver: null, closed: false };
    default:
      return assert.fail(`unexpected event type ${last.eventType}`);
  }
}

/** The event types an acknowledged call may have produced. */
function expectedTypes(call: Call, previous: StatusChangeEvent | undefined): string[] {
  switch (call.action) {
    case 'submit':
      return [EVENT_TYPES.externalValidation];
    case 'approve':
      return [call.actor === 'connector' ? EVENT_TYPES.manager : EVENT_TYPES.approved];
    case 'sendback':
    case 'recall':
      return [EVENT_TYPES.sentBack];
    case 'cancel':
      return [EVENT_TYPES.canceled];
    case 'close':
    case 'reopen':
      return previous ? [previous.eventType] : [];
  }
}

/**
 * Checks the durability model on the drained world (see the module comment); fails on the first
 * breach with the details. Returns the figures.
 */
export async function checkConsistency(world: World, load: Load, store: Store): Promise<Figures> {
  assert.deepEqual(load.failures, [], 'the platform kept its promises to the load');
  const companyIds = world.companies.map((c) => c.id);
  const requests = await store.db.selectFrom('requests').selectAll().where('company_id', 'in', companyIds).execute();
  const events = await worldEvents(store, world);
  const requestIds = requests.map((r) => r.id);
  const comments = requestIds.length === 0 ? [] : await store.db.selectFrom('request_comments').select(['request_id', 'value']).where('request_id', 'in', requestIds).execute();
  const byId = new Map(requests.map((r) => [r.id, r]));
  const callByCorrelation = new Map(load.calls.map((c) => [c.correlationId, c]));

  // Every acknowledged creation is there.
  for (const [id] of load.created) assert.ok(byId.has(id), `request ${id} was acknowledged (201) but is gone`);

  // Every event belongs to an existing request and to one call that was not refused; at most one per call.
  const eventsByRequest = new Map<string, StatusChangeEvent[]>();
  const eventByCorrelation = new Map<string, StatusChangeEvent>();
  for (const row of events) {
    assert.ok(byId.has(row.requestId), `event ${row.id} has no request ${row.requestId}`);
    const event = JSON.parse(row.payload) as StatusChangeEvent;
    assert.equal(event.id, row.id, 'the payload is the event of its row');
    assert.equal(event.eventType, row.eventType);
    assert.equal(event.facts.id, row.requestId);
    const origin = callByCorrelation.get(event.correlationId);
    assert.ok(origin, `event ${row.id} (${row.eventType}) comes from no call of the load`);
    assert.equal(origin.requestId, row.requestId, `event ${row.id} is on another request than its call`);
    assert.notEqual(origin.outcome, 'refused', `the refused ${origin.action} ${origin.correlationId} (${origin.status}) left an event`);
    assert.ok(!eventByCorrelation.has(event.correlationId), `two events for the call ${event.correlationId} (${origin.action} on ${origin.requestId})`);
    eventByCorrelation.set(event.correlationId, event);
    eventsByRequest.set(row.requestId, [...(eventsByRequest.get(row.requestId) ?? []), event]);
  }

  // Every acknowledged call has its event, in acknowledgement order; an unanswered call may have
  // committed, but only as its request's last transition (its lane gave the request up).
  let unansweredCommitted = 0;
  for (const call of load.calls) {
    const event = eventByCorrelation.get(call.correlationId);
    const list = eventsByRequest.get(call.requestId) ?? [];
    if (call.outcome === 'acked') {
      assert.ok(event, `the acknowledged ${call.action} by ${call.actor} (${call.correlationId}) on ${call.requestId} has no event: a committed transition was lost`);
      assert.equal(list.indexOf(event), call.ackIndex, `the acknowledged ${call.action} ${call.correlationId} on ${call.requestId} is out of order`);
      const types = expectedTypes(call, list[call.ackIndex! - 1]);
      assert.ok(types.includes(event.eventType), `${call.action} by ${call.actor} on ${call.requestId} published ${event.eventType}, expected ${types.join(' or ')}`);
      if (call.action === 'close' || call.action === 'reopen') assert.equal(event.facts.isClosed, call.action === 'close' ? 'true' : 'false');
    } else if (call.outcome === 'unknown' && event) {
      unansweredCommitted++;
      assert.equal(list.at(-1), event, `the unanswered ${call.action} on ${call.requestId} committed, but not as its last transition`);
    }
  }

  // Each request is whole: version, events, comments and columns agree.
  const commentsByRequest = new Map<string, string[]>();
  for (const comment of comments) commentsByRequest.set(comment.request_id, [...(commentsByRequest.get(comment.request_id) ?? []), comment.value]);
  for (const row of requests) {
    const company = world.companyById(row.company_id)!;
    const list = eventsByRequest.get(row.id) ?? [];
    const label = `request ${row.id} (company ${company.index})`;
    assert.equal(row.version - 1, list.length, `${label}: version ${row.version} but ${list.length} events (a transition without its event, or the reverse)`);
    assert.deepEqual(
      [...(commentsByRequest.get(row.id) ?? [])].sort(),
      list.map((event) => callByCorrelation.get(event.correlationId)!.comment).sort(),
      `${label}: its comments are those of its transitions`,
    );
    const state = stateAfter(list.at(-1), company);
    assert.equal(row.status_code, state.status, `${label}: status vs its last event ${list.at(-1)?.eventType}`);
    assert.equal(row.step_position === null ? null : Number(row.step_position), state.step, `${label}: step`);
    assert.equal(row.approver_id, state.approver, `${label}: approver`);
    assert.equal(toBool(row.closed), state.closed, `${label}: closed`);
    const last = list.at(-1);
    if (last) assert.equal(Date.parse(last.timeStamp), Number(row.updated_at), `${label}: its last change and its last event are one transaction`);
    assert.ok(list.filter((e) => e.eventType === EVENT_TYPES.externalValidation).length <= 1, `${label}: entered External Validation more than once`);
  }

  // Deliveries: exactly one per matching subscription per event, all delivered, none orphaned.
  const deliveryRows = await store.db
    .selectFrom('deliveries as d')
    .innerJoin('events as e', 'e.seq', 'd.event_seq')
    .select(['d.event_seq', 'd.subscription_id', 'd.status', 'd.lease_owner'])
    .where('e.company_id', 'in', companyIds)
    .execute();
  const deliveriesBySeq = new Map<number, string[]>();
  for (const row of deliveryRows) {
    assert.equal(row.status, 'DELIVERED', `delivery of event #${row.event_seq} to ${row.subscription_id} ended ${row.status}`);
    assert.equal(row.lease_owner, null, `delivery of event #${row.event_seq} to ${row.subscription_id} is still leased`);
    deliveriesBySeq.set(Number(row.event_seq), [...(deliveriesBySeq.get(Number(row.event_seq)) ?? []), row.subscription_id]);
  }
  const orphans = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM deliveries d LEFT JOIN events e ON e.seq = d.event_seq WHERE e.seq IS NULL`.execute(store.db);
  assert.equal(Number(orphans.rows[0]!.n), 0, 'deliveries without their event');
  const orphanComments = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM request_comments c LEFT JOIN requests r ON r.id = c.request_id WHERE r.id IS NULL`.execute(store.db);
  assert.equal(Number(orphanComments.rows[0]!.n), 0, 'comments without their request');
  const notificationRows = await store.db.selectFrom('notifications').select(['id', 'status', 'request_id']).execute();
  assert.deepEqual(notificationRows, [], 'every notification was delivered and removed from the queue (none PENDING or FAILED)');

  // Every event reached every matching subscription at least once, nothing else arrived, in order per request.
  let deliveriesChecked = 0;
  let deliveryDuplicates = 0;
  for (const subscription of world.subscriptions) {
    const expected = events.filter((e) => world.subscriptionsFor(e.companyId, e.eventType).includes(subscription));
    const acknowledged = world.receiver.acknowledgedIds(subscription.path);
    for (const event of expected) assert.ok(acknowledged.has(event.id), `event ${event.id} (${event.eventType}) never reached ${subscription.path}: lost`);
    const expectedIds = new Set(expected.map((e) => e.id));
    for (const id of acknowledged) assert.ok(expectedIds.has(id), `${subscription.path} got event ${id}, which is not one of its events`);
    assertOrderedPerRequest(world.receiver, subscription.path, expected);
    deliveriesChecked += expected.length;
    deliveryDuplicates += world.receiver.acknowledged(subscription.path).length - acknowledged.size;
  }
  for (const event of events) {
    const expected = world.subscriptionsFor(event.companyId, event.eventType).map((s) => s.id).sort();
    assert.deepEqual([...(deliveriesBySeq.get(event.seq) ?? [])].sort(), expected, `event #${event.seq} (${event.eventType}): one delivery per matching subscription`);
  }

  // Every notification reached its connector at least once; nothing else did; FIFO per company.
  assert.deepEqual(world.strayPosts.map((p) => p.requestId), [], 'the connectors got notifications about requests nobody submitted');
  const validations = events.filter((e) => e.eventType === EVENT_TYPES.externalValidation);
  const validated = new Set(validations.map((e) => e.requestId));
  let notificationDuplicates = 0;
  for (const event of validations) {
    const arrival = world.arrivals.get(event.requestId);
    assert.ok(arrival?.firstAckTick, `the notification of request ${event.requestId} never reached its connector: lost`);
    notificationDuplicates += arrival.acknowledged - 1;
  }
  for (const [requestId] of world.arrivals) assert.ok(validated.has(requestId), `the connector got a notification about ${requestId}, which never entered External Validation`);
  let fifoPairs = 0;
  for (const company of world.companies) {
    // Submits that committed: A acknowledged before B was sent means A's notification was queued (and
    // committed) before B's, so B may be posted only after A was acknowledged.
    const submits = load.calls.filter((c) => c.companyIndex === company.index && c.action === 'submit' && (c.outcome === 'acked' || eventByCorrelation.has(c.correlationId)));
    const acknowledged = submits.filter((c) => c.outcome === 'acked').sort((a, b) => a.answeredTick! - b.answeredTick!);
    const prefixMaxAck: Array<{ tick: number; requestId: string }> = [];
    for (const call of acknowledged) {
      const tick = world.arrivals.get(call.requestId)!.firstAckTick!;
      const previous = prefixMaxAck.at(-1);
      prefixMaxAck.push(previous && previous.tick > tick ? previous : { tick, requestId: call.requestId });
    }
    for (const b of submits) {
      // The acknowledged submits answered before b was sent: a prefix of `acknowledged`.
      let low = 0;
      let high = acknowledged.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (acknowledged[middle]!.answeredTick! < b.sentTick) low = middle + 1;
        else high = middle;
      }
      const count = low;
      if (count === 0) continue;
      fifoPairs += count;
      const latest = prefixMaxAck[count - 1]!;
      const bArrival = world.arrivals.get(b.requestId)!;
      assert.ok(bArrival.firstTick > latest.tick, `company ${company.index}: the notification of ${b.requestId} was posted before that of ${latest.requestId}, queued earlier, was acknowledged (FIFO broken)`);
    }
  }

  return {
    requests: requests.length,
    transitionsAcked: load.calls.filter((c) => c.outcome === 'acked').length,
    refused: load.calls.filter((c) => c.outcome === 'refused').length,
    unanswered: load.calls.filter((c) => c.outcome === 'unknown').length,
    unansweredCommitted,
    events: events.length,
    deliveriesChecked,
    deliveryDuplicates,
    notificationsChecked: validations.length,
    notificationDuplicates,
    fifoPairs,
    lost: 0,
  };
}
