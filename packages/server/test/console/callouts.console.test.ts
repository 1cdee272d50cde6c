/**
 * Console test: the callouts in the real console, driven in Debian's Chromium against a real patchbay and
 * the real sample connector (examples/sample-connector) over HTTPS with a development CA. The connector is
 * registered and verified through the API; in the console an administrator creates attendee types,
 * configures its four services in the Configure Service window (a Fetch Attendee endpoint without v2.0 is
 * refused on the endpoint field) and sets up a connected list field, a Launch URL field and a text field.
 * The traveler then creates a request in a policy chosen on New Request, searches attendees and adds one,
 * picks a three-level list value (clears it and picks it again), saves the text field, opens the Launch URL
 * field's pop-up and picks a project on the connector's page (which writes the field through Request v4),
 * and submits the request, which the connector approves from its Event Notification (external validation);
 * the request shows read-only afterwards. Last, the administrator reads the Call Log and the Event
 * Notification queue. Full-page screenshots land in test-output/screenshots/ (prefixed 5x-).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { createSampleConnector, type SampleConnector, type SampleConnectorLogEntry } from '@patchbay/sample-connector';
import { startTestServer, type Credentials, type TestServer } from '../support/server.ts';
import { STEP_TIMEOUT_MS, consoleTestReady, heading, launchChromium, openAdministration, screenshotter, signIn, signOut, stepRunner, visible } from '../support/console-browser.ts';
import { createDevCa } from '../support/tls-fixture.ts';
import { signIn as apiSignIn, type ApiClient } from '../support/api-client.ts';
import { createUser } from '../../src/companies/companies.ts';
import { createApplication } from '../../src/identity/applications.ts';
import type { Role } from '../../src/identity/principal.ts';

const PASSWORD = 'callouts-console-password';
// What the connector is registered with (10 to 50 characters each, as Concur requires).
const CONNECTOR_USER = 'sample-connector-console';
const CONNECTOR_PASSWORD = 'sample-connector-secret-42';
/** The Redirect URL of the Launch External URL service, registered with the application. */
const REDIRECT = 'https://localhost/sample-connector/oauth-redirect';
const WORKFLOW = 'Budget-checked Request';

const screenshot = screenshotter('5x-');

/** The row of a table that shows `text`. */
function rowWith(table: Locator, text: string): Locator {
  return table.getByRole('row').filter({ hasText: text });
}

/** The Services table row of one service. */
function serviceRow(page: Page, label: string): Locator {
  return page.getByRole('table', { name: 'Services' }).getByRole('row').filter({ has: page.getByRole('rowheader', { name: label, exact: true }) });
}

/**
 * Reloads the page until `locator` shows (the connector works in the background), checking each time once
 * `loaded` shows (the page has its data); a guard, not a timing assertion.
 */
