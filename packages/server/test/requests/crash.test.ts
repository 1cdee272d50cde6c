/**
 * Acceptance 3 of the Request issue: a real `patchbay start --demo` child is killed with SIGKILL in the
 * middle of a burst of concurrent workflow actions over Request v4, then restarted. Afterwards every
 * transition the API acknowledged is there with exactly one event, every event belongs to a transition
 * that is there, no refused action left an event, and no request is half-written. Runs on SQLite and
 * PostgreSQL.
 *
 * Every action carries its own `concur-correlationid` (which the engine copies into the event) and a
 * comment (which the engine writes in the same transaction), so each stored event and comment can be
 * traced to exactly one HTTP call. All workflow steps notify, and no request is PUT-updated, so a
 * request's `version - 1` is its number of transitions, each of which has published one event.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { storeSuites } from '../support/stores.ts';
import { freePort } from '../support/server.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { toBool } from '../../src/store/schema.ts';
import { DEMO } from '../../src/demo.ts';
import { createUser } from '../../src/companies/companies.ts';
import { savePolicy, saveWorkflow, updateUserWorkflowFields } from '../../src/requests/workflow-admin.ts';
import type { StatusChangeEvent } from '../../src/requests/status-change-event.ts';
import { exited, killChildren, startPatchbayChild } from '../support/patchbay-child.ts';

const PASSWORD = 'crash-test-password';
const TRAVELERS = 4;
const LANES_PER_TRAVELER = 3;
/** Acknowledged transitions before the kill. */
const KILL_AFTER = 150;

after(killChildren);

