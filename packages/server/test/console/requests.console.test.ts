/**
 * Console test: drives the real console in Debian's Chromium against a real patchbay through Concur
 * Request. A Request administrator sets up a workflow with a manager step (Notify on, Step Code
 * PENDMGRA), a default policy, a travel agency, an approver group and the traveler's manager; the
 * traveler creates two requests, edits one's name and business purpose (Edit Request), and submits
 * both; the manager approves one and sends the other back with a comment; the traveler sees the
 * comment, edits the sent-back request and resubmits it, then cancels and closes it; the Event Log
 * shows the statusChange events exactly as stored, with its filters.
 * Full-page screenshots land in test-output/screenshots/ at the repository root (prefixed 3x-).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import { startTestServer, type Credentials, type TestServer } from '../support/server.ts';
import { consoleTestReady, heading, launchChromium, openAdministration, openConsolePage, screenshotter, signIn, signOut, stepRunner, visible } from '../support/console-browser.ts';
import { createUser } from '../../src/companies/companies.ts';
import type { Role } from '../../src/identity/principal.ts';

const PASSWORD = 'request-console-password';

/** The row of a table whose row header (or any cell) shows `text`. */
function rowWith(table: Locator, text: string): Locator {
  return table.getByRole('row').filter({ hasText: text });
}

const screenshot = screenshotter('3x-');