async function reloadUntilVisible(page: Page, loaded: Locator, locator: Locator, explain: () => string, guardMs = 60_000): Promise<void> {
  const deadline = Date.now() + guardMs;
  for (;;) {
    await visible(loaded);
    if ((await locator.count()) > 0 && (await locator.first().isVisible())) return;
    if (Date.now() > deadline) assert.fail(`gave up waiting (${guardMs} ms guard): ${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.reload();
  }
}

test('console: attendees, a connected list, Launch URL and external validation with the sample connector; call log and notifications', { timeout: 300_000 }, async (t) => {
  if (!consoleTestReady(t)) return;

  const ca = await createDevCa();
  let server: TestServer | undefined;
  let sample: SampleConnector | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  const connectorLog: SampleConnectorLogEntry[] = [];
  try {
    server = await startTestServer({ extraCa: ca.caCert, allowPrivateAddresses: 'loopback' });
    await server.addSafeHost('localhost');
    const baseUrl = server.url;
    const store = server.patchbay.store;
    const companyId = server.companyId;
    const company = `/api/companies/${companyId}`;
    const person = async (loginId: string, name: string, roles: Role[]): Promise<Credentials & { id: string }> => {
      const user = await store.transaction((trx) => createUser(trx, null, { companyId, loginId, name, password: PASSWORD, roles }));
      return { loginId, password: PASSWORD, id: user.id };
    };
    const admin = await person('avery.admin@example.test', 'Avery Admin', ['WEB_SERVICES_ADMINISTRATOR', 'REQUEST_ADMIN']);
    const traveler = await person('taylor.traveler@example.test', 'Taylor Traveler', ['EMPLOYEE']);

    // The application the connector is: it exchanges Launch External URL codes and, with a Company Request
    // Token, gets the company token it approves requests with.
    const { application, clientSecret } = await store.transaction((trx) =>
      createApplication(trx, null, {
        name: 'Sample connector app',
        grants: ['client_credentials', 'password', 'authorization_code', 'refresh_token'],
        scopes: ['travelrequest.write', 'travelrequest.externalsystemworkflow.write'],
        redirectUris: [REDIRECT],
      }),
    );
    const adminApi: ApiClient = await apiSignIn(baseUrl, { loginId: admin.loginId, password: admin.password });
    const token = await adminApi.post(`${company}/request-tokens`, { appId: application.id });
    assert.equal(token.status, 201, JSON.stringify(token.body));

    sample = createSampleConnector({
      credentials: { userName: CONNECTOR_USER, password: CONNECTOR_PASSWORD },
      tls: ca.issue(['localhost', '127.0.0.1']),
      patchbay: { baseUrl, clientId: application.id, clientSecret, redirectUri: REDIRECT, companyId, companyRequestToken: token.body.requestToken as string },
      log: (entry) => connectorLog.push(entry),
    });
    const address = await sample.listen(0, '127.0.0.1');
    const connectorUrl = `https://localhost:${address.port}`;
    const problems = () => JSON.stringify(connectorLog.filter((entry) => entry.level !== 'info').map(({ error: _error, ...entry }) => entry));

    // Registered and verified through the API; the services are configured in the console below.
    const registered = await adminApi.post(`${company}/connectors`, { name: 'Sample connector', description: 'Attendees, destinations, budget check, projects', hostName: connectorUrl, userName: CONNECTOR_USER, password: CONNECTOR_PASSWORD });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const connectorId = registered.body.id as string;
    const tested = await adminApi.post(`${company}/connectors/${connectorId}/test-connection`);
    assert.equal(tested.body?.result?.ok, true, JSON.stringify(tested.body));
    // A default policy whose only step is the connector's external validation.
    const workflow = await adminApi.post(`${company}/workflows`, {
      name: WORKFLOW,
      approvedStepCode: 'REQAPPR',
      steps: [{ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId, notify: true, stepCode: null }],
    });
    assert.equal(workflow.status, 201, JSON.stringify(workflow.body));
    const policy = await adminApi.post(`${company}/request-policies`, { name: 'Budget-checked travel', workflowId: workflow.body.id, isDefault: true });
    assert.equal(policy.status, 201, JSON.stringify(policy.body));
    // A second policy (same workflow): New Request offers the choice, with the default preselected.
    const partnerPolicy = await adminApi.post(`${company}/request-policies`, { name: 'Partner travel', workflowId: workflow.body.id, isDefault: false });
    assert.equal(partnerPolicy.status, 201, JSON.stringify(partnerPolicy.body));

    browser = await launchChromium();
    // The connector's pages are served with the development CA's certificate, which Chromium does not know.
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC', ignoreHTTPSErrors: true });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const pageErrors: string[] = [];
    context.on('page', (opened) => opened.on('pageerror', (error) => pageErrors.push(`${opened.url()}: ${error.message}`)));
    const page = await context.newPage();

    // The steps build on each other: after a failure the rest are skipped (the failure is reported).
    const step = stepRunner(t, page, screenshot);
    let requestUuid = '';
    let requestKey = '';

    await step('admin: attendee types, one allowing manual entry', async () => {
      await signIn(page, baseUrl, admin);
      await openAdministration(page, 'Request Administration');
      await page.getByRole('navigation', { name: 'Request Administration pages' }).getByRole('link', { name: 'Attendee Types' }).click();
      await heading(page, 'Attendee Types');
      await visible(page.getByText('No attendee types yet.'));
      await screenshot(page, '01-attendee-types-empty');

      const form = page.getByRole('form', { name: 'New Attendee Type' });
      await form.getByRole('button', { name: 'Create Attendee Type' }).click();
      await visible(form.getByText('Enter a code of 1 to 8 letters'));
      await form.getByLabel('Code').fill('busguest');
      await form.getByLabel('Name').fill('Business guest');
      await form.getByRole('button', { name: 'Create Attendee Type' }).click();
      await visible(page.getByText('Attendee type BUSGUEST “Business guest” saved.'));
      await form.getByLabel('Code').fill('SPOUSE');
      await form.getByLabel('Name').fill('Spouse or partner');
      assert.equal(await form.getByLabel('Allow manually entered attendees').isChecked(), true);
      await form.getByRole('button', { name: 'Create Attendee Type' }).click();
      await visible(page.getByText('Attendee type SPOUSE “Spouse or partner” saved.'));
      const table = page.getByRole('table', { name: 'Attendee types' });
      await visible(rowWith(table, 'Spouse or partner').getByText('Allowed', { exact: true }));
      await screenshot(page, '02-attendee-types');
    });

    await step('admin: Configure Service for Fetch Attendee (v2.0 only), Fetch List, External Report Validation and Launch External URL', async () => {
      await openAdministration(page, 'Web Services');
      await page.getByRole('link', { name: 'Manage Application Connectors' }).click();
      await heading(page, 'Application Connector Registration');
      await page.getByRole('radio', { name: 'Select Sample connector' }).check();
      await page.getByRole('toolbar', { name: 'Connector actions' }).getByRole('button', { name: 'Modify' }).click();
      await heading(page, 'Modify Application Connector');
      const dialog = page.getByRole('dialog', { name: 'Configure Service' });
      const configure = async (label: string) => {
        await page.getByRole('radio', { name: `Select ${label}` }).check();
        await page.getByRole('button', { name: 'Configure', exact: true }).click();
        await visible(dialog);
        await dialog.getByLabel('Active', { exact: true }).check();
      };
      const save = async () => {
        await dialog.getByRole('button', { name: 'Save', exact: true }).click();
        await dialog.waitFor({ state: 'hidden' });
      };

      // Fetch Attendee: the attendee types are picked from the company's; a v1.0 endpoint is refused with the reason.
      await configure('Fetch Attendee');
      await dialog.getByLabel('Endpoint').fill('/attendee/v1.0/find');
      await dialog.getByLabel('Business guest (BUSGUEST)').check();
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();
      const endpoint = dialog.getByRole('textbox', { name: 'Endpoint' });
      await visible(dialog.locator('.field-invalid').getByText(/v2\.0/));
      assert.equal(await endpoint.getAttribute('aria-invalid'), 'true');
      await screenshot(page, '03-fetch-attendee-v1-refused');
      await endpoint.fill('/attendee/v2.0/find');
      await save();
      await visible(serviceRow(page, 'Fetch Attendee').getByText('Usable', { exact: true }));

      await configure('Fetch List');
      await dialog.getByLabel('Endpoint').fill('/list/v1.2/fetch');
      await dialog.getByRole('button', { name: 'Add List' }).click();
      await dialog.getByLabel('List Name, list 1').fill('Destinations');
      await dialog.getByLabel('List Category, list 1').fill('Locations');
      await dialog.getByLabel('Language Code, list 1').fill('en');
      await dialog.getByLabel('Connected List Level, list 1').fill('3');
      await save();
      await visible(serviceRow(page, 'Fetch List').getByText('Usable', { exact: true }));

      // External Report Validation: the workflow's Submit step is ticked from the company's workflows.
      await configure('External Report Validation');
      await dialog.getByLabel('Endpoint').fill('/concur/v1.0/notify');
      const workflows = dialog.getByRole('table', { name: 'Workflows notifying the connector' });
      await visible(rowWith(workflows, WORKFLOW).getByText('Uses this connector'));
      await dialog.getByLabel(`External Validation - Submit, ${WORKFLOW}`).check();
      await screenshot(page, '04-external-report-validation');
      await save();
      await visible(serviceRow(page, 'External Report Validation').getByText('Usable', { exact: true }));

      await configure('Launch External URL');
      await dialog.getByLabel('Endpoint').fill('/request/launchexternalurl/v4/form');
      await dialog.getByLabel('Service Version').selectOption('V4');
      await dialog.getByLabel('Client ID').fill(application.id);
      await dialog.getByLabel('Redirect URL').fill(REDIRECT);
      await screenshot(page, '05-launch-external-url');
      await save();
      await visible(serviceRow(page, 'Launch External URL').getByText('Usable', { exact: true }));
      await screenshot(page, '06-services-configured');

      const saved = await adminApi.get(`${company}/connectors/${connectorId}`);
      const settings = Object.fromEntries((saved.body.services as Array<{ service: string; settings: unknown }>).map((service) => [service.service, service.settings]));
      assert.deepEqual(settings['fetch-attendee'], { attendeeTypes: ['BUSGUEST'] });
      assert.deepEqual(settings['external-report-validation'], { workflows: [{ workflowId: workflow.body.id, steps: ['SUBMIT'] }] });

      // The bound type now searches the connector and allows no manual attendees.
      await openAdministration(page, 'Request Administration');
      await page.getByRole('navigation', { name: 'Request Administration pages' }).getByRole('link', { name: 'Attendee Types' }).click();
      const busGuest = rowWith(page.getByRole('table', { name: 'Attendee types' }), 'Business guest');
      await visible(busGuest.getByText('Manual entry not allowed'));
      await visible(busGuest.getByText('Sample connector'));
      await screenshot(page, '07-attendee-types-bound');
    });

    await step('admin: form fields — a three-level list, a Launch URL button and a text field', async () => {
      await page.getByRole('navigation', { name: 'Request Administration pages' }).getByRole('link', { name: 'Form Fields' }).click();
      await heading(page, 'Form Fields');
      await visible(page.getByText('No form fields yet.'));
      const form = page.getByRole('form', { name: 'New Form Field' });
      await form.getByLabel('Custom Field').selectOption('custom1');
      await form.getByLabel('Label').fill('Destination');
      await form.getByLabel('Kind').selectOption('LIST');
      assert.equal(await form.getByLabel('Application Connector').inputValue(), connectorId);
      await form.getByLabel('List', { exact: true }).selectOption('Destinations');
      await screenshot(page, '08-new-list-field');
      await form.getByRole('button', { name: 'Create Form Field' }).click();
      await visible(page.getByText('Form field “Destination” saved on custom1.'));

      await form.getByLabel('Custom Field').selectOption('custom2');
      await form.getByLabel('Label').fill('Cost object');
      await form.getByLabel('Kind').selectOption('LAUNCH_URL');
      await form.getByLabel('Pop-up Width').fill('100');
      await form.getByRole('button', { name: 'Create Form Field' }).click();
      await visible(form.getByText('Enter a whole number of pixels from 200 to 4000.'));
      await form.getByLabel('Pop-up Width').fill('640');
      await form.getByLabel('Pop-up Height').fill('560');
      await form.getByRole('button', { name: 'Create Form Field' }).click();
      await visible(page.getByText('Form field “Cost object” saved on custom2.'));

      await form.getByLabel('Custom Field').selectOption('custom3');
      await form.getByLabel('Label').fill('Trip reference');
      await form.getByRole('button', { name: 'Create Form Field' }).click();
      await visible(page.getByText('Form field “Trip reference” saved on custom3.'));

      const table = page.getByRole('table', { name: 'Form fields' });
      await visible(rowWith(table, 'Destination').getByText('3 levels', { exact: false }));
      await visible(rowWith(table, 'Cost object').getByText('Pop-up 640 × 560 px'));
      await screenshot(page, '09-form-fields');
      await signOut(page);
    });

    await step('traveler: a new request in a chosen policy; attendee search, add a result, and no manual entry for a searched type', async () => {
      await signIn(page, baseUrl, traveler);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Requests' }).click();
      await page.getByRole('button', { name: 'New Request' }).click();
      await heading(page, 'New Request');
      await page.getByLabel('Request Name').fill('Customer visit Munich');
      const policyChoice = await visible(page.getByLabel('Policy', { exact: true }));
      assert.equal(await policyChoice.inputValue(), policy.body.id, 'the default policy is preselected');
      await policyChoice.selectOption({ label: 'Partner travel' });
      await screenshot(page, '10a-new-request-policy');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await heading(page, 'Customer visit Munich');
      requestUuid = /\/requests\/([0-9A-F]{32})$/.exec(page.url())?.[1] ?? '';
      requestKey = ((await page.locator('.request-line strong.mono').textContent()) ?? '').trim();
      assert.match(requestUuid, /^[0-9A-F]{32}$/);
      const created = await store.db.selectFrom('requests').select('policy_id').where('id', '=', requestUuid).executeTakeFirstOrThrow();
      assert.equal(created.policy_id.toUpperCase(), (partnerPolicy.body.id as string).toUpperCase(), 'the request follows the chosen policy');

      const attendees = page.getByRole('region', { name: 'Attendees' });
      await visible(attendees.getByText('No attendees yet.'));
      assert.equal(await attendees.getByLabel('Attendee Type').inputValue(), 'BUSGUEST');
      assert.equal(await attendees.getByRole('form', { name: /by hand/ }).count(), 0, 'a searched type has no manual entry');
      const search = attendees.getByRole('form', { name: 'Search Business guest attendees' });
      await search.getByRole('button', { name: 'Search' }).click();
      await visible(search.getByText('Enter at least one of first name'));
      await search.getByLabel('Last Name').fill('Mill');
      await search.getByRole('button', { name: 'Search' }).click();
      const results = attendees.getByRole('table', { name: 'Search results' });
      await visible(results.getByRole('rowheader', { name: 'Chris Miller' }));
      await visible(results.getByRole('rowheader', { name: 'Christine Millward' }));
      // Maria Miller is a spouse, not a business guest: the connector searches the chosen type only.
      assert.equal(await results.getByText('Maria Miller').count(), 0);
      await screenshot(page, '10-attendee-search');
      await results.getByRole('button', { name: 'Add Chris Miller' }).click();
      await visible(attendees.getByText('Chris Miller added to the request.'));
      const list = attendees.getByRole('table', { name: 'Attendees of the request' });
      await visible(rowWith(list, 'Chris Miller').getByText('BG-1001'));

      // A type that allows manual entry shows the manual form instead of a search.
      await attendees.getByLabel('Attendee Type').selectOption('SPOUSE');
      const manual = attendees.getByRole('form', { name: 'Add a Spouse or partner attendee by hand' });
      await manual.getByLabel('First Name').fill('Pat');
      await manual.getByLabel('Last Name').fill('Doe');
      await manual.getByRole('button', { name: 'Add Attendee' }).click();
      await visible(rowWith(list, 'Pat Doe').getByText('Entered by hand'));
      await list.getByRole('button', { name: 'Remove Pat Doe' }).click();
      await visible(attendees.getByText('Pat Doe removed from the request.'));
      assert.equal(await rowWith(list, 'Pat Doe').count(), 0);
      await screenshot(page, '11-attendees');

      const stored = await store.db.selectFrom('request_attendees').select(['external_id', 'last_name', 'company']).where('request_id', '=', requestUuid).execute();
      assert.deepEqual(stored.map((row) => ({ ...row })), [{ external_id: 'BG-1001', last_name: 'Miller', company: 'Len Dev' }]);
    });

    await step('traveler: a three-level list value, level by level with type-ahead', async () => {
      const fields = page.getByRole('region', { name: 'Request Fields' });
      const level = (n: number) => fields.getByRole('combobox', { name: `Destination, level ${n} of 3` });
      assert.equal(await level(2).isDisabled(), true, 'level 2 waits for level 1');
      await level(1).click();
      await visible(fields.getByRole('option', { name: /^United States/ }));
      await level(1).fill('ger');
      // Typing narrows the list: the other countries go.
      await fields.getByRole('option', { name: /^United States/ }).waitFor({ state: 'detached' });
      await visible(fields.getByRole('option', { name: /^Germany/ }));
      await screenshot(page, '12-list-level-1');
      await fields.getByRole('option', { name: /^Germany/ }).click();
      // The next level opens with every item under Germany.
      await visible(fields.getByRole('option', { name: /^Süd/ }));
      await visible(fields.getByRole('option', { name: /^Nord/ }));
      await fields.getByRole('option', { name: /^Süd/ }).click();
      await level(3).fill('mün');
      await fields.getByRole('option', { name: /^Stuttgart/ }).waitFor({ state: 'detached' });
      await visible(fields.getByRole('option', { name: /^München/ }));
      await level(3).press('Enter');
      await visible(page.getByText('Destination set to München.'));
      await visible(fields.getByText('München'));
      await visible(fields.getByText('(DE-S-MUC)'));
      await screenshot(page, '13-list-chosen');
      const customFields = async () => {
        const row = await store.db.selectFrom('requests').select('custom_fields').where('id', '=', requestUuid).executeTakeFirstOrThrow();
        return JSON.parse(row.custom_fields) as Record<string, unknown>;
      };
      assert.deepEqual((await customFields())['custom1'], { code: 'DE-S-MUC', value: 'München' });

      // A chosen value can be cleared; the levels then start afresh, and the value is chosen again.
      await fields.getByRole('button', { name: 'Clear Destination' }).click();
      await visible(page.getByText('Destination cleared.'));
      await visible(level(1));
      assert.equal(await level(1).inputValue(), '');
      assert.equal((await customFields())['custom1'], undefined, 'the value is removed from the request');
      await level(1).fill('ger');
      await fields.getByRole('option', { name: /^Germany/ }).click();
      await fields.getByRole('option', { name: /^Süd/ }).click();
      await level(3).fill('mün');
      await fields.getByRole('option', { name: /^Stuttgart/ }).waitFor({ state: 'detached' });
      await fields.getByRole('option', { name: /^München/ }).click();
      await visible(page.getByText('Destination set to München.'));
      await visible(fields.getByText('(DE-S-MUC)'));
      assert.deepEqual((await customFields())['custom1'], { code: 'DE-S-MUC', value: 'München' });
    });

    await step('traveler: a text field is saved with Save Fields', async () => {
      const fields = page.getByRole('region', { name: 'Request Fields' });
      await fields.getByLabel('Trip reference').fill('TR-2024-017');
      await fields.getByRole('button', { name: 'Save Fields' }).click();
      await visible(page.getByText('Request fields saved.'));
      const row = await store.db.selectFrom('requests').select('custom_fields').where('id', '=', requestUuid).executeTakeFirstOrThrow();
      const custom = JSON.parse(row.custom_fields) as Record<string, unknown>;
      assert.deepEqual(custom['custom3'], { value: 'TR-2024-017' });
      assert.deepEqual(custom['custom1'], { code: 'DE-S-MUC', value: 'München' }, 'saving the text fields keeps the list value');
      await page.reload();
      await heading(page, 'Customer visit Munich');
      assert.equal(await (await visible(fields.getByLabel('Trip reference'))).inputValue(), 'TR-2024-017');
    });

    await step('traveler: the Launch URL button saves, opens the connector page in a pop-up, and the value shows once it closes', async () => {
      const fields = page.getByRole('region', { name: 'Request Fields' });
      const [popup] = await Promise.all([page.waitForEvent('popup'), fields.getByRole('button', { name: 'Cost object', exact: true }).click()]);
      await popup.waitForURL(/\/request\/launchexternalurl\/v4\/form\?/);
      await visible(popup.getByRole('heading', { name: 'Choose a project' }));
      await visible(popup.getByText('Customer visit Munich'));
      await visible(fields.getByText('Complete the window; the request reloads when it closes.'));
      await screenshot(popup, '14-launch-popup');
      await popup.getByRole('radio', { name: /PRJ-1001/ }).check();
      const closed = popup.waitForEvent('close');
      await popup.getByRole('button', { name: 'Save' }).click();
      // The connector's answer page closes the window itself.
      await closed.catch(async (error: unknown) => {
        await screenshot(popup, 'failure-popup').catch(() => {});
        throw new Error(`the pop-up did not close (${String(error)}); it shows: ${(await popup.textContent('body').catch(() => ''))?.slice(0, 500)}; connector log: ${problems()}`);
      });
      await visible(page.getByText('The Cost object window closed; the request was reloaded.'));
      const costObject = fields.getByRole('group', { name: 'Cost object' });
      await visible(costObject.getByText('Apollo ERP rollout'));
      await visible(costObject.getByText('(PRJ-1001)'));
      await screenshot(page, '15-launch-value');
      const row = await store.db.selectFrom('requests').select('custom_fields').where('id', '=', requestUuid).executeTakeFirstOrThrow();
      const custom = JSON.parse(row.custom_fields) as Record<string, unknown>;
      assert.deepEqual(custom['custom2'], { code: 'PRJ-1001', value: 'Apollo ERP rollout' }, problems());
      assert.deepEqual(custom['custom1'], { code: 'DE-S-MUC', value: 'München' }, 'the connector kept the list value');
      assert.deepEqual(custom['custom3'], { value: 'TR-2024-017' }, 'the connector kept the text value');
    });

    await step('traveler: submit; the connector approves from its Event Notification; the request is read-only', async () => {
      await page.getByRole('toolbar', { name: 'Request actions' }).getByRole('button', { name: 'Submit' }).click();
      await visible(page.getByText(new RegExp(`Request ${requestKey} submitted`)));
      await screenshot(page, '16-submitted');
      await reloadUntilVisible(page, page.locator('.request-line'), page.locator('.request-line').getByText('Approved', { exact: true }), () => `the request was not approved; connector log: ${problems()}`);
      await heading(page, 'Customer visit Munich');
      const fields = page.getByRole('region', { name: 'Request Fields' });
      await visible(fields.getByText('München'));
      await visible(fields.getByText('Apollo ERP rollout'));
      await visible(fields.getByText('TR-2024-017'));
      assert.equal(await fields.getByRole('combobox').count(), 0, 'no list pickers once submitted');
      assert.equal(await fields.getByRole('textbox').count(), 0, 'no text boxes once submitted');
      assert.equal(await fields.getByRole('button').count(), 0, 'no buttons once submitted');
      const attendees = page.getByRole('region', { name: 'Attendees' });
      await visible(rowWith(attendees.getByRole('table', { name: 'Attendees of the request' }), 'Chris Miller'));
      assert.equal(await attendees.getByRole('button').count(), 0, 'no Add or Remove once submitted');
      assert.equal(await attendees.getByRole('form').count(), 0, 'no search once submitted');
      await screenshot(page, '17-approved-read-only');
      const decision = sample!.validations.find((record) => record.requestUuid?.toUpperCase() === requestUuid);
      assert.equal(decision?.outcome, 'approved', JSON.stringify(sample!.validations));
      await signOut(page);
    });

    await step('admin: the Call Log with its filter and excerpts, and the empty notification queue', async () => {
      await signIn(page, baseUrl, admin);
      await openAdministration(page, 'Web Services');
      await page.getByRole('link', { name: 'Call Log' }).click();
      await heading(page, 'Call Log');
      const table = page.getByRole('table', { name: 'Call log' });
      await visible(table.getByText('Event Notification').first());
      await visible(table.getByText('Fetch List').first());
      await page.getByLabel('Service').selectOption('fetch-attendee');
      // The filtered page replaces the whole list: the other services' calls go.
      await table.getByRole('cell', { name: 'Fetch List', exact: true }).first().waitFor({ state: 'detached' });
      await table.getByRole('cell', { name: 'Event Notification', exact: true }).first().waitFor({ state: 'detached' });
      await visible(table.getByRole('cell', { name: 'Fetch Attendee', exact: true }));
      const details = table.getByRole('button', { name: /^Show details of call/ }).first();
      await details.click();
      await visible(table.getByLabel(/^Request excerpt of call/).getByText(/<AttendeeSearchRequest>/));
      await visible(table.getByLabel(/^Response excerpt of call/).getByText(/<AttendeeSearchResponse/));
      assert.ok(!((await table.textContent()) ?? '').includes(CONNECTOR_PASSWORD), 'credentials are never logged');
      await screenshot(page, '18-call-log');

      await openAdministration(page, 'Web Services');
      await page.getByRole('link', { name: 'Event Notifications' }).click();
      await heading(page, 'Event Notifications');
      await visible(page.getByText('The queue is empty: every notification was delivered.'));
      await page.getByLabel('Status').selectOption('FAILED');
      await visible(page.getByText('No failed notifications.'));
      await screenshot(page, '19-event-notifications');
    });

    assert.deepEqual(pageErrors, [], 'no uncaught errors in the console or the pop-up');
  } finally {
    await context?.close();
    await browser?.close();
    await sample?.close();
    await server?.close();
  }
});