/** A user token for the demo application (password grant). */
async function userToken(url: string, loginId: string, password: string): Promise<string> {
  const response = await fetch(`${url}/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: DEMO.application.id, client_secret: DEMO.application.clientSecret, username: loginId, password }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  assert.equal(response.status, 200, `token for ${loginId}: ${JSON.stringify(body)}`);
  return body.access_token!;
}

/** The workflow: the traveler's manager, then a named user; both notify. */
const STEP1 = { roleCode: 'REQ_MANAGER', role: 'RequestManager', stepCode: 'PENDMGR' };
const STEP2 = { roleCode: 'BDGT_APPROVE', role: 'BudgetManager', stepCode: 'PENDBDG' };
const APPROVED_STEP_CODE = 'REQAPPR';

interface Setup {
  managerId: string;
  budgetId: string;
  travelerIds: string[];
  logins: { manager: string; budget: string; travelers: string[] };
}

async function setUp(store: Store): Promise<Setup> {
  return store.transaction(async (trx) => {
    const tag = randomUUID().slice(0, 8);
    const make = (name: string) => createUser(trx, null, { companyId: DEMO.companyId, loginId: `${name}-${tag}@crash.test`, name: `Crash ${name}`, password: PASSWORD, roles: ['EMPLOYEE'] });
    const manager = await make('manager');
    const budget = await make('budget');
    const travelers = [];
    for (let i = 0; i < TRAVELERS; i++) {
      const traveler = await make(`traveler${i}`);
      await updateUserWorkflowFields(trx, null, DEMO.companyId, traveler.id, { managerId: manager.id });
      travelers.push(traveler);
    }
    const workflow = await saveWorkflow(trx, null, DEMO.companyId, {
      name: 'Crash test approval',
      approvedStepCode: APPROVED_STEP_CODE,
      steps: [
        { roleCode: STEP1.roleCode, approverType: 'MANAGER', notify: true, stepCode: STEP1.stepCode },
        { roleCode: STEP2.roleCode, approverType: 'USER', approverUserId: budget.id, notify: true, stepCode: STEP2.stepCode },
      ],
    });
    await savePolicy(trx, null, DEMO.companyId, { name: 'Crash test policy', workflowId: workflow.id, isDefault: true });
    return {
      managerId: manager.id,
      budgetId: budget.id,
      travelerIds: travelers.map((t) => t.id),
      logins: { manager: manager.loginId, budget: budget.loginId, travelers: travelers.map((t) => t.loginId) },
    };
  });
}

type Action = 'submit' | 'approve' | 'recall' | 'sendback' | 'cancel' | 'close' | 'reopen';

/** One workflow call of the burst and what became of it. */
interface Sent {
  requestId: string;
  action: Action;
  correlationId: string;
  comment: string;
  /** 'acked' (200), 'refused' (an HTTP error answer), or 'unknown' (no answer: the server died). */
  outcome: 'pending' | 'acked' | 'refused' | 'unknown';
  status?: number;
  /** `approvalStatus.code` of the 200 answer. */
  approvalStatus?: string;
  /** Order of acknowledgement among this request's calls. */
  ackIndex?: number;
}

class ServerGone extends Error {}

/** The burst: lanes of travelers walking requests through the workflow, with approvers answering. */
function burst(url: string, tokens: { manager: string; budget: string; travelers: string[] }) {
  const sent: Sent[] = [];
  const created: string[] = [];
  const acksByRequest = new Map<string, number>();
  let acked = 0;
  let stop = false;

  async function call(method: string, path: string, token: string, body: unknown, correlationId?: string): Promise<{ status: number; body: any }> {
    let response: Response;
    try {
      response = await fetch(`${url}/travelrequest/v4${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(correlationId ? { 'concur-correlationid': correlationId } : {}) },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    } catch (error) {
      throw new ServerGone('no answer', { cause: error });
    }
  }

  async function act(requestId: string, action: Action, token: string): Promise<Sent> {
    const correlationId = randomUUID();
    const entry: Sent = { requestId, action, correlationId, comment: `${action} ${correlationId}`, outcome: 'pending' };
    sent.push(entry);
    try {
      const answer = await call('POST', `/requests/${requestId}/${action}`, token, { comment: entry.comment }, correlationId);
      entry.status = answer.status;
      if (answer.status === 200) {
        entry.outcome = 'acked';
        entry.approvalStatus = answer.body.approvalStatus.code;
        const index = acksByRequest.get(requestId) ?? 0;
        entry.ackIndex = index;
        acksByRequest.set(requestId, index + 1);
        acked++;
      } else {
        entry.outcome = 'refused';
      }
    } catch (error) {
      entry.outcome = 'unknown';
      throw error;
    }
    return entry;
  }

  /** An action that must succeed (or the server died). */
  async function must(requestId: string, action: Action, token: string): Promise<void> {
    const entry = await act(requestId, action, token);
    if (entry.outcome !== 'acked') throw new Error(`${action} on ${requestId} answered ${entry.status}`);
  }

  async function create(token: string, name: string): Promise<string> {
    const answer = await call('POST', '/requests', token, { name, businessPurpose: 'crash test' });
    if (answer.status !== 201) throw new Error(`create answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    created.push(answer.body.id);
    return answer.body.id as string;
  }

  /** Two approvals by the same approver at once: exactly one may win. */
  async function racingApprove(requestId: string, token: string): Promise<void> {
    const results = await Promise.allSettled([act(requestId, 'approve', token), act(requestId, 'approve', token)]);
    if (results.some((r) => r.status === 'rejected')) throw new ServerGone('no answer');
    const [a, b] = results.map((r) => (r as PromiseFulfilledResult<Sent>).value) as [Sent, Sent];
    const winners = [a, b].filter((e) => e.outcome === 'acked');
    if (winners.length !== 1) throw new Error(`a double approval of ${requestId} had ${winners.length} winners (${a.status}, ${b.status})`);
    const loser = winners[0] === a ? b : a;
    if (loser.status !== 403 && loser.status !== 409) throw new Error(`the losing double approval answered ${loser.status}`);
  }

  const scenarios: Array<(traveler: string, n: string) => Promise<void>> = [
    // Straight through, then closed and reopened.
    async (traveler, n) => {
      const id = await create(traveler, `Straight ${n}`);
      await must(id, 'submit', traveler);
      await must(id, 'approve', tokens.manager);
      await must(id, 'approve', tokens.budget);
      await must(id, 'close', traveler);
      await must(id, 'reopen', traveler);
    },
    // Recalled, resubmitted, approved twice at once, sent back at step 2, resubmitted, approved.
    async (traveler, n) => {
      const id = await create(traveler, `Recall ${n}`);
      await must(id, 'submit', traveler);
      await must(id, 'recall', traveler);
      await must(id, 'submit', traveler);
      await racingApprove(id, tokens.manager);
      await must(id, 'sendback', tokens.budget);
      await must(id, 'submit', traveler);
      await must(id, 'approve', tokens.manager);
      await must(id, 'approve', tokens.budget);
    },
    // Sent back by the manager, resubmitted, canceled while pending at step 2; actions refused on the way.
    async (traveler, n) => {
      const id = await create(traveler, `Sendback ${n}`);
      const early = await act(id, 'approve', tokens.manager); // a draft cannot be approved
      if (early.outcome !== 'refused') throw new Error(`approving a draft answered ${early.status}`);
      await must(id, 'submit', traveler);
      await must(id, 'sendback', tokens.manager);
      await must(id, 'submit', traveler);
      const own = await act(id, 'approve', traveler); // nobody approves their own request
      if (own.outcome !== 'refused') throw new Error(`approving one's own request answered ${own.status}`);
      await must(id, 'approve', tokens.manager);
      await must(id, 'cancel', traveler);
      const reopen = await act(id, 'reopen', traveler); // not closed
      if (reopen.outcome !== 'refused') throw new Error(`reopening an open request answered ${reopen.status}`);
    },
    // A draft canceled, then closed.
    async (traveler, n) => {
      const id = await create(traveler, `Cancel ${n}`);
      await must(id, 'cancel', traveler);
      await must(id, 'close', traveler);
    },
  ];

  const lanes: Promise<void>[] = [];
  const failures: Error[] = [];
  for (let lane = 0; lane < TRAVELERS * LANES_PER_TRAVELER; lane++) {
    const traveler = tokens.travelers[lane % TRAVELERS]!;
    lanes.push(
      (async () => {
        for (let round = 0; !stop; round++) {
          try {
            await scenarios[(lane + round) % scenarios.length]!(traveler, `${lane}.${round}`);
          } catch (error) {
            if (!(error instanceof ServerGone) && !stop) failures.push(error as Error);
            return;
          }
        }
      })(),
    );
  }
  return {
    sent,
    created,
    failures,
    acked: () => acked,
    async finish() {
      stop = true;
      await Promise.all(lanes);
    },
  };
}

