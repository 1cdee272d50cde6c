/**
 * The Event Notification rules that need no server: the retry schedule, what counts as delivered, the
 * role rule of the failed-notification API, and the choice between its XML and JSON answers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeNotification, notificationBackoffMs } from '../../src/callouts/notification-worker.ts';
import { notificationApiAllowed, preferredFormat } from '../../src/callouts/notification-routes.ts';
import { notificationBody } from '../../src/callouts/notifications.ts';

describe('notification retry schedule', () => {
  test('doubles from the base with ±20% jitter, and never waits more than an hour', () => {
    for (const [attempt, exponential] of [[1, 30_000], [2, 60_000], [3, 120_000], [7, 1_920_000]] as const) {
      assert.equal(notificationBackoffMs(attempt, 30_000, () => 0), exponential * 0.8);
      assert.equal(notificationBackoffMs(attempt, 30_000, () => 0.5), exponential);
      const highest = notificationBackoffMs(attempt, 30_000, () => 0.999_999);
      assert.ok(highest <= exponential * 1.2 && highest > exponential * 1.19, `${highest}`);
    }
    for (const attempt of [8, 9, 20, 1_000]) assert.ok(notificationBackoffMs(attempt, 30_000, () => 0.999) <= 3_600_000);
    assert.equal(notificationBackoffMs(8, 30_000, () => 0.5), 3_600_000);
  });
});

describe('what delivers a notification', () => {
  const answer = (status: number) => ({ ok: true as const, status, headers: {}, body: Buffer.from(''), durationMs: 1 });
  test('exactly HTTP 200', () => {
    assert.equal(judgeNotification(answer(200)).outcome, 'ok');
    for (const status of [201, 202, 204, 301, 400, 401, 404, 500, 503]) {
      const verdict = judgeNotification(answer(status));
      assert.equal(verdict.outcome, `http_${status}`);
      assert.match(verdict.message, new RegExp(`HTTP ${status}`));
    }
  });
  test('a network failure or timeout is a failed attempt named by its cause', () => {
    const verdict = judgeNotification({ ok: false, failure: 'timeout', message: 'No answer within 60000 ms.', durationMs: 60_000 });
    assert.deepEqual(verdict, { outcome: 'timeout', message: 'No answer within 60000 ms.' });
  });
});

describe('the failed-notification API role rule', () => {
  test('Professional: Web Services Administrator or an admin role; Standard and Sandbox: Can Administer', () => {
    const professional = { edition: 'PROFESSIONAL' as const };
    assert.ok(notificationApiAllowed(['WEB_SERVICES_ADMINISTRATOR'], professional));
    assert.ok(notificationApiAllowed(['COMPANY_ADMIN'], professional));
    assert.ok(notificationApiAllowed(['REQUEST_ADMIN', 'EMPLOYEE'], professional));
    assert.ok(!notificationApiAllowed(['EMPLOYEE'], professional));
    assert.ok(!notificationApiAllowed(['CAN_ADMINISTER'], professional));
    for (const edition of ['STANDARD', 'DEVELOPER_SANDBOX'] as const) {
      assert.ok(notificationApiAllowed(['CAN_ADMINISTER'], { edition }));
      assert.ok(!notificationApiAllowed(['WEB_SERVICES_ADMINISTRATOR', 'EMPLOYEE'], { edition }));
    }
  });
});

describe('the listing format', () => {
  test('XML unless Accept prefers JSON', () => {
    assert.equal(preferredFormat(undefined), 'xml');
    assert.equal(preferredFormat('*/*'), 'xml');
    assert.equal(preferredFormat('application/xml'), 'xml');
    assert.equal(preferredFormat('text/html'), 'xml');
    assert.equal(preferredFormat('application/json'), 'json');
    assert.equal(preferredFormat('application/json, application/xml'), 'xml');
    assert.equal(preferredFormat('application/xml;q=0.5, application/json'), 'json');
    assert.equal(preferredFormat('application/json;q=0.9, */*;q=0.1'), 'json');
    assert.equal(preferredFormat('Application/JSON; charset=utf-8'), 'json');
  });
});

describe('the notification body', () => {
  test('is the spec\'s Notification with a date-only EventDateTime (UTC) and an empty Context', () => {
    const body = notificationBody({
      event_type: 'Report Entered Expense Report Workflow Step - SUBMIT',
      object_type: 'TRAVELREQ',
      object_uri: 'https://patchbay.example/travelrequest/v4/requests/ABC&1',
      created_at: Date.UTC(2024, 1, 29, 23, 59, 59),
      context: null,
    });
    assert.equal(
      body,
      '<?xml version="1.0" encoding="UTF-8" ?><Notification><EventType>Report Entered Expense Report Workflow Step - SUBMIT</EventType>' +
        '<ObjectType>TRAVELREQ</ObjectType><ObjectURI>https://patchbay.example/travelrequest/v4/requests/ABC&amp;1</ObjectURI>' +
        '<EventDateTime>2024-02-29</EventDateTime><Context/></Notification>',
    );
  });
});
