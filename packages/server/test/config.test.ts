/**
 * `loadConfig`: the defaults, the order flags > environment > config file > defaults, both flag forms,
 * boolean flags, and errors that name the flag, variable or file entry at fault. Pure unit tests: no
 * server, only temporary config files.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, OPTIONS, describeOptions, loadConfig } from '../src/config.ts';

const CWD = mkdtempSync(path.join(tmpdir(), 'patchbay-config-'));
after(() => rmSync(CWD, { recursive: true, force: true }));

let files = 0;
/** Writes `content` (JSON-encoded unless a string) to a new file under CWD and returns its path. */
function configFile(content: unknown): string {
  const file = path.join(CWD, `config-${++files}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** Asserts `loadConfig` fails with a ConfigError whose message contains every one of `names`. */
function assertConfigError(argv: string[], env: Record<string, string>, names: string[]): void {
  assert.throws(
    () => loadConfig(argv, env, CWD),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      for (const name of names) assert.ok(error.message.includes(name), `"${error.message}" should name ${name}`);
      return true;
    },
  );
}

const KEY = randomBytes(32).toString('base64');

describe('loadConfig defaults', () => {
  test('with no flags, variables or file', () => {
    const config = loadConfig([], {}, CWD);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.publicUrl, 'http://127.0.0.1:8080');
    assert.equal(config.dataDir, path.join(CWD, 'data'));
    assert.equal(config.databaseUrl, null, 'no database URL means SQLite in the data directory');
    assert.equal(config.secretKey, null);
    assert.equal(config.secretKeyFile, path.join(CWD, 'data', 'secret.key'));
    assert.equal(config.extraCaFile, null);
    assert.equal(config.allowPrivateAddresses, 'none');
    assert.equal(config.cookieSecure, false);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.demo, false);
    assert.equal(config.outboundTimeoutMs, 10_000);
    assert.equal(config.bodyLimitBytes, 1_048_576);
    assert.equal(config.sessionTtlHours, 12);
    assert.equal(config.shutdownTimeoutMs, 10_000);
  });

  test('a relative data directory resolves against cwd, and the key file lives in it', () => {
    const config = loadConfig(['--data-dir', 'state/here'], {}, CWD);
    assert.equal(config.dataDir, path.join(CWD, 'state', 'here'));
    assert.equal(config.secretKeyFile, path.join(CWD, 'state', 'here', 'secret.key'));
  });

  test('--demo allows loopback connectors unless the policy is given', () => {
    assert.equal(loadConfig(['--demo'], {}, CWD).allowPrivateAddresses, 'loopback');
    assert.equal(loadConfig(['--demo', '--allow-private-addresses', 'none'], {}, CWD).allowPrivateAddresses, 'none');
    assert.equal(loadConfig([], { PATCHBAY_DEMO: 'true' }, CWD).allowPrivateAddresses, 'loopback');
  });

  test('an https public URL makes the cookie Secure by default', () => {
    const config = loadConfig(['--public-url', 'https://patchbay.example.test/'], {}, CWD);
    assert.equal(config.publicUrl, 'https://patchbay.example.test', 'the trailing slash is dropped');
    assert.equal(config.cookieSecure, true);
  });

  test('a postgres URL is taken as the database', () => {
    assert.equal(loadConfig([], { PATCHBAY_DATABASE_URL: 'postgres://u@db:5432/patchbay' }, CWD).databaseUrl, 'postgres://u@db:5432/patchbay');
    assert.equal(loadConfig(['--database-url=postgresql://db/patchbay'], {}, CWD).databaseUrl, 'postgresql://db/patchbay');
  });

  test('a valid secret key is decoded to its 32 bytes', () => {
    const config = loadConfig([], { PATCHBAY_SECRET_KEY: KEY }, CWD);
    assert.deepEqual(config.secretKey, Buffer.from(KEY, 'base64'));
  });

  test('the returned configuration is frozen', () => {
    const config = loadConfig([], {}, CWD);
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.equal(config.port, 8080);
  });
});

describe('loadConfig precedence', () => {
  test('flags beat variables beat the config file beat the defaults', () => {
    const file = configFile({ port: 7001 });
    const env = { PATCHBAY_PORT: '7002', PATCHBAY_CONFIG: file };
    assert.equal(loadConfig(['--port', '7003'], env, CWD).port, 7003, 'the flag wins');
    assert.equal(loadConfig([], env, CWD).port, 7002, 'then the variable');
    assert.equal(loadConfig([], { PATCHBAY_CONFIG: file }, CWD).port, 7001, 'then the file');
    assert.equal(loadConfig([], {}, CWD).port, 8080, 'then the default');
  });

  test('an empty variable counts as unset', () => {
    const file = configFile({ host: '0.0.0.0' });
    assert.equal(loadConfig(['--config', file], { PATCHBAY_HOST: '' }, CWD).host, '0.0.0.0');
  });

  test('--config beats PATCHBAY_CONFIG, and a relative config path resolves against cwd', () => {
    const fromFlag = configFile({ logLevel: 'debug' });
    const fromEnv = configFile({ logLevel: 'error' });
    assert.equal(loadConfig(['--config', path.basename(fromFlag)], { PATCHBAY_CONFIG: fromEnv }, CWD).logLevel, 'debug');
  });

  test('the config file takes numbers, booleans and strings', () => {
    const file = configFile({ port: 9000, demo: true, host: '0.0.0.0', dataDir: 'from-file', sessionTtlHours: '3' });
    const config = loadConfig(['--config', file], {}, CWD);
    assert.equal(config.port, 9000);
    assert.equal(config.demo, true);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.dataDir, path.join(CWD, 'from-file'));
    assert.equal(config.sessionTtlHours, 3);
  });
});

describe('loadConfig flag forms', () => {
  test('--flag=value and --flag value are the same', () => {
    const spaced = loadConfig(['--port', '9100', '--host', '0.0.0.0', '--log-level', 'warn'], {}, CWD);
    const inline = loadConfig(['--port=9100', '--host=0.0.0.0', '--log-level=warn'], {}, CWD);
    assert.deepEqual(inline, spaced);
    assert.equal(inline.port, 9100);
    assert.equal(inline.host, '0.0.0.0');
    assert.equal(inline.logLevel, 'warn');
  });

  test('a value may itself contain "="', () => {
    assert.equal(loadConfig([`--secret-key=${KEY}`], {}, CWD).secretKey?.length, 32);
  });

  test('boolean flags are true when present and take an explicit =value', () => {
    assert.equal(loadConfig(['--demo'], {}, CWD).demo, true);
    assert.equal(loadConfig(['--cookie-secure'], {}, CWD).cookieSecure, true);
    assert.equal(loadConfig(['--demo=false'], { PATCHBAY_DEMO: 'true' }, CWD).demo, false);
    assert.equal(loadConfig(['--cookie-secure=no', '--public-url', 'https://x.example.test'], {}, CWD).cookieSecure, false);
    for (const text of ['1', 'true', 'yes', 'on', 'TRUE']) assert.equal(loadConfig([], { PATCHBAY_DEMO: text }, CWD).demo, true, text);
    for (const text of ['0', 'false', 'no', 'off']) assert.equal(loadConfig([], { PATCHBAY_DEMO: text }, CWD).demo, false, text);
  });

  test('a flag without its value is an error naming it', () => {
    assertConfigError(['--port'], {}, ['--port']);
  });
});

describe('loadConfig errors name the flag, variable or file entry', () => {
  test('a non-numeric port', () => {
    assertConfigError(['--port', 'eighty'], {}, ['--port', 'eighty']);
    assertConfigError([], { PATCHBAY_PORT: '80a' }, ['PATCHBAY_PORT']);
    assertConfigError(['--port', '80.5'], {}, ['--port']);
  });

  test('a port out of range', () => {
    assertConfigError(['--port', '65536'], {}, ['--port', '65535']);
    assertConfigError([], { PATCHBAY_PORT: '-1' }, ['PATCHBAY_PORT']);
    assertConfigError(['--config', configFile({ port: 70000 })], {}, ['"port"']);
  });

  test('an unknown flag', () => {
    assertConfigError(['--prot', '8080'], {}, ['--prot']);
    assertConfigError(['--port', '8080', 'stray'], {}, ['stray']);
  });

  test('an unknown key in the config file', () => {
    const file = configFile({ port: 9000, prot: 9001 });
    assertConfigError(['--config', file], {}, ['"prot"', file]);
    assertConfigError([], { PATCHBAY_CONFIG: configFile({ configFile: 'other.json' }) }, ['"configFile"']);
  });

  test('a malformed or missing config file', () => {
    const file = configFile('{"port": 9000,');
    assertConfigError(['--config', file], {}, [file]);
    assertConfigError([], { PATCHBAY_CONFIG: configFile('[1, 2]') }, ['JSON object']);
    assertConfigError(['--config', path.join(CWD, 'missing.json')], {}, ['missing.json']);
    assertConfigError(['--config', configFile({ port: { value: 9000 } })], {}, ['"port"']);
  });

  test('a database URL that is not postgres', () => {
    assertConfigError([], { PATCHBAY_DATABASE_URL: 'mysql://db/patchbay' }, ['PATCHBAY_DATABASE_URL']);
    assertConfigError(['--database-url', 'sqlite:///tmp/x.db'], {}, ['--database-url']);
  });

  test('a secret key that is not the base64 of 32 bytes', () => {
    assertConfigError([], { PATCHBAY_SECRET_KEY: randomBytes(16).toString('base64') }, ['PATCHBAY_SECRET_KEY', '32 bytes']);
    assertConfigError(['--secret-key', 'hunter2'], {}, ['--secret-key']);
    assertConfigError([], { PATCHBAY_SECRET_KEY: randomBytes(33).toString('base64') }, ['PATCHBAY_SECRET_KEY']);
  });

  test('a secret key together with a secret key file', () => {
    assertConfigError([], { PATCHBAY_SECRET_KEY: KEY, PATCHBAY_SECRET_KEY_FILE: path.join(CWD, 'secret.key') }, ['PATCHBAY_SECRET_KEY', 'PATCHBAY_SECRET_KEY_FILE']);
    assertConfigError(['--secret-key', KEY, '--secret-key-file', 'k'], {}, ['--secret-key', '--secret-key-file']);
  });

  test('a choice outside its list, a bad boolean, a non-positive limit, a non-http public URL', () => {
    assertConfigError(['--allow-private-addresses', 'some'], {}, ['--allow-private-addresses', 'loopback']);
    assertConfigError([], { PATCHBAY_LOG_LEVEL: 'verbose' }, ['PATCHBAY_LOG_LEVEL']);
    assertConfigError([], { PATCHBAY_DEMO: 'maybe' }, ['PATCHBAY_DEMO']);
    assertConfigError(['--body-limit-bytes', '0'], {}, ['--body-limit-bytes']);
    assertConfigError([], { PATCHBAY_PUBLIC_URL: 'ftp://x.example.test' }, ['PATCHBAY_PUBLIC_URL']);
  });
});

describe('describeOptions', () => {
  test('mentions every flag and variable', () => {
    const text = describeOptions();
    for (const option of OPTIONS) {
      assert.ok(text.includes(option.flag), `${option.flag} is described`);
      assert.ok(text.includes(option.env), `${option.env} is described`);
    }
  });
});