test('console: Request workflow set-up, create and submit, approve and send back, and the Event Log', { timeout: 240_000 }, async (t) => {
  if (!consoleTestReady(t)) return;

  let server: TestServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startTestServer();
    const baseUrl = server.url;
    const store = server.patchbay.store;
    const companyId = server.companyId;
    const person = async (loginId: string, name: string, roles: Role[]): Promise<Credentials & { id: string }> => {
      const user = await store.transaction((trx) => createUser(trx, null, { companyId, loginId, name, password: PASSWORD, roles }));
      return { loginId, password: PASSWORD, id: user.id };
    };
    const admin = await person('riley.admin@example.test', 'Riley Admin', ['REQUEST_ADMIN']);
    const traveler = await person('taylor.traveler@example.test', 'Taylor Traveler', ['EMPLOYEE']);
    const manager = await person('morgan.manager@example.test', 'Morgan Manager', ['EMPLOYEE']);
    await person('jamie.desk@example.test', 'Jamie Desk', ['EMPLOYEE']);

    browser = await launchChromium();
    const { page, pageErrors } = await openConsolePage(browser);

    // The steps build on each other: after a failure the rest are skipped (the failure is reported).
    const step = stepRunner(t, page, screenshot);

    const requestKeys: Record<'berlin' | 'lisbon', string> = { berlin: '', lisbon: '' };

    await step('admin: a workflow with a notifying manager step (Step Code PENDMGRA)', async () => {
      await signIn(page, baseUrl, admin);
      await openAdministration(page, 'Request Administration', () => screenshot(page, '01-administration-menu'));
      await heading(page, 'Workflows');
      await visible(page.getByText('No workflows yet.'));
      await screenshot(page, '02-workflows-empty');

      await page.getByRole('button', { name: 'New Workflow' }).click();
      await heading(page, 'New Workflow');
      await page.getByLabel('Workflow Name').fill('Standard Travel');
      await page.getByLabel('Approved Step Code').fill('REQAPPR');
      const first = page.getByRole('group', { name: 'Step 1' });
      await visible(first);
      assert.equal(await first.getByLabel('Role').inputValue(), 'REQ_MANAGER');
      assert.equal(await first.getByLabel('Approver', { exact: true }).inputValue(), 'MANAGER');
      await first.getByLabel('Notify').check();
      await first.getByLabel('Step Code').fill('PENDMGRA');
      await visible(first.getByText('Submitting publishes statusChange.PENDING.RequestManager with stepCode PENDMGRA.'));

      // A second step shows the TMC fields, then is removed again.
      await page.getByRole('button', { name: 'Add Step' }).click();
      const second = page.getByRole('group', { name: 'Step 2' });
      await second.getByLabel('Role').selectOption('REQ_PROCESSOR1');
      await visible(second.getByLabel('Status Key'));
      await second.getByLabel('Approver', { exact: true }).selectOption('USER');
      await second.getByLabel('Approver User').selectOption({ label: 'Jamie Desk' });
      await second.getByLabel('Notify').uncheck();
      await visible(second.getByText('Entering this step publishes no event (Notify is off).'));
      await screenshot(page, '03-workflow-editor');
      await page.getByRole('button', { name: 'Remove step 2' }).click();
      assert.equal(await page.getByRole('group', { name: 'Step 2' }).count(), 0);

      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await heading(page, 'Workflows');
      await visible(page.getByText('Workflow “Standard Travel” saved.'));
      const row = rowWith(page.getByRole('table', { name: 'Workflows' }), 'Standard Travel');
      await visible(row.getByText("Request Manager (traveler's manager)"));
      await visible(row.getByText('PENDMGRA'));
      await visible(row.getByText('REQAPPR'));
      await screenshot(page, '04-workflows');
    });

    await step('admin: a default Request policy, a travel agency, an approver group and the traveler\'s manager', async () => {
      const tabs = page.getByRole('navigation', { name: 'Request Administration pages' });
      await tabs.getByRole('link', { name: 'Request Policies' }).click();
      await heading(page, 'Request Policies');
      await page.getByLabel('Policy Name').fill('Standard Policy');
      await page.getByLabel('Workflow').selectOption({ label: 'Standard Travel' });
      await page.getByLabel('Default policy').check();
      await page.getByRole('button', { name: 'Create Policy' }).click();
      await visible(page.getByText('Request policy “Standard Policy” saved.'));
      const policy = rowWith(page.getByRole('table', { name: 'Request policies' }), 'Standard Policy');
      await visible(policy.getByText('Default', { exact: true }));
      await visible(policy.getByText('Standard Travel'));
      await screenshot(page, '05-request-policies');

      await tabs.getByRole('link', { name: 'Travel Agencies' }).click();
      await heading(page, 'Travel Agencies');
      await page.getByLabel('Agency Office Name').fill('Globetrotter Travel, Berlin');
      await page.getByLabel('E-mail Address').fill('desk@globetrotter.example');
      await page.getByRole('button', { name: 'Add Agency' }).click();
      await visible(page.getByRole('rowheader', { name: 'Globetrotter Travel, Berlin' }));
      await screenshot(page, '06-travel-agencies');

      await tabs.getByRole('link', { name: 'Approver Groups' }).click();
      await heading(page, 'Approver Groups');
      await page.getByLabel('Group Name').fill('Travel Desk');
      await page.getByLabel('Jamie Desk').check();
      await page.getByLabel('Morgan Manager').check();
      await page.getByRole('button', { name: 'Save Group' }).click();
      await visible(page.getByText('Group “Travel Desk” saved with 2 members.'));
      await visible(rowWith(page.getByRole('table', { name: 'Approver groups' }), 'Travel Desk').getByText('Jamie Desk, Morgan Manager'));
      await screenshot(page, '07-approver-groups');

      await tabs.getByRole('link', { name: 'Users' }).click();
      await heading(page, 'Users');
      await page.getByLabel('Manager of Taylor Traveler').selectOption({ label: 'Morgan Manager' });
      await page.getByLabel('Employee ID of Taylor Traveler').fill('E-1042');
      await page.getByRole('button', { name: 'Save Taylor Traveler' }).click();
      await visible(page.getByText('Saved Taylor Traveler.'));
      assert.equal(await page.getByLabel('Manager of Taylor Traveler').inputValue(), manager.id);
      await screenshot(page, '08-users-managers');
      const stored = await store.db.selectFrom('users').select(['manager_id', 'employee_id']).where('id', '=', traveler.id).executeTakeFirstOrThrow();
      assert.deepEqual({ ...stored }, { manager_id: manager.id, employee_id: 'E-1042' });
      await signOut(page);
    });

    await step('traveler: New Request, Edit Request (name and business purpose), then Submit', async () => {
      await signIn(page, baseUrl, traveler);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Requests' }).click();
      await heading(page, 'Requests');
      await visible(page.getByText('You have no requests yet.'));
      await screenshot(page, '09-my-requests-empty');

      await page.getByRole('button', { name: 'New Request' }).click();
      await heading(page, 'New Request');
      // Client-side checks first: the name is required.
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await visible(page.getByText('Enter a name for the request'));
      await page.getByLabel('Request Name').fill('Customer visit');
      await page.getByLabel('Business Purpose').fill('QBR');
      await page.getByLabel('Start Date').fill('2026-03-02');
      await page.getByLabel('End Date').fill('2026-03-05');
      await page.getByLabel('Main Destination City').fill('Berlin');
      await page.getByLabel('Country Code').fill('de');
      await page.getByLabel('Comment').fill('Hotel close to the customer office, please.');
      await screenshot(page, '10-new-request');
      await page.getByRole('button', { name: 'Save', exact: true }).click();

      await heading(page, 'Customer visit');
      await visible(page.getByText(/Request [A-Z2-9]{4,6} created\./));
      requestKeys.berlin = ((await page.locator('.request-line strong.mono').textContent()) ?? '').trim();
      assert.match(requestKeys.berlin, /^[A-Z2-9]{4,6}$/);
      await visible(page.getByText('Not Submitted', { exact: true }));
      const actions = page.getByRole('toolbar', { name: 'Request actions' });
      assert.deepEqual(await actions.getByRole('button').allTextContents(), ['Edit', 'Submit', 'Cancel Request']);
      await visible(page.getByText('Berlin, DE'));
      await screenshot(page, '11-request-created');

      // Edit Request: the New Request form, prefilled; only the changed fields are saved.
      await actions.getByRole('button', { name: 'Edit' }).click();
      const form = page.getByRole('form', { name: 'Edit Request' });
      await visible(form.getByRole('heading', { name: 'Edit Request' }));
      assert.match(page.url(), /\/requests\/[0-9A-F]{32}\?edit=1$/);
      assert.equal(await page.getByRole('toolbar', { name: 'Request actions' }).count(), 0, 'no workflow actions while editing');
      assert.deepEqual(
        {
          name: await form.getByLabel('Request Name').inputValue(),
          businessPurpose: await form.getByLabel('Business Purpose').inputValue(),
          startDate: await form.getByLabel('Start Date').inputValue(),
          endDate: await form.getByLabel('End Date').inputValue(),
          city: await form.getByLabel('Main Destination City').inputValue(),
          countryCode: await form.getByLabel('Country Code').inputValue(),
          comment: await form.getByLabel('Comment').inputValue(),
        },
        { name: 'Customer visit', businessPurpose: 'QBR', startDate: '2026-03-02', endDate: '2026-03-05', city: 'Berlin', countryCode: 'DE', comment: 'Hotel close to the customer office, please.' },
      );
      await form.getByLabel('Request Name').fill('');
      await form.getByRole('button', { name: 'Save', exact: true }).click();
      await visible(form.getByText('Enter a name for the request'));
      await form.getByLabel('Request Name').fill('Customer visit Berlin');
      await form.getByLabel('Business Purpose').fill('Quarterly business review with Contoso GmbH');
      await screenshot(page, 'edit-request');
      await form.getByRole('button', { name: 'Save', exact: true }).click();
      await heading(page, 'Customer visit Berlin');
      await visible(page.getByText(`Request ${requestKeys.berlin} saved. Submit it when it is complete.`));
      assert.match(page.url(), /\/requests\/[0-9A-F]{32}$/);
      await visible(page.getByText('Quarterly business review with Contoso GmbH'));
      assert.deepEqual(await actions.getByRole('button').allTextContents(), ['Edit', 'Submit', 'Cancel Request']);
      const saved = await store.db.selectFrom('requests').select(['name', 'business_purpose', 'comment', 'start_date', 'end_date', 'main_destination', 'status_code']).where('request_key', '=', requestKeys.berlin).executeTakeFirstOrThrow();
      assert.deepEqual({ ...saved, main_destination: JSON.parse(saved.main_destination ?? 'null') }, {
        name: 'Customer visit Berlin',
        business_purpose: 'Quarterly business review with Contoso GmbH',
        comment: 'Hotel close to the customer office, please.',
        start_date: '2026-03-02',
        end_date: '2026-03-05',
        main_destination: { city: 'Berlin', countryCode: 'DE' },
        status_code: 'NOT_SUBMITTED',
      });

      await actions.getByRole('button', { name: 'Submit' }).click();
      await visible(page.getByText(`Request ${requestKeys.berlin} submitted: Pending Request Manager Approval.`));
      await visible(page.locator('.request-line').getByText('Pending Request Manager Approval'));
      await visible(page.getByText('Morgan Manager'));
      assert.deepEqual(await actions.getByRole('button').allTextContents(), ['Recall', 'Cancel Request']);
      await screenshot(page, '12-request-submitted');
    });

    await step('traveler: a second request, submitted; My Requests lists both', async () => {
      await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Requests' }).click();
      await page.getByRole('button', { name: 'New Request' }).click();
      await heading(page, 'New Request');
      await page.getByLabel('Request Name').fill('Conference Lisbon');
      await page.getByLabel('Business Purpose').fill('Web Summit');
      await page.getByLabel('Start Date').fill('2026-11-09');
      await page.getByLabel('End Date').fill('2026-11-12');
      await page.getByLabel('Main Destination City').fill('Lisbon');
      await page.getByLabel('Country Code').fill('PT');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await heading(page, 'Conference Lisbon');
      requestKeys.lisbon = ((await page.locator('.request-line strong.mono').textContent()) ?? '').trim();
      await page.getByRole('toolbar', { name: 'Request actions' }).getByRole('button', { name: 'Submit' }).click();
      await visible(page.getByText(`Request ${requestKeys.lisbon} submitted`));

      await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Requests' }).click();
      const table = page.getByRole('table', { name: 'My Requests' });
      await visible(rowWith(table, 'Customer visit Berlin').getByText('Pending Request Manager Approval'));
      await visible(rowWith(table, 'Customer visit Berlin').getByText('Mar 2, 2026'));
      await visible(rowWith(table, 'Conference Lisbon').getByText('Nov 9, 2026'));
      assert.equal(await table.locator('tbody tr').count(), 2);
      await screenshot(page, '13-my-requests');
      await signOut(page);
    });

    await step('manager: Requests to Approve; Approve one with a comment', async () => {
      await signIn(page, baseUrl, manager);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Requests' }).click();
      await page.getByRole('navigation', { name: 'Request pages' }).getByRole('link', { name: 'Requests to Approve' }).click();
      const table = page.getByRole('table', { name: 'Requests to Approve' });
      await visible(rowWith(table, 'Customer visit Berlin'));
      await visible(rowWith(table, 'Conference Lisbon').getByText('Taylor Traveler'));
      assert.equal(await table.locator('tbody tr').count(), 2);
      await screenshot(page, '14-requests-to-approve');

      await page.getByRole('link', { name: `Request ${requestKeys.berlin}: Customer visit Berlin` }).click();
      await heading(page, 'Customer visit Berlin');
      await visible(page.getByRole('heading', { name: 'Approval' }));
      await visible(page.getByText('Quarterly business review with Contoso GmbH'));
      await page.getByLabel('Comment').fill('Approved — enjoy the trip.');
      await screenshot(page, '15-approval');
      await page.getByRole('button', { name: 'Approve', exact: true }).click();
      await heading(page, 'Requests');
      await visible(page.getByText(`Request ${requestKeys.berlin} approved.`));
      assert.equal(await rowWith(page.getByRole('table', { name: 'Requests to Approve' }), 'Customer visit Berlin').count(), 0);
      await screenshot(page, '16-approved');
    });

    await step('manager: Send Back needs a comment, and sends the other request back', async () => {
      await page.getByRole('link', { name: `Request ${requestKeys.lisbon}: Conference Lisbon` }).click();
      await heading(page, 'Conference Lisbon');
      await page.getByRole('button', { name: 'Send Back', exact: true }).click();
      await visible(page.getByText('Enter a comment telling the traveler what to change.'));
      await screenshot(page, '17-send-back-needs-comment');
      await page.getByLabel('Comment').fill('Please add the conference fee as an expected expense.');
      await page.getByRole('button', { name: 'Send Back', exact: true }).click();
      await heading(page, 'Requests');
      await visible(page.getByText(`Request ${requestKeys.lisbon} sent back to the traveler.`));
      await visible(page.getByText('No requests are waiting for your approval.'));
      await signOut(page);
    });

    await step('traveler: sees Approved and Sent Back with the comment; edits and resubmits the sent-back request, then cancels and closes it', async () => {
      await signIn(page, baseUrl, traveler);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Requests' }).click();
      const table = page.getByRole('table', { name: 'My Requests' });
      await visible(rowWith(table, 'Customer visit Berlin').getByText('Approved', { exact: true }));
      await visible(rowWith(table, 'Conference Lisbon').getByText('Sent Back', { exact: true }));
      await screenshot(page, '18-my-requests-decided');

      await page.getByRole('link', { name: `Request ${requestKeys.lisbon}: Conference Lisbon` }).click();
      await heading(page, 'Conference Lisbon');
      const comments = page.getByRole('list', { name: 'Comments' });
      await visible(comments.getByText('Please add the conference fee as an expected expense.'));
      await visible(comments.getByText('Morgan Manager'));
      const actions = page.getByRole('toolbar', { name: 'Request actions' });
      assert.deepEqual(await actions.getByRole('button').allTextContents(), ['Edit', 'Submit', 'Cancel Request']);
      await screenshot(page, '19-sent-back-with-comment');

      // Edit what the manager asked for (the comment stays in view), save, and submit again.
      await actions.getByRole('button', { name: 'Edit' }).click();
      const form = page.getByRole('form', { name: 'Edit Request' });
      await visible(form.getByText('Change what the approver asked for, save, then submit the request again.'));
      await visible(comments.getByText('Please add the conference fee as an expected expense.'));
      assert.equal(await form.getByLabel('Business Purpose').inputValue(), 'Web Summit');
      await form.getByLabel('Business Purpose').fill('Web Summit, conference fee EUR 1,100 expected');
      await form.getByLabel('Request Name').fill('Conference Lisbon (Web Summit)');
      await screenshot(page, 'edit-sent-back');
      await form.getByRole('button', { name: 'Save', exact: true }).click();
      await heading(page, 'Conference Lisbon (Web Summit)');
      await visible(page.getByText(`Request ${requestKeys.lisbon} saved. Submit it again when it is ready.`));
      await visible(page.getByText('Web Summit, conference fee EUR 1,100 expected'));
      await visible(page.locator('.request-line').getByText('Sent Back', { exact: true }));
      await actions.getByRole('button', { name: 'Submit' }).click();
      await visible(page.getByText(`Request ${requestKeys.lisbon} submitted: Pending Request Manager Approval.`));
      assert.deepEqual(await actions.getByRole('button').allTextContents(), ['Recall', 'Cancel Request']);
      // Submitted again: Edit is gone, and a bookmarked edit link shows why.
      await page.goto(`${page.url()}?edit=1`);
      await heading(page, 'Conference Lisbon (Web Summit)');
      await visible(page.getByText('This request can no longer be edited: it is Pending Request Manager Approval.'));
      assert.equal(await page.getByRole('form', { name: 'Edit Request' }).count(), 0);
      assert.deepEqual(await actions.getByRole('button').allTextContents(), ['Recall', 'Cancel Request']);

      await actions.getByRole('button', { name: 'Cancel Request' }).click();
      const confirm = page.getByRole('alertdialog', { name: 'Cancel this request?' });
      await visible(confirm);
      await screenshot(page, '20-cancel-confirm');
      await confirm.getByRole('button', { name: 'Cancel Request' }).click();
      await confirm.waitFor({ state: 'hidden' });
      await visible(page.getByText(`Request ${requestKeys.lisbon} canceled.`));
      assert.deepEqual(await actions.getByRole('button').allTextContents(), ['Close']);
      await actions.getByRole('button', { name: 'Close' }).click();
      await visible(page.getByText(`Request ${requestKeys.lisbon} closed.`));
      await visible(page.locator('.request-line').getByText('Closed', { exact: true }));
      assert.deepEqual(await actions.getByRole('button').allTextContents(), ['Reopen']);
      await screenshot(page, '21-canceled-closed');

      // Approved requests can be closed too.
      await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Requests' }).click();
      await page.getByRole('link', { name: `Request ${requestKeys.berlin}: Customer visit Berlin` }).click();
      await heading(page, 'Customer visit Berlin');
      await visible(page.getByRole('list', { name: 'Comments' }).getByText('Approved — enjoy the trip.'));
      assert.deepEqual(await page.getByRole('toolbar', { name: 'Request actions' }).getByRole('button').allTextContents(), ['Close', 'Cancel Request']);
      await signOut(page);
    });

    await step('admin: the Event Log shows the statusChange events exactly as stored, with filters', async () => {
      await signIn(page, baseUrl, admin);
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('button', { name: 'Administration' }).click();
      await nav.getByRole('link', { name: 'Request Administration', exact: true }).click();
      await heading(page, 'Workflows');
      await page.getByRole('navigation', { name: 'Request Administration pages' }).getByRole('link', { name: 'Event Log' }).click();
      await heading(page, 'Event Log');

      const stored = await store.db.selectFrom('events').select(['seq', 'event_type', 'payload']).where('company_id', '=', companyId).orderBy('seq', 'desc').execute();
      assert.deepEqual(stored.map((row) => row.event_type), [
        'statusChange.CANCELED', // close
        'statusChange.CANCELED',
        'statusChange.PENDING.RequestManager', // resubmitted after the edit (edits publish nothing)
        'statusChange.SENTBACK',
        'statusChange.APPROVED',
        'statusChange.PENDING.RequestManager',
        'statusChange.PENDING.RequestManager',
      ]);
      await visible(page.getByText(`Showing ${stored.length} events.`));
      const events = page.getByRole('list', { name: 'Events' }).getByRole('listitem');
      assert.equal(await events.count(), stored.length);
      for (const [index, row] of stored.entries()) {
        const json = (await page.getByLabel(`Event ${row.seq} JSON`).textContent()) ?? '';
        assert.equal(json, JSON.stringify(JSON.parse(row.payload), null, 2), `event #${row.seq} is shown exactly as stored`);
        assert.match((await events.nth(index).textContent()) ?? '', new RegExp(row.event_type.replaceAll('.', '\\.')));
      }
      const pending = JSON.parse(stored[5]!.payload);
      assert.equal(pending.facts.stepCode, 'PENDMGRA');
      assert.equal(pending.facts.recipientId, manager.id);
      assert.equal(pending.facts.currentApprovalStatus, 'Q_PEND');
      await screenshot(page, '22-event-log');

      await page.getByLabel('Request ID').fill(requestKeys.berlin);
      await page.getByRole('button', { name: 'Apply Filters' }).click();
      await visible(page.getByText('Showing 2 events.'));
      const filtered = page.getByRole('list', { name: 'Events' });
      await visible(filtered.getByText('statusChange.APPROVED', { exact: true }));
      await visible(filtered.getByText('statusChange.PENDING.RequestManager', { exact: true }));
      await visible(filtered.getByText('"stepCode": "PENDMGRA"'));
      await visible(filtered.getByText('"stepCode": "REQAPPR"'));
      await screenshot(page, '23-event-log-by-request');

      await page.getByRole('button', { name: 'Clear' }).click();
      await page.getByLabel('Event Type').fill('statusChange.SENTBACK');
      await page.getByRole('button', { name: 'Apply Filters' }).click();
      await visible(page.getByText('Showing 1 event.'));
      await visible(page.getByRole('list', { name: 'Events' }).getByText('"stepCode": "SENDBACK"'));
      await visible(page.getByRole('list', { name: 'Events' }).getByText(`"actingUserId": "${manager.id}"`));

      // A time range in the future matches nothing.
      await page.getByRole('button', { name: 'Clear' }).click();
      await page.getByLabel('From').fill('2099-01-01T00:00');
      await page.getByRole('button', { name: 'Apply Filters' }).click();
      await visible(page.getByText('No events match these filters.'));
      await page.getByLabel('From').fill('2000-01-01T00:00');
      await page.getByLabel('To').fill('2099-01-01T00:00');
      await page.getByRole('button', { name: 'Apply Filters' }).click();
      await visible(page.getByText(`Showing ${stored.length} events.`));
      await signOut(page);
    });

    assert.deepEqual(pageErrors, [], 'the console raised no uncaught errors');
  } finally {
    await browser?.close();
    await server?.close();
  }
});