/** What a request's state is after `events`, replayed from a new draft. */
function replay(events: StatusChangeEvent[], budgetId: string, managerId: string) {
  let state = { status: 'NOT_SUBMITTED', step: null as number | null, approver: null as string | null, closed: false, submitted: false, approved: false };
  for (const event of events) {
    const { facts } = event;
    const from = state;
    switch (event.eventType) {
      case `statusChange.PENDING.${STEP1.role}`:
        assert.ok(['NOT_SUBMITTED', 'SENTBACK'].includes(from.status) && !from.closed, `PENDING.${STEP1.role} after ${from.status}`);
        assert.equal(facts.stepCode, STEP1.stepCode);
        assert.equal(facts.recipientId, managerId);
        state = { ...from, status: 'SUBMITTED', step: 1, approver: managerId, submitted: true };
        break;
      case `statusChange.PENDING.${STEP2.role}`:
        assert.ok(from.status === 'SUBMITTED' && from.step === 1, `PENDING.${STEP2.role} after ${from.status} at step ${from.step}`);
        assert.equal(facts.stepCode, STEP2.stepCode);
        assert.equal(facts.recipientId, budgetId);
        assert.equal(facts.actingUserId, managerId);
        state = { ...from, step: 2, approver: budgetId };
        break;
      case 'statusChange.APPROVED':
        assert.equal(facts.stepCode, APPROVED_STEP_CODE);
        if (from.status === 'APPROVED') {
          // Close or reopen restates APPROVED with isClosed flipped.
          assert.notEqual(facts.isClosed === 'true', from.closed, 'a close or reopen flips isClosed');
        } else {
          assert.ok(from.status === 'SUBMITTED' && from.step === 2 && facts.isClosed === 'false', `APPROVED after ${from.status} at step ${from.step}`);
          assert.equal(facts.actingUserId, budgetId);
        }
        state = { ...from, status: 'APPROVED', step: null, approver: null, closed: facts.isClosed === 'true', approved: true };
        break;
      case 'statusChange.CANCELED':
        if (from.status === 'CANCELED') assert.notEqual(facts.isClosed === 'true', from.closed, 'a close or reopen flips isClosed');
        else assert.ok(!from.closed && facts.isClosed === 'false', `CANCELED after ${from.status}`);
        state = { ...from, status: 'CANCELED', step: null, approver: null, closed: facts.isClosed === 'true' };
        break;
      case 'statusChange.SENTBACK':
        assert.ok(from.status === 'SUBMITTED' && !from.closed, `SENTBACK after ${from.status}`);
        assert.equal(facts.stepCode, 'SENDBACK');
        if (facts.isRecall === 'true') assert.equal(facts.actingUserId, undefined, 'the owner recalls');
        else assert.equal(facts.actingUserId, from.approver, 'the pending approver sends back');
        state = { ...from, status: 'SENTBACK', step: null, approver: null };
        break;
      default:
        assert.fail(`unexpected event type ${event.eventType}`);
    }
  }
  return state;
}

