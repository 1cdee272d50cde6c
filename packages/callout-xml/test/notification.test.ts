/**
 * Event Notification: the exact `Notification` bytes (prolog, no namespace, element order), the connector-side
 * parse, and the failed-notification listing in XML (documented namespace, i:nil, both spellings of the two
 * names the spec disagrees on) and JSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildFailedNotificationsJson,
  buildFailedNotificationsXml,
  buildNotification,
  CalloutContractError,
  NOTIFICATION_EVENT_TYPE_PREFIX,
  NOTIFICATION_LIST_NAMESPACE,
  NOTIFICATIONS_API_PATH,
  notificationEventType,
  parseFailedNotificationsJson,
  parseFailedNotificationsXml,
  parseNotification,
} from '../src/index.ts';
import type { FailedNotification } from '../src/index.ts';

const URI = 'https://www.concursolutions.com/api/expense/expensereport/v1.1/reportfulldetails/nUa6Bs8$pNnT3AzHZmGO';

test('the Notification: the spec prolog, no namespace, EventType, ObjectType, ObjectURI, EventDateTime, Context', () => {
  assert.equal(
    buildNotification({ eventType: notificationEventType('SUBMIT'), objectType: 'EXPRPT', objectUri: URI, eventDateTime: '2012-05-01' }),
    '<?xml version="1.0" encoding="UTF-8" ?>' +
      '<Notification>' +
      '<EventType>Report Entered Expense Report Workflow Step - SUBMIT</EventType>' +
      '<ObjectType>EXPRPT</ObjectType>' +
      '<ObjectURI>https://www.concursolutions.com/api/expense/expensereport/v1.1/reportfulldetails/nUa6Bs8$pNnT3AzHZmGO</ObjectURI>' +
      '<EventDateTime>2012-05-01</EventDateTime>' +
      '<Context/>' +
      '</Notification>',
  );
  assert.equal(NOTIFICATION_EVENT_TYPE_PREFIX, 'Report Entered Expense Report Workflow Step - ');
});

test('a Request notification: TRAVELREQ, a Date written as its UTC day, context and URI escaped', () => {
  assert.equal(
    buildNotification({
      eventType: notificationEventType('REPORT SUBMITTED'),
      objectType: 'TRAVELREQ',
      objectUri: 'https://patchbay.example/travelrequest/v4/requests/ABC?a=1&b=2',
      eventDateTime: new Date('2026-03-04T23:59:59Z'),
      context: 'budget <check> & "more"',
    }),
    '<?xml version="1.0" encoding="UTF-8" ?><Notification>' +
      '<EventType>Report Entered Expense Report Workflow Step - REPORT SUBMITTED</EventType>' +
      '<ObjectType>TRAVELREQ</ObjectType>' +
      '<ObjectURI>https://patchbay.example/travelrequest/v4/requests/ABC?a=1&amp;b=2</ObjectURI>' +
      '<EventDateTime>2026-03-04</EventDateTime>' +
      '<Context>budget &lt;check&gt; &amp; &quot;more&quot;</Context>' +
      '</Notification>',
  );
});

test('the Notification builder refuses bad input', () => {
  const base = { eventType: 'E', objectType: 'EXPRPT', objectUri: URI, eventDateTime: '2012-05-01' } as const;
  for (const eventDateTime of ['2012-5-1', '2012-02-30', '2012-05-01T10:00:00', '', new Date(Number.NaN)]) {
    assert.throws(() => buildNotification({ ...base, eventDateTime }), CalloutContractError, String(eventDateTime));
  }
  assert.throws(() => buildNotification({ ...base, objectType: 'INVOICE' as 'EXPRPT' }), /EXPRPT or TRAVELREQ/);
  assert.throws(() => buildNotification({ ...base, objectUri: ' ' }), /objectUri is required/);
  assert.throws(() => buildNotification({ ...base, eventType: '' }), /eventType is required/);
});

test('the connector side parses a Notification, round trip and the spec example as printed', () => {
  const input = { eventType: notificationEventType('SUBMIT'), objectType: 'TRAVELREQ', objectUri: URI, eventDateTime: '2012-05-01', context: 'c & d' } as const;
  assert.deepEqual(parseNotification(buildNotification(input)), { ok: true, notification: input });
  const printed = `<?xml version="1.0" encoding="UTF-8" ?>
<Notification>
    <EventType>Report Entered Expense Report Workflow Step - SUBMIT</EventType>
    <ObjectType>EXPRPT</ObjectType>
    <ObjectURI>${URI}</ObjectURI>
    <EventDateTime>2012-05-01</EventDateTime>
    <Context/>
</Notification>`;
  const parsed = parseNotification(printed);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.notification, { eventType: notificationEventType('SUBMIT'), objectType: 'EXPRPT', objectUri: URI, eventDateTime: '2012-05-01', context: '' });
  // Context may be absent; a date-time is tolerated and kept.
  const lenient = parseNotification('<Notification><EventType>E</EventType><ObjectType>EXPRPT</ObjectType><ObjectURI>u</ObjectURI><EventDateTime>2012-11-14T19:45:25</EventDateTime></Notification>');
  assert.ok(lenient.ok);
  assert.equal(lenient.notification.context, '');
  assert.equal(lenient.notification.eventDateTime, '2012-11-14T19:45:25');
});

test('the connector side refuses notifications that break the contract', () => {
  const good = buildNotification({ eventType: 'E', objectType: 'EXPRPT', objectUri: 'u', eventDateTime: '2012-05-01' });
  const cases: [string, RegExp][] = [
    [good.replace('<EventType>E</EventType>', ''), /<EventType> is missing/],
    [good.replace('<EventType>E</EventType>', '<EventType/>'), /<EventType> is empty/],
    [good.replace('EXPRPT', 'INVOICE'), /EXPRPT or TRAVELREQ, not "INVOICE"/],
    [good.replace('<ObjectURI>u</ObjectURI>', ''), /<ObjectURI> is missing/],
    [good.replace('2012-05-01', 'yesterday'), /not a date/],
    [good.replace('2012-05-01', '2012-13-01'), /not a date/],
    ['<Notifications/>', /root element is <Notifications>/],
  ];
  for (const [xml, reason] of cases) {
    const result = parseNotification(xml);
    assert.equal(result.ok, false, xml);
    if (!result.ok) assert.match(result.reason, reason);
  }
});

const FAILED: FailedNotification[] = [
  {
    context: null,
    eventDateTime: '2012-11-14T19:45:25',
    eventType: notificationEventType('SUBMIT'),
    notificationUri: `https://www.concursolutions.com${NOTIFICATIONS_API_PATH}/nHq8J4$sJ5`,
    objectType: 'EXPRPT',
    objectUri: URI,
  },
  {
    context: 'ctx & more',
    eventDateTime: '2026-01-02T03:04:05',
    eventType: notificationEventType('SUBMIT'),
    notificationUri: `https://patchbay.example${NOTIFICATIONS_API_PATH}/42`,
    objectType: 'TRAVELREQ',
    objectUri: 'https://patchbay.example/travelrequest/v4/requests/A1',
  },
];

test('the failed listing in XML: documented namespace, i:nil, alphabetical (example) element order', () => {
  assert.equal(NOTIFICATION_LIST_NAMESPACE, 'http://www.concursolutions.com/api/notification/2012/06');
  assert.equal(NOTIFICATIONS_API_PATH, '/api/platform/notifications/v1.0/notification');
  assert.equal(
    buildFailedNotificationsXml(FAILED),
    '<?xml version="1.0" encoding="utf-8"?>' +
      '<NotificationList xmlns="http://www.concursolutions.com/api/notification/2012/06" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">' +
      '<Notification><Context i:nil="true"/><EventDateTime>2012-11-14T19:45:25</EventDateTime>' +
      '<EventType>Report Entered Expense Report Workflow Step - SUBMIT</EventType>' +
      '<NotificationURI>https://www.concursolutions.com/api/platform/notifications/v1.0/notification/nHq8J4$sJ5</NotificationURI>' +
      `<ObjectType>EXPRPT</ObjectType><ObjectURI>${URI}</ObjectURI></Notification>` +
      '<Notification><Context>ctx &amp; more</Context><EventDateTime>2026-01-02T03:04:05</EventDateTime>' +
      '<EventType>Report Entered Expense Report Workflow Step - SUBMIT</EventType>' +
      '<NotificationURI>https://patchbay.example/api/platform/notifications/v1.0/notification/42</NotificationURI>' +
      '<ObjectType>TRAVELREQ</ObjectType><ObjectURI>https://patchbay.example/travelrequest/v4/requests/A1</ObjectURI></Notification>' +
      '</NotificationList>',
  );
  assert.equal(
    buildFailedNotificationsXml([]),
    '<?xml version="1.0" encoding="utf-8"?><NotificationList xmlns="http://www.concursolutions.com/api/notification/2012/06" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"/>',
  );
  assert.deepEqual(parseFailedNotificationsXml(buildFailedNotificationsXml(FAILED)), { ok: true, notifications: FAILED });
  assert.deepEqual(parseFailedNotificationsXml(buildFailedNotificationsXml([])), { ok: true, notifications: [] });
  // A Date is written as UTC, without milliseconds or zone.
  assert.match(buildFailedNotificationsXml([{ ...FAILED[0]!, eventDateTime: new Date('2020-02-29T12:00:00.123Z') }]), /<EventDateTime>2020-02-29T12:00:00<\/EventDateTime>/);
  assert.throws(() => buildFailedNotificationsXml([{ ...FAILED[0]!, eventDateTime: '2012-11-14' }]), /YYYY-MM-DDThh:mm:ss/);
  assert.throws(() => buildFailedNotificationsXml([{ ...FAILED[0]!, notificationUri: '' }]), /notificationUri is required/);
});

test("the failed listing in XML: the spec's other spellings (NotificationsList, NotificationURL), with or without the namespace", () => {
  const body = (root: string, uri: string, ns = ''): string =>
    `<${root}${ns}><Notification><Context/><EventDateTime>2012-11-14T19:45:25</EventDateTime><EventType>E</EventType>` +
    `<${uri}>https://x/1</${uri}><ObjectType>EXPRPT</ObjectType><ObjectURI>https://o/1</ObjectURI></Notification></${root}>`;
  for (const xml of [
    body('NotificationList', 'NotificationURI'),
    body('NotificationsList', 'NotificationURI'),
    body('NotificationList', 'NotificationURL', ` xmlns="${NOTIFICATION_LIST_NAMESPACE}"`),
  ]) {
    const result = parseFailedNotificationsXml(xml);
    assert.ok(result.ok, xml);
    assert.deepEqual(result.notifications, [{ context: '', eventDateTime: '2012-11-14T19:45:25', eventType: 'E', notificationUri: 'https://x/1', objectType: 'EXPRPT', objectUri: 'https://o/1' }]);
  }
  const missingUri = parseFailedNotificationsXml(body('NotificationList', 'Other'));
  assert.equal(missingUri.ok, false);
  const noContext = parseFailedNotificationsXml(body('NotificationList', 'NotificationURI').replace('<Context/>', ''));
  assert.ok(noContext.ok);
  assert.equal(noContext.notifications[0]!.context, null);
});

test('the failed listing in JSON: an array keyed like the XML, round trip, validation', () => {
  const json = buildFailedNotificationsJson(FAILED);
  assert.deepEqual(JSON.parse(json)[0], {
    Context: null,
    EventDateTime: '2012-11-14T19:45:25',
    EventType: 'Report Entered Expense Report Workflow Step - SUBMIT',
    NotificationURI: 'https://www.concursolutions.com/api/platform/notifications/v1.0/notification/nHq8J4$sJ5',
    ObjectType: 'EXPRPT',
    ObjectURI: URI,
  });
  assert.deepEqual(Object.keys(JSON.parse(json)[1]), ['Context', 'EventDateTime', 'EventType', 'NotificationURI', 'ObjectType', 'ObjectURI']);
  assert.equal(buildFailedNotificationsJson([]), '[]');
  assert.deepEqual(parseFailedNotificationsJson(json), { ok: true, notifications: FAILED });
  assert.deepEqual(parseFailedNotificationsJson(new TextEncoder().encode(json)), { ok: true, notifications: FAILED });
  const aliased = json.replaceAll('NotificationURI', 'NotificationURL');
  assert.deepEqual(parseFailedNotificationsJson(aliased), { ok: true, notifications: FAILED });
  const cases: [string, RegExp, string][] = [
    ['{"Notification":[]}', /must be a JSON array/, 'invalid'],
    ['[1]', /notification 1 is not an object/, 'invalid'],
    [json.replace('"EXPRPT"', '"OTHER"'), /EXPRPT or TRAVELREQ/, 'invalid'],
    [json.replace('"Context":null', '"Context":5'), /"Context" must be a string or null/, 'invalid'],
    [json.replace('"EventType":"Report', '"EventType":7,"x":"'), /"EventType" must be a non-empty string/, 'invalid'],
    ['[{"a":', /not valid JSON/, 'malformed'],
    ['<html><body>Login</body></html>', /HTML page/, 'html'],
    ['<NotificationList/>', /not JSON/, 'malformed'],
  ];
  for (const [input, reason, code] of cases) {
    const result = parseFailedNotificationsJson(input);
    assert.equal(result.ok, false, input);
    if (!result.ok) {
      assert.equal(result.code, code, input);
      assert.match(result.reason, reason);
    }
  }
  const large = parseFailedNotificationsJson('[]'.padEnd(100, ' '), { maxBytes: 50 });
  assert.equal(large.ok, false);
  if (!large.ok) assert.equal(large.code, 'too-large');
});
