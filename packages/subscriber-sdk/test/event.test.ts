/**
 * `parseEvent`: the seed's samples, the documented variants (subTopic/subtopic, topic with or without
 * `public.`, groups/scopes as string/array/null, booleans as strings or booleans), and what is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventParseError, REQUEST_TOPIC, parseEvent } from '../src/index.ts';
import { SAMPLE_APPROVED, SAMPLE_PENDING, SAMPLE_TMC, sampleWith } from './fixtures.ts';

test("the seed's samples parse: envelope, raw facts kept, flags as booleans, outcome and role from eventType", () => {
  const pending = parseEvent(Buffer.from(SAMPLE_PENDING));
  assert.equal(pending.id, 'c19290aa-6eba-4f22-9736-ffc9ddfa8e7b');
  assert.equal(pending.correlationId, '800832c2-9467-4bb8-9c5b-3977d12975e7');
  assert.equal(pending.eventType, 'statusChange.PENDING.RequestManager');
  assert.equal(pending.topic, REQUEST_TOPIC);
  assert.equal(pending.subTopic, null);
  assert.equal(pending.timeStamp, '2019-01-04T14:06:07.117Z');
  assert.equal(pending.time.toISOString(), '2019-01-04T14:06:07.117Z');
  assert.deepEqual(pending.groups, []);
  assert.deepEqual(pending.scopes, []);
  assert.equal(pending.outcome, 'PENDING');
  assert.equal(pending.pendingRole, 'RequestManager');
  assert.deepEqual(pending.flags, { isClosed: false, isTest: false, isRecall: false, isPaymentCardRelated: true });
  assert.equal(pending.facts.isPaymentCardRelated, 'true', 'the raw facts keep the strings');
  assert.equal(pending.facts.requestId, 'LLU9');
  assert.equal(pending.facts.stepCode, 'PENDMGRA');
  assert.equal(pending.facts.recipientId, '55b671dd-ee55-4817-a228-90f5077ec61c');
  assert.deepEqual(pending.raw, JSON.parse(SAMPLE_PENDING));

  const approved = parseEvent(SAMPLE_APPROVED);
  assert.equal(approved.outcome, 'APPROVED');
  assert.equal(approved.pendingRole, null);
  assert.equal(approved.facts.role, '');
  assert.equal(approved.facts.recipientId, undefined);
  assert.equal(approved.flags.isPaymentCardRelated, false);

  const tmc = parseEvent(SAMPLE_TMC);
  assert.equal(tmc.pendingRole, 'TMC');
  assert.equal(tmc.facts.currentApprovalStatus, '002003');
});

test('subTopic and subtopic are both read', () => {
  assert.equal(parseEvent(sampleWith({ subtopic: undefined, subTopic: 'user-1' })).subTopic, 'user-1');
  assert.equal(parseEvent(sampleWith({ subtopic: 'user-2' })).subTopic, 'user-2');
  assert.equal(parseEvent(sampleWith({ subtopic: null, subTopic: 'user-3' })).subTopic, 'user-3');
  assert.equal(parseEvent(sampleWith({ subtopic: undefined })).subTopic, null);
  assert.throws(() => parseEvent(sampleWith({ subTopic: 7 })), EventParseError);
});

test('the topic with or without "public." is public.concur.request; other topics are refused', () => {
  assert.equal(parseEvent(sampleWith({ topic: 'concur.request' })).topic, 'public.concur.request');
  assert.equal(parseEvent(sampleWith({ topic: 'public.concur.request' })).topic, 'public.concur.request');
  assert.equal(parseEvent(sampleWith({ topic: 'concur.request' })).raw.topic, 'concur.request', 'raw keeps what was sent');
  assert.throws(() => parseEvent(sampleWith({ topic: 'public.concur.expense.report' })), /not public\.concur\.request/);
  assert.throws(() => parseEvent(sampleWith({ topic: undefined })), EventParseError);
});

test('groups and scopes: a string, an array, null or absent all become string arrays', () => {
  const agency = 'DD27B922F8A54F2A9E1C0F5A3B7D6E41';
  const cases: Array<[unknown, string[]]> = [
    [agency, [agency]],
    [[agency], [agency]],
    [[agency, 'OTHER'], [agency, 'OTHER']],
    [[], []],
    [null, []],
    [undefined, []],
    ['', []],
  ];
  for (const [value, expected] of cases) {
    assert.deepEqual(parseEvent(sampleWith({ groups: value })).groups, expected, `groups ${JSON.stringify(value)}`);
  }
  assert.deepEqual(parseEvent(sampleWith({ scopes: 'travelrequest.write' })).scopes, ['travelrequest.write']);
  assert.deepEqual(parseEvent(sampleWith({ scopes: ['travelrequest.write'] })).scopes, ['travelrequest.write']);
  assert.deepEqual(parseEvent(sampleWith({ scopes: null })).scopes, []);
  assert.throws(() => parseEvent(sampleWith({ groups: [1] })), /groups/);
  assert.throws(() => parseEvent(sampleWith({ scopes: { a: 1 } })), /scopes/);
});

test('boolean facts: "true"/"false" strings (any case) or booleans; absent or null is false; the raw facts are kept', () => {
  const event = parseEvent(sampleWith({}, { isClosed: true, isTest: 'TRUE', isRecall: false, isPaymentCardRelated: 'False' }));
  assert.deepEqual(event.flags, { isClosed: true, isTest: true, isRecall: false, isPaymentCardRelated: false });
  assert.equal(event.facts.isClosed, true);
  assert.equal(event.facts.isTest, 'TRUE');
  // Older events lack isRecall and isPaymentCardRelated (added later); each is true "only if".
  const older = parseEvent(sampleWith({}, { isRecall: undefined, isPaymentCardRelated: null }));
  assert.equal(older.flags.isRecall, false);
  assert.equal(older.flags.isPaymentCardRelated, false);
  for (const bad of ['yes', 1, 0, '', {}]) assert.throws(() => parseEvent(sampleWith({}, { isClosed: bad })), /facts\.isClosed/, JSON.stringify(bad));
});

test('stepCode may be null; unknown facts (older and newer shapes) are kept', () => {
  const event = parseEvent(sampleWith({}, { stepCode: null, workflowStepCode: 'Q_EXTV', startingStep: { roleCode: 'REQ_MANAGER', stepInstances: [] } }));
  assert.equal(event.facts.stepCode, null);
  assert.equal(event.facts.workflowStepCode, 'Q_EXTV');
  assert.deepEqual(event.facts.startingStep, { roleCode: 'REQ_MANAGER', stepInstances: [] });
  assert.equal(parseEvent(sampleWith({}, { actingUserId: undefined, recipientId: undefined })).facts.actingUserId, undefined);
});

test('custom roles: statusChange.PENDING.<role> names the role; the bare statusChange type is accepted', () => {
  assert.equal(parseEvent(sampleWith({ eventType: 'statusChange.PENDING.TravelDesk' })).pendingRole, 'TravelDesk');
  const bare = parseEvent(sampleWith({ eventType: 'statusChange' }));
  assert.equal(bare.outcome, '');
  assert.equal(bare.pendingRole, null);
  assert.equal(parseEvent(sampleWith({ eventType: 'statusChange.SENTBACK' })).outcome, 'SENTBACK');
});

test('an already parsed object is accepted as well as bytes and text', () => {
  const object = JSON.parse(SAMPLE_APPROVED) as Record<string, unknown>;
  assert.equal(parseEvent(object).id, '87087aa8-6729-4d8a-804c-85294ab038fc');
});

test('what is not a Request statusChange event is refused with EventParseError, naming the problem', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['', /not JSON/],
    ['{', /not JSON/],
    ['[]', /JSON object/],
    ['null', /JSON object/],
    ['"text"', /JSON object/],
    [Buffer.from([0xff, 0xfe, 0x00]), /not JSON/],
    [sampleWith({ id: undefined }), /event\.id/],
    [sampleWith({ id: '' }), /event\.id/],
    [sampleWith({ id: 5 }), /event\.id/],
    [sampleWith({ eventType: 'reportCreated' }), /not a Request statusChange/],
    [sampleWith({ eventType: 'statusChanged' }), /not a Request statusChange/],
    [sampleWith({ timeStamp: 'yesterday' }), /timeStamp/],
    [sampleWith({ timeStamp: undefined }), /timeStamp/],
    [sampleWith({ correlationId: 12 }), /correlationId/],
    [sampleWith({ facts: undefined }), /facts must be an object/],
    [sampleWith({ facts: [] }), /facts must be an object/],
    [sampleWith({ facts: 'x' }), /facts must be an object/],
    [sampleWith({}, { id: undefined }), /facts\.id/],
    [sampleWith({}, { companyId: null }), /facts\.companyId/],
    [sampleWith({}, { status: 3 }), /facts\.status/],
    [sampleWith({}, { href: undefined }), /facts\.href/],
    [sampleWith({}, { role: 1 }), /facts\.role/],
    [sampleWith({}, { stepCode: 5 }), /facts\.stepCode/],
    [sampleWith({}, { actingUserId: null }), /facts\.actingUserId/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseEvent(input as string), (error: unknown) => error instanceof EventParseError && message.test(error.message), String(JSON.stringify(input)).slice(0, 80));
  }
  assert.throws(() => parseEvent(42 as unknown as string), EventParseError);
});