/** The event type (and flags) an acknowledged action must have produced. */
function expectedEvent(entry: Sent, event: StatusChangeEvent, previous: StatusChangeEvent | undefined): void {
  const label = `${entry.action} ${entry.correlationId}`;
  switch (entry.action) {
    case 'submit':
      assert.equal(event.eventType, `statusChange.PENDING.${STEP1.role}`, label);
      assert.equal(entry.approvalStatus, 'SUBMITTED', label);
      break;
    case 'approve':
      assert.ok([`statusChange.PENDING.${STEP2.role}`, 'statusChange.APPROVED'].includes(event.eventType), `${label}: ${event.eventType}`);
      assert.equal(entry.approvalStatus, event.eventType === 'statusChange.APPROVED' ? 'APPROVED' : 'SUBMITTED', label);
      break;
    case 'recall':
    case 'sendback':
      assert.equal(event.eventType, 'statusChange.SENTBACK', label);
      assert.equal(event.facts.isRecall, entry.action === 'recall' ? 'true' : 'false', label);
      assert.equal(entry.approvalStatus, 'SENTBACK', label);
      break;
    case 'cancel':
      assert.equal(event.eventType, 'statusChange.CANCELED', label);
      assert.equal(event.facts.isClosed, 'false', label);
      assert.equal(entry.approvalStatus, 'CANCELED', label);
      break;
    case 'close':
    case 'reopen':
      assert.equal(event.eventType, previous?.eventType, `${label}: close and reopen restate the status`);
      assert.equal(event.facts.isClosed, entry.action === 'close' ? 'true' : 'false', label);
      break;
  }
}

