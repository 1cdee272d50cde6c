/**
 * Console test: drives the real console in Debian's Chromium against a real patchbay through the
 * identity flows. An operator registers an OAuth2 application (the client secret is shown once),
 * rotates the JWT signing key, switches the application off and on and rotates its secret; the company
 * admin creates a Company Request Token, which the test redeems over real HTTP at /oauth2/v0/token;
 * App Connections then lists the application, and Disconnect revokes the company's refresh token.
 * Full-page screenshots land in test-output/screenshots/ at the repository root (prefixed 2x-).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.ts';
import { consoleTestReady, heading, launchChromium, openAdministration, openConsolePage, screenshotter, signIn, signOut, stepRunner, visible } from '../support/console-browser.ts';

const APP_NAME = 'Expense Sync';
const SCOPES = 'events.topic.read travelrequest.write';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A form-encoded request to Concur's token endpoint, over real HTTP. */
async function tokenRequest(baseUrl: string, params: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: await response.json() };
}

const screenshot = screenshotter('2x-');

test('console: applications, signing key, Company Request Token, App Connections and Disconnect', { timeout: 180_000 }, async (t) => {
  if (!consoleTestReady(t)) return;

  let server: TestServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startTestServer();
    const baseUrl = server.url;
    browser = await launchChromium();
    const { page, pageErrors } = await openConsolePage(browser, { permissions: ['clipboard-read', 'clipboard-write'], origin: new URL(baseUrl).origin });

    // The steps build on each other: after a failure the rest are skipped (the failure is reported).
    const step = stepRunner(t, page, screenshot);

    let clientId = '';
    let clientSecret = '';
    let requestToken = '';
    let refreshToken = '';

    await step('operator: New Application shows the client secret once', async () => {
      await signIn(page, baseUrl, server!.operator);
      await openAdministration(page, 'Applications', () => screenshot(page, '01-administration-menu'));
      await heading(page, 'Applications');
      await visible(page.getByText('No applications are registered yet.'));
      await screenshot(page, '02-applications-empty');

      await page.getByRole('button', { name: 'New Application', exact: true }).click();
      await heading(page, 'New Application');
      // Submitting without a grant is refused before anything reaches the server.
      await page.getByLabel('Application Name').fill(APP_NAME);
      await page.getByRole('button', { name: 'Register Application' }).click();
      await visible(page.getByText('Choose at least one grant.'));

      for (const grant of ['client_credentials', 'password', 'refresh_token']) await page.getByLabel(grant, { exact: true }).check();
      assert.equal(await page.getByLabel('authorization_code', { exact: true }).isChecked(), false);
      await page.getByLabel('Scopes').fill(SCOPES);
      await page.getByLabel('Redirect URIs').fill('https://expense-sync.example.com/callback');
      await screenshot(page, '03-new-application');
      await page.getByRole('button', { name: 'Register Application' }).click();

      await visible(page.getByText(`Application “${APP_NAME}” registered.`));
      await visible(page.getByText('Copy the client secret now: it will not be shown again.'));
      clientId = await page.getByLabel('Client ID', { exact: true }).inputValue();
      clientSecret = await page.getByLabel('Client Secret', { exact: true }).inputValue();
      assert.match(clientId, UUID);
      assert.match(clientSecret, /^pbcs_[A-Za-z0-9_-]{20,}$/);

      await page.getByRole('button', { name: 'Copy Client Secret' }).click();
      await visible(page.getByText('Client Secret copied to the clipboard.'));
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), clientSecret, 'Copy put the secret on the clipboard');
      await screenshot(page, '04-client-secret-once');

      // The secret read from the page works.
      const appToken = await tokenRequest(baseUrl, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
      assert.equal(appToken.status, 200, JSON.stringify(appToken.body));
      assert.equal(appToken.body.scope, SCOPES);
    });

    await step('operator: the list shows the application; Rotate Signing Key after a confirmation', async () => {
      await page.getByRole('link', { name: 'Back to Applications' }).click();
      await heading(page, 'Applications');
      const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: APP_NAME, exact: true }) });
      await visible(row.getByText(clientId, { exact: true }));
      await visible(row.getByText('client_credentials, password, refresh_token', { exact: true }));
      await visible(row.getByText(SCOPES, { exact: true }));
      await visible(row.getByText('Active', { exact: true }));

      const before = (await (await fetch(`${baseUrl}/oauth2/v0/jwks`)).json()) as { keys: { kid: string }[] };
      await page.getByRole('button', { name: 'Rotate Signing Key' }).click();
      const confirm = page.getByRole('alertdialog', { name: 'Rotate the JWT signing key?' });
      await visible(confirm);
      await screenshot(page, '05-rotate-signing-key-confirm');
      await confirm.getByRole('button', { name: 'Rotate Key', exact: true }).click();
      await confirm.waitFor({ state: 'hidden' });
      const notice = await visible(page.getByRole('status').filter({ hasText: 'JWT signing key rotated' }));
      const text = (await notice.first().textContent()) ?? '';
      const kid = /new key id (\S+);/.exec(text)?.[1];
      assert.ok(kid, `the notice names the new key id: ${text}`);
      assert.match(text, /the previous key keeps verifying until its tokens expire/);
      const after = (await (await fetch(`${baseUrl}/oauth2/v0/jwks`)).json()) as { keys: { kid: string }[] };
      assert.ok(after.keys.some((key) => key.kid === kid), 'the new key is published');
      for (const key of before.keys) assert.ok(after.keys.some((k) => k.kid === key.kid), 'the previous key still verifies');
      await screenshot(page, '06-applications');
    });

    await step('operator: the application page switches Active off and on, and Rotate Secret issues a new secret', async () => {
      await page.getByRole('link', { name: APP_NAME, exact: true }).click();
      await heading(page, APP_NAME);
      assert.equal(await page.getByLabel('Application Name').inputValue(), APP_NAME);
      assert.equal(await page.getByLabel('Scopes').inputValue(), SCOPES);
      assert.equal(await page.getByLabel('password', { exact: true }).isChecked(), true);
      await screenshot(page, '07-application');

      const active = page.getByLabel('Active', { exact: true });
      await active.uncheck();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await visible(page.getByText('Application saved. It is inactive'));
      await visible(page.locator('.page-title-row').getByText('Inactive', { exact: true }));
      const disabled = await tokenRequest(baseUrl, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
      assert.equal(disabled.status, 403, JSON.stringify(disabled.body));
      await active.check();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await visible(page.getByRole('status').filter({ hasText: /^Application saved\.$/ }));
      await visible(page.locator('.page-title-row').getByText('Active', { exact: true }));

      await page.getByRole('button', { name: 'Rotate Secret', exact: true }).click();
      const confirm = page.getByRole('alertdialog', { name: 'Rotate the client secret?' });
      await visible(confirm.getByText('stops working at once'));
      await screenshot(page, '08-rotate-secret-confirm');
      await confirm.getByRole('button', { name: 'Rotate Secret', exact: true }).click();
      await confirm.waitFor({ state: 'hidden' });
      await visible(page.getByRole('heading', { name: 'New client secret' }));
      const newSecret = await page.getByLabel('Client Secret', { exact: true }).inputValue();
      assert.notEqual(newSecret, clientSecret);
      await screenshot(page, '09-new-client-secret');

      const old = await tokenRequest(baseUrl, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
      assert.equal(old.status, 401, 'the old secret stopped working');
      assert.equal(old.body.error, 'invalid_client');
      clientSecret = newSecret;
      const fresh = await tokenRequest(baseUrl, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      await signOut(page);
    });

    await step('company admin: Company Request Token for the App ID', async () => {
      await signIn(page, baseUrl, server!.admin);
      await openAdministration(page, 'Web Services');
      await heading(page, 'Web Services');
      await visible(page.getByRole('link', { name: 'Manage Application Connectors' }));
      await screenshot(page, '10-web-services');

      await page.getByRole('link', { name: 'Company Request Token' }).click();
      await heading(page, 'Company Request Token');
      assert.ok(page.url().endsWith(`/admin/web-services/request-token/${server!.companyId}`), page.url());
      await visible(page.locator('.context-line').getByText(server!.companyId, { exact: true }));
      await page.getByLabel('App ID').fill('not-an-app-id');
      await page.getByRole('button', { name: 'Submit', exact: true }).click();
      await visible(page.getByText('An App ID is a UUID'));
      await page.getByLabel('App ID').fill(clientId);
      await screenshot(page, '11-request-token-form');
      await page.getByRole('button', { name: 'Submit', exact: true }).click();

      await visible(page.getByRole('heading', { name: 'Request token created' }));
      requestToken = await page.getByLabel('Request Token', { exact: true }).inputValue();
      assert.match(requestToken, UUID);
      assert.equal(await page.getByLabel('Company UUID', { exact: true }).inputValue(), server!.companyId);
      await visible(page.getByText('single use, valid for 24 hours'));
      const parameters = page.getByRole('table', { name: 'Token request parameters' });
      await visible(parameters.getByRole('cell', { name: 'authtoken', exact: true }));
      await screenshot(page, '12-request-token');
    });

    await step('partner: the request token is exchanged at /oauth2/v0/token for company tokens', async () => {
      const exchange = await tokenRequest(baseUrl, {
        grant_type: 'password',
        credtype: 'authtoken',
        client_id: clientId,
        client_secret: clientSecret,
        username: server!.companyId,
        password: requestToken,
      });
      assert.equal(exchange.status, 200, JSON.stringify(exchange.body));
      assert.equal(typeof exchange.body.access_token, 'string');
      assert.equal(typeof exchange.body.refresh_token, 'string');
      assert.equal(exchange.body.scope, SCOPES);
      refreshToken = exchange.body.refresh_token;

      const again = await tokenRequest(baseUrl, { grant_type: 'password', credtype: 'authtoken', client_id: clientId, client_secret: clientSecret, username: server!.companyId, password: requestToken });
      assert.equal(again.status, 400, 'a request token is single use');
      const refreshed = await tokenRequest(baseUrl, { grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    });

    await step('company admin: App Connections lists the app; Disconnect revokes its refresh token', async () => {
      await page.getByRole('link', { name: 'App Connections' }).click();
      await heading(page, 'App Connections');
      const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: APP_NAME, exact: true }) });
      await visible(row.getByText(clientId, { exact: true }));
      // Connected By names the admin who created the request token, as the user box shows them.
      const adminName = ((await page.locator('.userbox-name').textContent()) ?? '').split(' · ')[0]!.trim();
      assert.notEqual(adminName, '');
      await visible(row.getByRole('cell', { name: adminName, exact: true }));
      await screenshot(page, '13-app-connections');

      await row.getByRole('button', { name: `Disconnect ${APP_NAME}` }).click();
      const confirm = page.getByRole('alertdialog', { name: 'Disconnect application?' });
      await visible(confirm.getByText('the app’s company tokens stop working at once'));
      await screenshot(page, '14-disconnect-confirm');
      await confirm.getByRole('button', { name: 'Disconnect', exact: true }).click();
      await confirm.waitFor({ state: 'hidden' });
      await visible(page.getByText(`${APP_NAME} disconnected.`));
      await visible(page.getByText('No applications are connected to this company.'));
      await screenshot(page, '15-app-connections-empty');

      const refused = await tokenRequest(baseUrl, { grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.error, 'invalid_grant');
      await signOut(page);
    });

    await step('operator: Company Request Token and App Connections go through the company picker', async () => {
      await signIn(page, baseUrl, server!.operator);
      await openAdministration(page, 'Web Services');
      await page.getByRole('link', { name: 'App Connections' }).click();
      await heading(page, 'App Connections');
      await visible(page.getByText('Choose the company whose connected applications you want to see.'));
      await screenshot(page, '16-connections-company-picker');
      await page.getByRole('button', { name: 'Open' }).click();
      await heading(page, 'App Connections');
      await visible(page.getByText('No applications are connected to this company.'));
      await visible(page.getByRole('link', { name: 'Choose another company' }));
      await signOut(page);
    });

    assert.deepEqual(pageErrors, [], 'the console raised no uncaught errors');
  } finally {
    await browser?.close();
    await server?.close();
  }
});
