// The standalone connector's configuration: flags over environment over defaults, --demo's values, and
// errors that name the flag and the variable.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, DEMO_DEFAULTS, helpText, loadConfig, OPTIONS, wantsHelp } from '../src/config.ts';

const REQUIRED = ['--patchbay-url', 'https://localhost:8443', '--client-id', 'client', '--client-secret', 'secret', '--redirect-uri', 'https://c.example/cb', '--user-name', 'sample-user-1', '--password', 'sample-password-1'];

describe('loadConfig', () => {
  test('defaults, then the environment, then flags', () => {
    const config = loadConfig(REQUIRED, {}, '/work');
    assert.equal(config.port, 8444);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.budgetLimit, 5000);
    assert.equal(config.certsDir, join('/work', '.patchbay', 'dev-ca'));
    assert.deepEqual(config.hostnames, ['localhost', '127.0.0.1', '::1']);
    assert.equal(config.companyId, null);
    assert.ok(Object.isFrozen(config));

    const fromEnv = loadConfig(REQUIRED, { SAMPLE_CONNECTOR_PORT: '9000', SAMPLE_CONNECTOR_BUDGET_LIMIT: '1200.5', SAMPLE_CONNECTOR_HOSTNAMES: 'localhost, connector.test' }, '/work');
    assert.equal(fromEnv.port, 9000);
    assert.equal(fromEnv.budgetLimit, 1200.5);
    assert.deepEqual(fromEnv.hostnames, ['localhost', 'connector.test']);
    assert.equal(loadConfig([...REQUIRED, '--port', '9100'], { SAMPLE_CONNECTOR_PORT: '9000' }, '/work').port, 9100);
  });

  test('--demo fills what is unset with npm start\'s demo values', () => {
    const config = loadConfig(['--demo', '--client-secret', 'mine'], {}, '/work');
    assert.equal(config.patchbayUrl, DEMO_DEFAULTS.patchbayUrl);
    assert.equal(config.clientId, DEMO_DEFAULTS.clientId);
    assert.equal(config.clientSecret, 'mine');
    assert.equal(config.userName, DEMO_DEFAULTS.userName);
    assert.equal(loadConfig([], { SAMPLE_CONNECTOR_DEMO: 'true' }, '/work').password, DEMO_DEFAULTS.password);
  });

  test('bad, missing and half-given values fail with the flag and the variable named', () => {
    assert.throws(() => loadConfig([], {}, '/work'), (error: unknown) => error instanceof ConfigError && /--patchbay-url \(SAMPLE_CONNECTOR_PATCHBAY_URL\) is required/.test(error.message));
    assert.throws(() => loadConfig([...REQUIRED, '--port', 'eighty'], {}, '/work'), /--port \(SAMPLE_CONNECTOR_PORT\) must be an integer/);
    assert.throws(() => loadConfig([...REQUIRED, '--budget-limit', '-1'], {}, '/work'), /--budget-limit/);
    assert.throws(() => loadConfig([...REQUIRED, '--cert-file', 'a.pem'], {}, '/work'), /--cert-file \(SAMPLE_CONNECTOR_CERT_FILE\) and --key-file \(SAMPLE_CONNECTOR_KEY_FILE\)/);
    assert.throws(() => loadConfig(REQUIRED, { SAMPLE_CONNECTOR_COMPANY_ID: 'c' }, '/work'), /--company-request-token/);
    assert.throws(() => loadConfig([...REQUIRED, '--no-such-flag'], {}, '/work'), /--help/);
    assert.throws(() => loadConfig(REQUIRED, { SAMPLE_CONNECTOR_DEMO: 'maybe' }, '/work'), /--demo \(SAMPLE_CONNECTOR_DEMO\) must be true or false/);
  });

  test('--help lists every flag and variable', () => {
    assert.ok(wantsHelp(['--port', 'x', '--help']));
    const help = helpText();
    for (const option of OPTIONS) {
      assert.ok(help.includes(option.flag), option.flag);
      assert.ok(help.includes(option.env), option.env);
    }
  });

  test('main.ts prints the help and exits 0, and exits 2 naming a missing option', () => {
    const main = join(import.meta.dirname, '..', 'src', 'main.ts');
    assert.match(execFileSync(process.execPath, [main, '--help'], { encoding: 'utf8' }), /SAMPLE_CONNECTOR_PATCHBAY_URL/);
    assert.throws(() => execFileSync(process.execPath, [main], { encoding: 'utf8', stdio: 'pipe', env: { PATH: process.env.PATH ?? '' } }), (error: unknown) => {
      const failure = error as { status?: number; stderr?: string };
      return failure.status === 2 && /--patchbay-url/.test(failure.stderr ?? '');
    });
  });
});
