/**
 * Console test: drives the real console in Debian's Chromium against a real patchbay and a real HTTPS
 * fake connector, following the seed's flows (Administration > Web Services > Manage Application
 * Connectors > New, Test Connection, Configure Service, Deactivate) plus the operator pages.
 * Full-page screenshots land in test-output/screenshots/ at the repository root.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.ts';
import { consoleTestReady, heading, launchChromium, openAdministration, openConsolePage, screenshotter, signIn, signOut, stepRunner, visible } from '../support/console-browser.ts';
import { createDevCa, startFakeConnector, type FakeConnector } from '../support/tls-fixture.ts';
import { signIn as apiSignIn } from '../support/api-client.ts';

// Credentials the fake connector accepts (10 to 50 characters each, as Concur requires).
const CONNECTOR_USER = 'patchbay-connector-user';
const CONNECTOR_PASSWORD = 'connector-secret-0123';
const WRONG_PASSWORD = 'not-the-right-secret';

/** The Services table row of one service. */
function serviceRow(page: Page, label: string): Locator {
  return page.getByRole('table', { name: 'Services' }).getByRole('row').filter({ has: page.getByRole('rowheader', { name: label, exact: true }) });
}

const screenshot = screenshotter('');

test('console: register, test, configure and deactivate an application connector; operator pages', { timeout: 180_000 }, async (t) => {
  if (!consoleTestReady(t)) return;

  const ca = await createDevCa();
  let server: TestServer | undefined;
  let connector: FakeConnector | undefined;
  let browser: Browser | undefined;
  try {
    server = await startTestServer({ extraCa: ca.caCert, allowPrivateAddresses: 'loopback' });
    connector = await startFakeConnector({ tls: ca.issue(['localhost', '127.0.0.1']), userName: CONNECTOR_USER, password: CONNECTOR_PASSWORD });
    await server.addSafeHost('localhost');
    // A Request administrator sets up what the services pick from: attendee types and a workflow. The
    // console's admin is a Web Services Administrator only.
    const company = `/api/companies/${server.companyId}`;
    const requestAdmin = await apiSignIn(server.url, await server.addUser(server.companyId, ['REQUEST_ADMIN']));
    for (const [code, name] of [['BUSGUEST', 'Business guest'], ['SPOUSE', 'Spouse or partner']] as const) {
      const created = await requestAdmin.put(`${company}/attendee-types/${code}`, { name, allowsManual: true });
      assert.equal(created.status, 200, JSON.stringify(created.body));
    }
    const workflow = await requestAdmin.post(`${company}/workflows`, {
      name: 'Manager approval',
      approvedStepCode: null,
      steps: [{ roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: false, stepCode: null }],
    });
    assert.equal(workflow.status, 201, JSON.stringify(workflow.body));
    browser = await launchChromium();
    const { page, pageErrors } = await openConsolePage(browser);

    // The steps build on each other: after a failure the rest are skipped (the failure is reported).
    const step = stepRunner(t, page, screenshot);

    await step('company admin: sign in and reach Application Connector Registration', async () => {
      await page.goto(server!.url);
      await heading(page, 'Sign In');
      await screenshot(page, '01-sign-in');
      await signIn(page, server!.url, server!.admin);
      await screenshot(page, '02-home');

      await openAdministration(page, 'Web Services', () => screenshot(page, '02-administration-menu'));
      await heading(page, 'Web Services');
      await screenshot(page, '03-web-services');

      await page.getByRole('link', { name: 'Manage Application Connectors' }).click();
      await heading(page, 'Application Connector Registration');
      await visible(page.getByText('No application connectors are registered yet.'));
      await visible(page.getByText('Registrations cannot be deleted'));
      await screenshot(page, '04-registration-empty');
    });

    await step('New: a wrong password fails Test Connection with the invalid-credentials message', async () => {
      await page.getByRole('button', { name: 'New', exact: true }).click();
      await heading(page, 'New Application Connector');
      await page.getByLabel('Name', { exact: true }).fill('Attendee Directory');
      await page.getByLabel('Description', { exact: true }).fill('Looks up attendees in the HR system');
      await page.getByLabel('Host Name', { exact: true }).fill(connector!.url);
      await page.getByLabel('User Name', { exact: true }).fill(CONNECTOR_USER);
      await page.getByLabel('Password', { exact: true }).fill(WRONG_PASSWORD);
      await screenshot(page, '05-new-connector');

      await page.getByRole('button', { name: 'Test Connection' }).click();
      const failure = await visible(page.getByRole('alert').filter({ hasText: 'Test Connection failed' }));
      const text = (await failure.first().textContent()) ?? '';
      assert.match(text, /rejected the user name or password \(HTTP 401\)/);
      // Test Connection registered the connector first, so the page switched to Modify.
      await heading(page, 'Modify Application Connector');
      assert.match(page.url(), /\/admin\/web-services\/connectors\/[^/]+\/[0-9a-f-]{36}$/);
      await visible(page.locator('.verified-indicator').getByText('Not verified', { exact: true }));
      await screenshot(page, '06-test-connection-failed');
    });

    await step('Modify: the right password passes Test Connection and the connector is Verified', async () => {
      const password = page.getByLabel('Password', { exact: true });
      assert.equal(await password.inputValue(), '', 'the password field is empty on Modify');
      await visible(page.getByText('Leave blank to keep the current password'));
      await password.fill(CONNECTOR_PASSWORD);
      await page.getByRole('button', { name: 'Test Connection' }).click();
      await visible(page.getByRole('status').filter({ hasText: 'Verified.' }));
      await visible(page.locator('.verified-indicator').getByText('Verified', { exact: true }));
      const tests = connector!.requests.filter((request) => request.path === '/system/v1.0/testconnection');
      assert.equal(tests.length, 2, 'one failed and one passing test connection reached the connector');
      assert.equal(tests[1]?.headers.authorization, `Basic ${Buffer.from(`${CONNECTOR_USER}:${CONNECTOR_PASSWORD}`).toString('base64')}`);
      await screenshot(page, '07-verified');
    });

    await step('Configure Service: Fetch Attendee becomes active and usable', async () => {
      for (const label of ['Fetch Attendee', 'Fetch List', 'Send Notification', 'External Report Validation', 'Launch External URL']) {
        await visible(serviceRow(page, label));
      }
      await page.getByRole('radio', { name: 'Select Fetch Attendee' }).check();
      await page.getByRole('button', { name: 'Configure', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Configure Service' });
      await visible(dialog);
      await dialog.getByLabel('Endpoint').fill('/attendee/v2.0/find');
      await dialog.getByLabel('Active', { exact: true }).check();
      // The attendee types are ticked from the company's.
      await dialog.getByLabel('Business guest (BUSGUEST)').check();
      await dialog.getByLabel('Spouse or partner (SPOUSE)').check();
      await screenshot(page, '08-configure-service');
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();
      await dialog.waitFor({ state: 'hidden' });

      const row = serviceRow(page, 'Fetch Attendee');
      await visible(row.getByText('/attendee/v2.0/find', { exact: true }));
      await visible(row.getByText('Active', { exact: true }));
      await visible(row.getByText('Usable', { exact: true }));
      await visible(serviceRow(page, 'Fetch List').getByText('Not configured'));
      await visible(page.getByText('Status: Active'));
      const saved = await requestAdmin.get(`${company}/attendee-types`);
      const bound = (saved.body.items as Array<{ code: string; connectorId: string | null }>).filter((type) => type.connectorId !== null).map((type) => type.code);
      assert.deepEqual(bound.sort(), ['BUSGUEST', 'SPOUSE'], 'both ticked types search this connector');
      await screenshot(page, '09-service-active');
    });

    await step('Configure Service: a Fetch List list row is kept', async () => {
      await page.getByRole('radio', { name: 'Select Fetch List' }).check();
      await page.getByRole('button', { name: 'Configure', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Configure Service' });
      await visible(dialog);
      await dialog.getByLabel('Endpoint').fill('/list/v1.2/fetch');
      await dialog.getByLabel('Active', { exact: true }).check();
      await dialog.getByRole('button', { name: 'Add List' }).click();
      await dialog.getByLabel('List Name, list 1').fill('Projects');
      await dialog.getByLabel('List Category, list 1').fill('Project Codes');
      await dialog.getByLabel('Language Code, list 1').fill('en');
      await dialog.getByLabel('Connected List Level, list 1').fill('2');
      await screenshot(page, '10-configure-fetch-list');
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();
      await dialog.waitFor({ state: 'hidden' });
      await visible(serviceRow(page, 'Fetch List').getByText('/list/v1.2/fetch', { exact: true }));
    });

    await step('Configure Service: External Report Validation ticks a workflow from the company\'s', async () => {
      await page.getByRole('radio', { name: 'Select External Report Validation' }).check();
      await page.getByRole('button', { name: 'Configure', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Configure Service' });
      await visible(dialog);
      await dialog.getByLabel('Endpoint').fill('/concur/v1.0/notify');
      await dialog.getByLabel('Active', { exact: true }).check();
      // A Web Services Administrator lists the company's workflows (no typed-in workflow IDs).
      const workflows = dialog.getByRole('table', { name: 'Workflows notifying the connector' });
      await visible(workflows.getByRole('row').filter({ hasText: 'Manager approval' }).getByText('None with this connector'));
      assert.equal(await dialog.getByRole('alert').count(), 0, 'the workflows were listed');
      await dialog.getByLabel('External Validation - Submit, Manager approval').check();
      await screenshot(page, '10-configure-external-validation');
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();
      await dialog.waitFor({ state: 'hidden' });
      await visible(serviceRow(page, 'External Report Validation').getByText('/concur/v1.0/notify', { exact: true }));
      const admin = await apiSignIn(server!.url, server!.admin);
      const listed = await admin.get(`${company}/connectors`);
      const services = (listed.body.items as Array<{ services: Array<{ service: string; settings: unknown }> }>)[0]!.services;
      assert.deepEqual(services.find((service) => service.service === 'external-report-validation')?.settings, { workflows: [{ workflowId: workflow.body.id, steps: ['SUBMIT'] }] });
    });

    await step('Deactivate: every service becomes inactive, and the audit trail shows each step', async () => {
      await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
      const confirm = page.getByRole('alertdialog', { name: 'Deactivate connector?' });
      await visible(confirm);
      await screenshot(page, '11-deactivate-confirm');
      await confirm.getByRole('button', { name: 'Deactivate', exact: true }).click();
      await confirm.waitFor({ state: 'hidden' });
      await visible(page.getByText('Status: Inactive'));

      const rows = page.getByRole('table', { name: 'Services' }).locator('tbody tr');
      assert.equal(await rows.count(), 5);
      for (let index = 0; index < 5; index += 1) {
        const row = rows.nth(index);
        await visible(row.getByText('Inactive', { exact: true }));
        assert.equal(await row.getByText('Active', { exact: true }).count(), 0, `row ${index + 1} is inactive`);
        assert.equal(await row.getByText('Usable', { exact: true }).count(), 0, `row ${index + 1} is not usable`);
      }

      const audit = page.getByRole('table', { name: 'Audit trail' });
      for (const action of ['Registered', 'Test Connection', 'System fields modified', 'Service configured', 'Deactivated']) {
        await visible(audit.getByRole('cell', { name: action, exact: true }));
      }
      const firstRow = audit.locator('tbody tr').first();
      assert.match((await firstRow.textContent()) ?? '', /Deactivated/, 'the newest entry comes first');
      await screenshot(page, '12-deactivated-with-audit');
    });

    await step('Save returns to the registration list, which shows the connector Verified and Inactive', async () => {
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await heading(page, 'Application Connector Registration');
      await visible(page.getByText('Connector “Attendee Directory” saved.'));
      const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Attendee Directory', exact: true }) });
      await visible(row.getByText('Verified', { exact: true }));
      await visible(row.getByText('Inactive', { exact: true }));
      // Modify acts on the selected row.
      const modify = page.getByRole('button', { name: 'Modify', exact: true });
      assert.equal(await modify.isDisabled(), true, 'Modify needs a selected connector');
      await page.getByRole('radio', { name: 'Select Attendee Directory' }).check();
      assert.equal(await modify.isEnabled(), true);
      await screenshot(page, '13-registration-list');
      await modify.click();
      await heading(page, 'Modify Application Connector');
      assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Attendee Directory');
      await signOut(page);
    });

    await step('operator: companies, safe list, users and the company picker', async () => {
      await signIn(page, server!.url, server!.operator);
      await openAdministration(page, 'Companies');
      await heading(page, 'Companies');
      await page.getByLabel('Company Name').fill('Globex Travel');
      await page.getByLabel('Edition').selectOption('DEVELOPER_SANDBOX');
      await page.getByLabel('Development Partner').check();
      await page.getByRole('button', { name: 'Create Company' }).click();
      await visible(page.getByText('Company “Globex Travel” created.'));
      await visible(page.getByRole('link', { name: 'Globex Travel', exact: true }));
      await screenshot(page, '14-companies');

      await page.getByRole('link', { name: 'Safe List of Globex Travel' }).click();
      await heading(page, 'Safe List: Globex Travel');
      await page.getByLabel('Host', { exact: true }).fill('connector.globex.example');
      await page.getByRole('button', { name: 'Add Host' }).click();
      await visible(page.getByRole('rowheader', { name: 'connector.globex.example' }));
      await screenshot(page, '15-safe-list');

      await page.getByRole('navigation', { name: 'Company pages' }).getByRole('link', { name: 'Users' }).click();
      await heading(page, 'Users: Globex Travel');
      await page.getByLabel('Login ID').fill('pat.admin@globex.example');
      await page.getByLabel('Full Name').fill('Pat Admin');
      await page.getByLabel('Password', { exact: true }).fill('globex-password-01');
      await page.getByLabel('Can Administer').check();
      await page.getByRole('button', { name: 'Create User' }).click();
      await visible(page.getByRole('rowheader', { name: 'pat.admin@globex.example' }));
      await visible(page.getByRole('cell', { name: 'Can Administer' }));
      await screenshot(page, '16-users');

      await openAdministration(page, 'Web Services');
      await page.getByRole('link', { name: 'Manage Application Connectors' }).click();
      await heading(page, 'Manage Application Connectors');
      await page.getByLabel('Company', { exact: true }).selectOption({ label: 'Globex Travel' });
      await screenshot(page, '17-company-picker');
      await page.getByRole('button', { name: 'Open' }).click();
      await heading(page, 'Application Connector Registration');
      await visible(page.getByText('Company: Globex Travel'));
      await signOut(page);
    });

    assert.deepEqual(pageErrors, [], 'the console raised no uncaught errors');
  } finally {
    await browser?.close();
    await connector?.close();
    await server?.close();
  }
});