for (const { kind, skip } of await storeSuites()) {
  describe(`Request workflow crash [${kind.name}]`, { skip }, () => {
    test('SIGKILL during a burst of actions: every acknowledged transition has exactly one event, and every event its transition', { timeout: 240_000 }, async (t) => {
      const database = await kind.create();
      const env: Record<string, string> = { PATCHBAY_DATA_DIR: database.dataDir };
      if (database.location.kind === 'postgres') env.PATCHBAY_DATABASE_URL = database.location.url;
      try {
        // The restart listens on the same address, so the tokens (whose issuer is the public URL) stay valid.
        const port = await freePort();
        // The child migrates the fresh database and seeds the demo; the test adds its users and
        // workflow through the store while the child runs (SQLite: a second connection in WAL mode).
        let { child, url } = await startPatchbayChild(env, port);
        const setupStore = await openStore(database.location);
        let setup: Setup;
        try {
          setup = await setUp(setupStore);
        } finally {
          await setupStore.close();
        }
        const tokens = {
          manager: await userToken(url, setup.logins.manager, PASSWORD),
          budget: await userToken(url, setup.logins.budget, PASSWORD),
          travelers: await Promise.all(setup.logins.travelers.map((login) => userToken(url, login, PASSWORD))),
        };

        const run = burst(url, tokens);
        const deadline = Date.now() + 120_000;
        while (run.acked() < KILL_AFTER && run.failures.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
        child.kill('SIGKILL');
        await exited(child);
        await run.finish();
        assert.deepEqual(run.failures.map((e) => e.message), [], 'the burst behaved before the kill');
        assert.ok(run.acked() >= KILL_AFTER, `${run.acked()} transitions were acknowledged before the kill`);
        const unknown = run.sent.filter((e) => e.outcome === 'unknown');
        t.diagnostic(`${run.created.length} requests created, ${run.acked()} transitions acknowledged, ${run.sent.filter((e) => e.outcome === 'refused').length} refused, ${unknown.length} in flight at the kill`);

        ({ child, url } = await startPatchbayChild(env, port));
        const store = await openStore(database.location);
        try {
          const requests = await store.db.selectFrom('requests').selectAll().where('company_id', '=', DEMO.companyId).execute();
          const events = await store.db.selectFrom('events').selectAll().orderBy('seq').execute();
          const comments = await store.db.selectFrom('request_comments').selectAll().execute();
          const byId = new Map(requests.map((row) => [row.id, row]));
          const sentByCorrelation = new Map(run.sent.map((e) => [e.correlationId, e]));

          // Every acknowledged creation is there.
          for (const id of run.created) assert.ok(byId.has(id), `request ${id} was acknowledged (201) but is gone`);

          // Every event belongs to an existing request and to one call of the burst that was not refused.
          const eventsByRequest = new Map<string, StatusChangeEvent[]>();
          const eventByCorrelation = new Map<string, StatusChangeEvent>();
          for (const row of events) {
            assert.ok(byId.has(row.request_id), `event ${row.id} has no request ${row.request_id}`);
            const event = JSON.parse(row.payload) as StatusChangeEvent;
            assert.equal(event.id, row.id);
            assert.equal(event.eventType, row.event_type);
            assert.equal(event.facts.id, row.request_id);
            const origin = sentByCorrelation.get(event.correlationId);
            assert.ok(origin, `event ${row.id} (${row.event_type}) comes from no call of the burst`);
            assert.equal(origin.requestId, row.request_id, `event ${row.id} is on another request than its call`);
            assert.notEqual(origin.outcome, 'refused', `the refused ${origin.action} ${origin.correlationId} (${origin.status}) left an event`);
            assert.ok(!eventByCorrelation.has(event.correlationId), `two events for the call ${event.correlationId}`);
            eventByCorrelation.set(event.correlationId, event);
            eventsByRequest.set(row.request_id, [...(eventsByRequest.get(row.request_id) ?? []), event]);
          }

          // Every acknowledged transition has its event, in the order the API acknowledged them; an
          // unanswered call may have committed, but only as its request's last transition.
          for (const entry of run.sent) {
            const event = eventByCorrelation.get(entry.correlationId);
            if (entry.outcome === 'acked') {
              assert.ok(event, `the acknowledged ${entry.action} ${entry.correlationId} on ${entry.requestId} has no event`);
              const list = eventsByRequest.get(entry.requestId)!;
              assert.equal(list.indexOf(event), entry.ackIndex, `the acknowledged ${entry.action} ${entry.correlationId} is out of order`);
              expectedEvent(entry, event, list[entry.ackIndex! - 1]);
            } else if (entry.outcome === 'unknown' && event) {
              const list = eventsByRequest.get(entry.requestId)!;
              assert.equal(list.at(-1), event, `the unanswered ${entry.action} on ${entry.requestId} committed, but not as the last transition`);
            }
          }

          // Comments are written with their transition: one per event, from the same call.
          const commentsByRequest = new Map<string, string[]>();
          for (const comment of comments) commentsByRequest.set(comment.request_id, [...(commentsByRequest.get(comment.request_id) ?? []), comment.value]);

          // Each request is whole: its version, events, comments and columns agree.
          for (const row of requests) {
            const list = eventsByRequest.get(row.id) ?? [];
            const label = `request ${row.id} (${row.name})`;
            assert.equal(row.version - 1, list.length, `${label}: version ${row.version} but ${list.length} events`);
            assert.deepEqual(
              [...(commentsByRequest.get(row.id) ?? [])].sort(),
              list.map((event) => sentByCorrelation.get(event.correlationId)!.comment).sort(),
              `${label}: its comments are those of its transitions`,
            );
            const state = replay(list, setup.budgetId, setup.managerId);
            assert.equal(row.status_code, state.status, `${label}: status vs its last event ${list.at(-1)?.eventType}`);
            assert.equal(row.step_position, state.step, `${label}: step`);
            assert.equal(row.approver_id, state.approver, `${label}: approver`);
            assert.equal(toBool(row.closed), state.closed, `${label}: closed`);
            assert.equal(row.submitted_at !== null, state.submitted, `${label}: submitted_at`);
            assert.equal(row.approved_at !== null, state.approved, `${label}: approved_at`);
            assert.equal(toBool(row.ever_sent_back), list.some((e) => e.eventType === 'statusChange.SENTBACK'), `${label}: everSentBack`);
            const last = list.at(-1);
            if (last) assert.equal(Date.parse(last.timeStamp), Number(row.updated_at), `${label}: its last change and its last event are one transaction`);
            for (const event of list) {
              assert.equal(event.facts.userId, row.owner_id);
              assert.equal(event.facts.policyId, row.policy_id);
              assert.equal(event.facts.requestId, row.request_key);
            }
          }
          t.diagnostic(`${requests.length} requests, ${events.length} events, ${[...eventByCorrelation.values()].filter((e) => sentByCorrelation.get(e.correlationId)!.outcome === 'unknown').length} unanswered calls committed`);

          // The restarted server carries on: a request pending with the manager can be approved.
          const pending = requests.find((row) => row.status_code === 'SUBMITTED' && row.step_position === 1);
          if (pending) {
            const answer = await fetch(`${url}/travelrequest/v4/requests/${pending.id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${tokens.manager}` } });
            assert.equal(answer.status, 200, await answer.text());
            const after = await store.db.selectFrom('events').select('event_type').where('request_id', '=', pending.id).orderBy('seq', 'desc').executeTakeFirstOrThrow();
            assert.equal(after.event_type, `statusChange.PENDING.${STEP2.role}`);
          }
        } finally {
          await store.close();
          child.kill('SIGTERM');
          await exited(child);
        }
      } finally {
        await database.drop();
      }
    });
  });
}
