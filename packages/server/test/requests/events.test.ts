/**
 * The seed's `statusChange` events, table-driven over every row of its status table and every publish
 * rule, on SQLite and PostgreSQL: each workflow role entered on submit and on approval with the notify
 * flag on and off, the legacy External Validation step (and who may answer it), send-back, recall,
 * cancel, close, reopen and approve. Every event the outbox holds is checked field by field against the
 * seed's schema (`event-assertions.ts`), including the omitted facts and the string booleans, and every
 * Request v4 answer against Concur's swagger.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../support/server.ts';
import { storeSuites } from '../support/stores.ts';
import { ADMIN_GROUP, EXTERNAL_WORKFLOW_WRITE, REQUEST_WRITE, TMC_GROUP, createRequestFixture, type CallOptions, type People, type Person, type RequestApi, type RequestFixture, type StoredEvent } from '../support/request-fixtures.ts';
import type { StepInput } from '../../src/requests/workflow-admin.ts';
import { assertEvent, type ExpectedEvent, type PendingOutcome } from './event-assertions.ts';
import { assertConcurError, assertSwagger } from './swagger.ts';

/** One row of the seed's status table, with the workflow step that produces it. */
interface StatusRow {
  roleCode: string;
  customRole?: string;
  statusKey?: string;
  approverType: 'MANAGER' | 'USER' | 'GROUP';
  group?: string;
  /** Who may act at the step (for USER steps, the named approver). */
  approver: keyof People;
  /** A second member who may act (GROUP steps). */
  otherApprover?: keyof People;
  /** Whether the event names a recipient (a single person pending). */
  hasRecipient: boolean;
  outcome: PendingOutcome;
  /** The approval status name the API shows at the step, where the sources give it. */
  stepName?: string;
}

const pending = (role: string, status: string, currentApprovalStatus: string): PendingOutcome => ({ kind: 'PENDING', role, status, currentApprovalStatus });

/** The seed's status table (the External Validation row has its own tests below). */
const STATUS_TABLE: StatusRow[] = [
  {
    roleCode: 'REQ_PROCESSOR1',
    statusKey: '002003',
    approverType: 'GROUP',
    group: TMC_GROUP,
    approver: 'tmcAgent1',
    otherApprover: 'tmcAgent2',
    hasRecipient: false,
    outcome: pending('TMC', 'PendingTMCApproval', '002003'),
    stepName: 'Pending Travel Agency Update',
  },
  { roleCode: 'REQ_MANAGER', approverType: 'MANAGER', approver: 'manager', hasRecipient: true, outcome: pending('RequestManager', 'PendingRequestManagerApproval', 'Q_PEND') },
  { roleCode: 'REQ_PROCESSOR3', approverType: 'USER', approver: 'auditor', hasRecipient: true, outcome: pending('RequestAuditor', 'PendingRequestAuditorApproval', 'Q_PEND') },
  { roleCode: 'CO_APPROVE', approverType: 'USER', approver: 'costObjectApprover', hasRecipient: true, outcome: pending('CostObjectApprover', 'PendingCostObjectApproverApproval', 'Q_PECO') },
  { roleCode: 'AUTH_APPROVE', approverType: 'USER', approver: 'authorizedApprover', hasRecipient: true, outcome: pending('AuthorizedApprover', 'PendingAuthorizedApproverApproval', 'Q_PEND') },
  { roleCode: 'BDGT_APPROVE', approverType: 'USER', approver: 'budgetManager', hasRecipient: true, outcome: pending('BudgetManager', 'PendingBudgetManagerApproval', 'Q_PBDG') },
  { roleCode: 'RISK_PROCESSOR', approverType: 'USER', approver: 'riskManager', hasRecipient: true, outcome: pending('RiskManager', 'PendingRiskManagerApproval', 'Q_PEND') },
  {
    roleCode: 'REQ_PROCESSOR_2',
    approverType: 'GROUP',
    group: ADMIN_GROUP,
    approver: 'requestAdministrator',
    hasRecipient: false,
    outcome: pending('RequestAdministrator', 'PendingRequestAdministratorApproval', 'Q_PEND'),
  },
  {
    roleCode: 'CUSTOM',
    customRole: 'TravelDesk',
    statusKey: '004711',
    approverType: 'USER',
    approver: 'customApprover',
    hasRecipient: true,
    // The seed: `statusChange.PENDING.<role>` with a numeric key; the status string of custom steps is undocumented.
    outcome: pending('TravelDesk', 'PendingTravelDeskApproval', '004711'),
  },
];

const EXTERNAL_VALIDATION = pending('ExternalValidation', 'PendingExternalValidation', 'Q_EXTV');
const MANAGER_ROW = STATUS_TABLE[1]!;

for (const { kind, skip } of await storeSuites()) {
  describe(`Request statusChange events [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let fx: RequestFixture;
    /** Company token with both Request scopes (reads every request: used to resolve hrefs). */
    let company: RequestApi;

    before(async () => {
      server = await startTestServer({ database: await kind.create() });
      fx = await createRequestFixture(server, { onAnswer: assertSwagger });
      company = await fx.companyApi();
    });
    after(async () => server?.close());

    const stepFor = (row: StatusRow, notify: boolean, stepCode: string | null): StepInput => ({
      roleCode: row.roleCode,
      customRole: row.customRole ?? null,
      statusKey: row.statusKey ?? null,
      approverType: row.approverType,
      approverUserId: row.approverType === 'USER' ? fx.people[row.approver].id : null,
      approverGroup: row.group ?? null,
      notify,
      stepCode,
    });
    const managerStep = (notify: boolean, stepCode: string | null = null): StepInput => ({ roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify, stepCode });
    const externalStep = (notify = false, stepCode: string | null = null): StepInput => ({ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId: fx.connectorId, notify, stepCode });
    const recipientOf = (row: StatusRow): string | undefined => (row.hasRecipient ? fx.people[row.approver].id : undefined);

    /** Creates a request as `owner` on `policyId`, with the travel agency office unless `agency` is false. */
    async function draft(owner: Person, policyId: string, agency = true): Promise<any> {
      return fx.newRequest(owner, { policy: { id: policyId }, ...(agency ? { travelAgency: { id: fx.agency.id } } : {}) });
    }

    /** Takes `action` as `api`; asserts 200 and exactly `count` new events, all about the request. */
    async function act(api: RequestApi, requestId: string, action: string, count: number, options?: CallOptions): Promise<{ body: any; events: StoredEvent[]; window: { from: number; to: number } }> {
      const since = await fx.lastSeq();
      const from = Date.now();
      const answer = await api.action(requestId, action, options);
      const to = Date.now();
      assert.equal(answer.status, 200, `${action}: ${answer.text}`);
      assert.equal(answer.body.id, requestId);
      const events = await fx.eventsAfter(since);
      assert.equal(events.length, count, `${action} should publish ${count} event(s), published ${JSON.stringify(events.map((e) => e.payload))}`);
      for (const event of events) assert.equal(event.requestId, requestId);
      return { body: answer.body, events, window: { from, to } };
    }

    const check = (stored: StoredEvent, request: any, expected: ExpectedEvent, window?: { from: number; to: number }) =>
      assertEvent(fx, stored, request, { agencyId: request.travelAgency?.id ?? null, ...expected }, company, window);

    describe('every row of the status table', () => {
      for (const row of STATUS_TABLE) {
        const label = `${row.roleCode}${row.customRole ? ` (${row.customRole})` : ''}`;
        const code = `${row.roleCode.replaceAll('_', '').slice(0, 12)}N`;

        test(`${label}: submit into a notifying step publishes ${row.outcome.role} with the admin's Step Code; approval publishes APPROVED`, async () => {
          const { policyId } = await fx.policy([stepFor(row, true, code)], { approvedStepCode: 'REQAPPR' });
          const owner = await fx.userApi(fx.people.traveler);
          const request = await draft(fx.people.traveler, policyId);

          const submitted = await act(owner, request.id, 'submit', 1);
          await check(submitted.events[0]!, request, { outcome: row.outcome, stepCode: code, recipientId: recipientOf(row) }, submitted.window);
          assert.equal(submitted.body.approvalStatus.code, 'SUBMITTED');
          assert.equal(submitted.body.pendingApproval, true);
          if (row.stepName) assert.equal(submitted.body.approvalStatus.name, row.stepName);
          if (row.hasRecipient) assert.equal(submitted.body.approver?.id, fx.people[row.approver].id);
          else assert.equal(submitted.body.approver, undefined, 'nobody in particular is the approver of a group step');

          const approver = fx.people[row.otherApprover ?? row.approver];
          const approved = await act(await fx.userApi(approver), request.id, 'approve', 1);
          await check(approved.events[0]!, request, { outcome: { kind: 'APPROVED' }, stepCode: 'REQAPPR', actingUserId: approver.id }, approved.window);
          assert.equal(approved.body.approvalStatus.code, 'APPROVED');
          assert.equal(approved.body.approved, true);
        });

        test(`${label}: submit into a step not configured for notifications still publishes, with stepCode null`, async () => {
          const { policyId } = await fx.policy([stepFor(row, false, 'IGNORED')]);
          const request = await draft(fx.people.traveler, policyId);
          const submitted = await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
          await check(submitted.events[0]!, request, { outcome: row.outcome, stepCode: null, recipientId: recipientOf(row) }, submitted.window);
        });

        test(`${label}: approval into a notifying step publishes it with the Step Code and the approver as actingUserId`, async () => {
          const { policyId } = await fx.policy([managerStep(false), stepFor(row, true, code)]);
          const request = await draft(fx.people.traveler, policyId);
          const submitted = await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
          await check(submitted.events[0]!, request, { outcome: MANAGER_ROW.outcome, stepCode: null, recipientId: fx.people.manager.id });

          const entered = await act(await fx.userApi(fx.people.manager), request.id, 'approve', 1);
          await check(entered.events[0]!, request, { outcome: row.outcome, stepCode: code, actingUserId: fx.people.manager.id, recipientId: recipientOf(row) }, entered.window);
          assert.equal(entered.body.approvalStatus.code, 'SUBMITTED');
        });

        test(`${label}: approval into a step not configured for notifications publishes nothing, and the request waits there`, async () => {
          const { policyId } = await fx.policy([managerStep(false), stepFor(row, false, code)]);
          const request = await draft(fx.people.traveler, policyId);
          await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
          await act(await fx.userApi(fx.people.manager), request.id, 'approve', 0);

          const waiting = await company.get(request.id);
          assert.equal(waiting.status, 200);
          assert.equal(waiting.body.approvalStatus.code, 'SUBMITTED');
          if (row.stepName) assert.equal(waiting.body.approvalStatus.name, row.stepName);
          if (row.hasRecipient) assert.equal(waiting.body.approver?.id, fx.people[row.approver].id);

          const approver = fx.people[row.approver];
          const approved = await act(await fx.userApi(approver), request.id, 'approve', 1);
          await check(approved.events[0]!, request, { outcome: { kind: 'APPROVED' }, stepCode: 'REQAPPR', actingUserId: approver.id });
        });
      }

      test("Concur's other spellings REQ_PROCESSOR2 and CO_APPROVER name the same roles", async () => {
        const { policyId } = await fx.policy([
          { roleCode: 'REQ_PROCESSOR2', approverType: 'GROUP', approverGroup: ADMIN_GROUP, notify: true, stepCode: 'ADMIN' },
          { roleCode: 'CO_APPROVER', approverType: 'USER', approverUserId: fx.people.costObjectApprover.id, notify: true, stepCode: 'COA' },
        ]);
        const request = await draft(fx.people.traveler, policyId);
        const submitted = await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        await check(submitted.events[0]!, request, { outcome: STATUS_TABLE[7]!.outcome, stepCode: 'ADMIN' });
        const entered = await act(await fx.userApi(fx.people.requestAdministrator), request.id, 'approve', 1);
        await check(entered.events[0]!, request, { outcome: STATUS_TABLE[3]!.outcome, stepCode: 'COA', actingUserId: fx.people.requestAdministrator.id, recipientId: fx.people.costObjectApprover.id });
      });

      test('a workflow walking every role publishes one event per notifying step, in order, and none for silent ones', async () => {
        const steps = STATUS_TABLE.map((row, index) => stepFor(row, index % 2 === 0, `STEP${index}`));
        const { policyId } = await fx.policy(steps, { approvedStepCode: 'ALLDONE' });
        const request = await draft(fx.people.traveler, policyId);
        const submitted = await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        await check(submitted.events[0]!, request, { outcome: STATUS_TABLE[0]!.outcome, stepCode: 'STEP0', recipientId: recipientOf(STATUS_TABLE[0]!) });
        for (const [index, row] of STATUS_TABLE.entries()) {
          const next = STATUS_TABLE[index + 1];
          const actor = fx.people[row.approver];
          const notifies = next !== undefined && (index + 1) % 2 === 0;
          const acted = await act(await fx.userApi(actor), request.id, 'approve', next === undefined || notifies ? 1 : 0);
          if (next === undefined) await check(acted.events[0]!, request, { outcome: { kind: 'APPROVED' }, stepCode: 'ALLDONE', actingUserId: actor.id });
          else if (notifies) await check(acted.events[0]!, request, { outcome: next.outcome, stepCode: `STEP${index + 1}`, actingUserId: actor.id, recipientId: recipientOf(next) });
        }
      });
    });

    describe('always-published transitions', () => {
      test('submit with the first step silent publishes with stepCode null; a workflow without steps approves at once', async () => {
        const { policyId } = await fx.policy([], { approvedStepCode: 'AUTOAPPR' });
        const request = await draft(fx.people.traveler, policyId);
        const submitted = await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        await check(submitted.events[0]!, request, { outcome: { kind: 'APPROVED' }, stepCode: 'AUTOAPPR' });
        assert.equal(submitted.body.approvalStatus.code, 'APPROVED');
      });

      test('approval of the last step without an approved Step Code publishes APPROVED with stepCode null', async () => {
        const { policyId } = await fx.policy([managerStep(true, 'PENDMGRA')], { approvedStepCode: null });
        const request = await draft(fx.people.traveler, policyId);
        await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        const approved = await act(await fx.userApi(fx.people.manager), request.id, 'approve', 1);
        await check(approved.events[0]!, request, { outcome: { kind: 'APPROVED' }, stepCode: null, actingUserId: fx.people.manager.id });
      });

      test('send-back by the approver: SENTBACK, stepCode SENDBACK, isRecall "false", actingUserId the approver; resubmit publishes again', async () => {
        const request = await draft(fx.people.traveler, fx.defaultPolicy.policyId);
        const owner = await fx.userApi(fx.people.traveler);
        const submitted = await act(owner, request.id, 'submit', 1);
        await check(submitted.events[0]!, request, { outcome: MANAGER_ROW.outcome, stepCode: 'PENDMGRA', recipientId: fx.people.manager.id });

        const sentBack = await act(await fx.userApi(fx.people.manager), request.id, 'sendback', 1, { body: { comment: 'Please add the hotel' } });
        await check(sentBack.events[0]!, request, { outcome: { kind: 'SENTBACK' }, stepCode: 'SENDBACK', isRecall: false, actingUserId: fx.people.manager.id }, sentBack.window);
        assert.equal(sentBack.body.approvalStatus.code, 'SENTBACK');
        assert.equal(sentBack.body.everSentBack, true);
        const comments = await owner.comments(request.id);
        assert.equal(comments.status, 200);
        assert.deepEqual(
          comments.body.map((c: any) => [c.value, c.author.id]),
          [['Please add the hotel', fx.people.manager.id]],
        );

        const resubmitted = await act(owner, request.id, 'submit', 1);
        await check(resubmitted.events[0]!, request, { outcome: MANAGER_ROW.outcome, stepCode: 'PENDMGRA', recipientId: fx.people.manager.id });
      });

      test('send-back at a group step by one of its members names that member as actingUserId', async () => {
        const { policyId } = await fx.policy([stepFor(STATUS_TABLE[0]!, false, null)]);
        const request = await draft(fx.people.traveler, policyId);
        await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        const sentBack = await act(await fx.userApi(fx.people.tmcAgent2), request.id, 'sendback', 1);
        await check(sentBack.events[0]!, request, { outcome: { kind: 'SENTBACK' }, stepCode: 'SENDBACK', actingUserId: fx.people.tmcAgent2.id });
      });

      test('recall by the traveler: SENTBACK, stepCode SENDBACK, isRecall "true", no actingUserId', async () => {
        const request = await draft(fx.people.traveler, fx.defaultPolicy.policyId);
        const owner = await fx.userApi(fx.people.traveler);
        await act(owner, request.id, 'submit', 1);
        const recalled = await act(owner, request.id, 'recall', 1);
        await check(recalled.events[0]!, request, { outcome: { kind: 'SENTBACK' }, stepCode: 'SENDBACK', isRecall: true }, recalled.window);
        assert.equal(recalled.body.approvalStatus.code, 'SENTBACK');
      });

      test('recall through a company token acting as the traveler (userId) also leaves actingUserId out', async () => {
        const request = await draft(fx.people.traveler, fx.defaultPolicy.policyId);
        await act(company, request.id, 'submit', 1, { query: { userId: fx.people.traveler.id } });
        const recalled = await act(company, request.id, 'recall', 1, { query: { userId: fx.people.traveler.id } });
        await check(recalled.events[0]!, request, { outcome: { kind: 'SENTBACK' }, stepCode: 'SENDBACK', isRecall: true });
      });

      test('an approver acting through a company token with userId is the actingUserId', async () => {
        const request = await draft(fx.people.traveler, fx.defaultPolicy.policyId);
        await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        const approved = await act(company, request.id, 'approve', 1, { query: { userId: fx.people.manager.id } });
        await check(approved.events[0]!, request, { outcome: { kind: 'APPROVED' }, stepCode: 'REQAPPR', actingUserId: fx.people.manager.id });
      });

      test('cancel of a pending request publishes CANCELED', async () => {
        const request = await draft(fx.people.traveler, fx.defaultPolicy.policyId);
        const owner = await fx.userApi(fx.people.traveler);
        await act(owner, request.id, 'submit', 1);
        const canceled = await act(owner, request.id, 'cancel', 1);
        await check(canceled.events[0]!, request, { outcome: { kind: 'CANCELED' }, stepCode: null }, canceled.window);
        assert.equal(canceled.body.approvalStatus.code, 'CANCELED');
        assert.equal(canceled.body.canceledPostApproval, false);
      });

      test('cancel after approval publishes CANCELED and marks canceledPostApproval', async () => {
        const request = await draft(fx.people.traveler, fx.defaultPolicy.policyId);
        const owner = await fx.userApi(fx.people.traveler);
        await act(owner, request.id, 'submit', 1);
        await act(await fx.userApi(fx.people.manager), request.id, 'approve', 1);
        const canceled = await act(owner, request.id, 'cancel', 1);
        await check(canceled.events[0]!, request, { outcome: { kind: 'CANCELED' }, stepCode: null });
        assert.equal(canceled.body.canceledPostApproval, true);
      });

      test('close and reopen an approved request: APPROVED with isClosed "true", then "false"', async () => {
        const request = await draft(fx.people.traveler, fx.defaultPolicy.policyId);
        const owner = await fx.userApi(fx.people.traveler);
        await act(owner, request.id, 'submit', 1);
        await act(await fx.userApi(fx.people.manager), request.id, 'approve', 1);
        const closed = await act(owner, request.id, 'close', 1);
        await check(closed.events[0]!, request, { outcome: { kind: 'APPROVED' }, stepCode: 'REQAPPR', isClosed: true }, closed.window);
        assert.equal(closed.body.closed, true);
        const reopened = await act(owner, request.id, 'reopen', 1);
        await check(reopened.events[0]!, request, { outcome: { kind: 'APPROVED' }, stepCode: 'REQAPPR', isClosed: false }, reopened.window);
        assert.equal(reopened.body.closed, false);
      });

      test('close and reopen a canceled request: CANCELED with isClosed "true", then "false"', async () => {
        const request = await draft(fx.people.traveler, fx.defaultPolicy.policyId);
        const owner = await fx.userApi(fx.people.traveler);
        await act(owner, request.id, 'cancel', 1);
        const closed = await act(owner, request.id, 'close', 1);
        await check(closed.events[0]!, request, { outcome: { kind: 'CANCELED' }, stepCode: null, isClosed: true });
        const reopened = await act(owner, request.id, 'reopen', 1);
        await check(reopened.events[0]!, request, { outcome: { kind: 'CANCELED' }, stepCode: null, isClosed: false });
      });
    });

    describe('the legacy External Validation step', () => {
      test('submit stopping at External Validation publishes it (EXTVAL, Q_EXTV) although the step does not notify', async () => {
        const { policyId } = await fx.policy([externalStep(false)]);
        const request = await draft(fx.people.traveler, policyId);
        const submitted = await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        await check(submitted.events[0]!, request, { outcome: EXTERNAL_VALIDATION, stepCode: 'EXTVAL' }, submitted.window);
        assert.equal(submitted.body.approvalStatus.code, 'SUBMITTED');
      });

      test("the step code is EXTVAL even when the admin gave the step a notify flag and a code", async () => {
        const { policyId } = await fx.policy([externalStep(true, 'MYCODE')]);
        const request = await draft(fx.people.traveler, policyId);
        const submitted = await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        await check(submitted.events[0]!, request, { outcome: EXTERNAL_VALIDATION, stepCode: 'EXTVAL' });
      });

      test('approval into External Validation publishes it, with the approver as actingUserId', async () => {
        const { policyId } = await fx.policy([managerStep(false), externalStep(false)]);
        const request = await draft(fx.people.traveler, policyId);
        await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        const entered = await act(await fx.userApi(fx.people.manager), request.id, 'approve', 1);
        await check(entered.events[0]!, request, { outcome: EXTERNAL_VALIDATION, stepCode: 'EXTVAL', actingUserId: fx.people.manager.id });
      });

      test('only a company token with travelrequest.externalsystemworkflow.write and no userId answers it; users get 403, with no event', async () => {
        const { policyId } = await fx.policy([externalStep(false), managerStep(true, 'AFTEREXT')]);
        const request = await draft(fx.people.traveler, policyId);
        await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        const before = await fx.snapshot();

        for (const who of [fx.people.manager, fx.people.traveler, fx.people.outsider]) {
          for (const action of ['approve', 'sendback']) {
            assertConcurError(await (await fx.userApi(who)).action(request.id, action), 403, 'permissionDenied');
          }
        }
        // A user token holding the external-system scope is still a user.
        assertConcurError(await (await fx.userApi(fx.people.manager, [REQUEST_WRITE, EXTERNAL_WORKFLOW_WRITE])).action(request.id, 'approve'), 403, 'permissionDenied');
        // A company token acting as a user is that user.
        assertConcurError(await company.action(request.id, 'approve', { query: { userId: fx.people.manager.id } }), 403, 'permissionDenied');
        // A company token without the external-system scope must name a user.
        const writeOnly = await fx.companyApi([REQUEST_WRITE]);
        assertConcurError(await writeOnly.action(request.id, 'approve'), 400, 'missingRequiredParam');
        assert.deepEqual(await fx.snapshot(), before, 'refused answers change nothing and publish nothing');

        const external = await fx.companyApi([EXTERNAL_WORKFLOW_WRITE]);
        const approved = await act(external, request.id, 'approve', 1);
        // The request moves on to the manager step, which notifies; the external system is no user.
        await check(approved.events[0]!, request, { outcome: MANAGER_ROW.outcome, stepCode: 'AFTEREXT', recipientId: fx.people.manager.id });
      });

      test('the external system approving the last step publishes APPROVED without actingUserId', async () => {
        const { policyId } = await fx.policy([externalStep(false)]);
        const request = await draft(fx.people.traveler, policyId);
        await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        const approved = await act(company, request.id, 'approve', 1);
        await check(approved.events[0]!, request, { outcome: { kind: 'APPROVED' }, stepCode: 'REQAPPR' });
        assert.equal(approved.body.approvalStatus.code, 'APPROVED');
      });

      test('the external system sending back publishes SENTBACK with SENDBACK, isRecall "false", no actingUserId', async () => {
        const { policyId } = await fx.policy([externalStep(false)]);
        const request = await draft(fx.people.traveler, policyId);
        await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        const external = await fx.companyApi([EXTERNAL_WORKFLOW_WRITE]);
        const sentBack = await act(external, request.id, 'sendback', 1, { body: { comment: 'Budget exceeded' } });
        await check(sentBack.events[0]!, request, { outcome: { kind: 'SENTBACK' }, stepCode: 'SENDBACK', isRecall: false });
        assert.equal(sentBack.body.approvalStatus.code, 'SENTBACK');
      });

      test('the external system reads the request its event points at, but may not act at an ordinary step', async () => {
        const request = await draft(fx.people.traveler, fx.defaultPolicy.policyId);
        await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1);
        const external = await fx.companyApi([EXTERNAL_WORKFLOW_WRITE]);
        const read = await external.get(request.id);
        assert.equal(read.status, 200);
        assert.equal(read.body.id, request.id);
        const since = await fx.lastSeq();
        assertConcurError(await external.action(request.id, 'approve'), 403, 'permissionDenied');
        assertConcurError(await company.action(request.id, 'approve'), 403, 'permissionDenied');
        assert.deepEqual(await fx.eventsAfter(since), []);
        // Creating requests is not part of the external-system scope.
        assertConcurError(await external.create({ name: 'Not allowed' }, { userId: fx.people.traveler.id }), 403, 'permissionDenied');
      });
    });

    describe('facts taken from the request, its owner and the call', () => {
      test('isTest is "true" for a test user and "false" otherwise', async () => {
        for (const [who, isTest] of [
          [fx.people.tester, true],
          [fx.people.traveler, false],
        ] as const) {
          const request = await draft(who, fx.defaultPolicy.policyId);
          const submitted = await act(await fx.userApi(who), request.id, 'submit', 1);
          await check(submitted.events[0]!, request, { outcome: MANAGER_ROW.outcome, stepCode: 'PENDMGRA', recipientId: fx.people.manager.id, isTest });
          const approved = await act(await fx.userApi(fx.people.manager), request.id, 'approve', 1);
          await check(approved.events[0]!, request, { outcome: { kind: 'APPROVED' }, stepCode: 'REQAPPR', actingUserId: fx.people.manager.id, isTest });
        }
      });

      test('isPaymentCardRelated is "true" once an expected expense is card related, "false" otherwise', async () => {
        const owner = await fx.userApi(fx.people.traveler);
        for (const flags of [[true], [false], [false, true], []]) {
          const request = await draft(fx.people.traveler, fx.defaultPolicy.policyId);
          for (const isPaymentCardRelated of flags) {
            // No amounts here: request-api.test.ts covers the totals the Request shows for priced expenses.
            const added = await owner.addExpense(request.id, { expenseType: { id: 'AIRFR' }, transactionDate: '2030-05-01', isPaymentCardRelated });
            assert.equal(added.status, 201, added.text);
            assert.equal(added.body.isPaymentCardRelated, isPaymentCardRelated);
          }
          const expected = flags.includes(true);
          const submitted = await act(owner, request.id, 'submit', 1);
          await check(submitted.events[0]!, request, { outcome: MANAGER_ROW.outcome, stepCode: 'PENDMGRA', recipientId: fx.people.manager.id, isPaymentCardRelated: expected });
          const sentBack = await act(await fx.userApi(fx.people.manager), request.id, 'sendback', 1);
          await check(sentBack.events[0]!, request, { outcome: { kind: 'SENTBACK' }, stepCode: 'SENDBACK', actingUserId: fx.people.manager.id, isPaymentCardRelated: expected });
        }
      });

      test('groups holds the travel agency office of the request, and is empty without one', async () => {
        const withAgency = await draft(fx.people.traveler, fx.defaultPolicy.policyId, true);
        const withoutAgency = await draft(fx.people.traveler, fx.defaultPolicy.policyId, false);
        const owner = await fx.userApi(fx.people.traveler);
        const a = await act(owner, withAgency.id, 'submit', 1);
        assert.deepEqual(a.events[0]!.payload.groups, [fx.agency.id]);
        const b = await act(owner, withoutAgency.id, 'submit', 1);
        await check(b.events[0]!, withoutAgency, { outcome: MANAGER_ROW.outcome, stepCode: 'PENDMGRA', recipientId: fx.people.manager.id, agencyId: null });
      });

      test("the action's concur-correlationid becomes the event's correlationId", async () => {
        const request = await draft(fx.people.traveler, fx.defaultPolicy.policyId);
        const correlationId = randomUUID().toUpperCase();
        const submitted = await act(await fx.userApi(fx.people.traveler), request.id, 'submit', 1, { headers: { 'concur-correlationid': correlationId } });
        await check(submitted.events[0]!, request, { outcome: MANAGER_ROW.outcome, stepCode: 'PENDMGRA', recipientId: fx.people.manager.id, correlationId });
      });

      test('every event of the outbox has a distinct id, and each request key is unique in the company', async () => {
        const all = await fx.events();
        assert.ok(all.length > 50);
        assert.equal(new Set(all.map((e) => e.payload.id)).size, all.length);
        const keys = new Map<string, string>();
        for (const event of all) {
          const { id, requestId } = event.payload.facts as Record<string, string>;
          assert.equal(keys.get(requestId!) ?? id, id, `requestId ${requestId} names two requests`);
          keys.set(requestId!, id!);
        }
      });
    });
  });
}
