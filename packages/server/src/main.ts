#!/usr/bin/env node
/**
 * The patchbay CLI: a thin shell over the same functions the server uses.
 *   patchbay [start] [flags]    run the server (the default command)
 *   patchbay migrate [flags]    apply database migrations and exit
 *   patchbay create-operator <loginId> <name>   add a platform operator (password on stdin)
 *   patchbay create-token <operatorLoginId> <label>   print a new operator API token
 *   patchbay listen --forward-to <url>   forward ESS deliveries to a local URL (developer loop)
 *   patchbay trigger <eventType>   drive a demo request so that an event is emitted
 */
import { ConfigError, describeOptions, loadConfig, type Config } from './config.ts';
import { openPatchbay, storeLocation } from './runtime.ts';
import { openStore } from './store/store.ts';
import { createUser, normalizeLoginId } from './companies/companies.ts';
import { createApiToken } from './identity/sessions.ts';
import { DEMO } from './demo.ts';
import { PatchbayError } from './http/errors.ts';
import type { Principal, Role } from './identity/principal.ts';
import { listenCommand } from './cli/listen.ts';
import { TRIGGERS, triggerCommand } from './cli/trigger.ts';

const HELP = `patchbay: an open implementation of the SAP Concur extensibility platform

Usage: patchbay [command] [arguments] [flags]

Commands:
  start                                 Run the server (default).
  migrate                               Apply the database migrations, then exit.
  create-operator <loginId> <name>      Add a platform operator; reads the password from stdin.
  create-token <operatorLoginId> <label>
                                        Print a new operator API token (Authorization: Bearer ...).
  listen --forward-to <url>             ESS webhooks on your machine, from a running patchbay (e.g. start
                                        --demo): starts a receiver on 127.0.0.1, subscribes it to
                                        public.concur.request as patchbay-listen-<random>, connects the
                                        admin's company with a Company Request Token (companies join the
                                        subscriptions that exist when they connect; one connected earlier
                                        is reconnected), forwards each delivery (same body and headers,
                                        Concur-Signature included) to <url>, prints one line per delivery
                                        (eventType, request ID, <url>'s status) and answers ESS with <url>'s
                                        status, so failures are retried as in production. Ctrl-C deletes
                                        the subscription. Flags:
      --events <regex>                  The subscription filter over eventType (default .*).
      --server <url>                    patchbay's URL (default http://127.0.0.1:8080).
      --client-id <id> --client-secret <secret>
                                        The subscribing app (default: the demo app).
      --admin-login <login> --admin-password <password>
                                        Console credentials that may create Company Request Tokens
                                        (default: the demo admin).
      --company-id <uuid>               The company to connect (default: the admin's company).
      --skip-connect                    Do not connect a company (connect one to the app yourself after).
  trigger <eventType>                   Drive a new request through the demo workflow over Request v4 with
                                        user tokens (the demo employee submits; the demo admin, their
                                        manager, approves or sends back) so that ESS publishes <eventType>;
                                        prints the request ID. Event types:
${Object.keys(TRIGGERS).map((type) => `                                          ${type}`).join('\n')}
                                        Flags: --server, --client-id, --client-secret (as for listen),
                                        --traveler-login/--traveler-password (default: the demo employee),
                                        --approver-login/--approver-password (default: the demo admin).
  help, --help                          Show this help.

Flags (each also read from its PATCHBAY_* variable or the --config file; flags win, then variables,
then the file, then the defaults):
${describeOptions()}
`;

async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h') || args[0] === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const command = args[0] && !args[0].startsWith('--') ? args[0] : 'start';
  const rest = args[0] === command ? args.slice(1) : args;
  const positional: string[] = [];
  // The developer-loop commands talk to a running patchbay over HTTP and take their own flags.
  if (command === 'listen') return listenCommand(args.slice(1));
  if (command === 'trigger') return triggerCommand(args.slice(1));
  while (rest[0] !== undefined && !rest[0].startsWith('--')) positional.push(rest.shift()!);
  const config = loadConfig(rest, process.env);

  switch (command) {
    case 'start':
      return start(config);
    case 'migrate': {
      const store = await openStore(storeLocation(config));
      const { applied } = await store.migrate();
      await store.close();
      process.stdout.write(applied.length ? `Applied ${applied.join(', ')}\n` : 'The database is up to date.\n');
      return 0;
    }
    case 'create-operator':
      return createOperator(config, positional);
    case 'create-token':
      return createToken(config, positional);
    default:
      process.stderr.write(`Unknown command "${command}". Run patchbay --help.\n`);
      return 2;
  }
}

async function start(config: Config): Promise<number> {
  const patchbay = await openPatchbay(config);
  const address = await patchbay.app.listen({ host: config.host, port: config.port });
  patchbay.app.log.info({ address, store: patchbay.store.dialect }, 'patchbay is listening');
  if (config.demo) {
    process.stdout.write(
      `\npatchbay is running at ${address} (demo)\n` +
        `  Console:   ${address}/   API docs: ${address}/docs\n` +
        `  Company admin:  ${DEMO.admin.loginId} / ${DEMO.admin.password}\n` +
        `  Operator:       ${DEMO.operator.loginId} / ${DEMO.operator.password}\n` +
        `  OAuth2 app:     client_id ${DEMO.application.id}\n` +
        `                  client_secret ${DEMO.application.clientSecret}\n\n`,
    );
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      patchbay.app.log.info({ signal }, 'shutting down');
      // A watchdog: in-flight work gets shutdownTimeoutMs, then the process exits anyway.
      setTimeout(() => {
        patchbay.app.log.error('shutdown took too long; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
      patchbay.close().then(resolve, (error: unknown) => {
        patchbay.app.log.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n')[0] ?? '';
}

async function createOperator(config: Config, [loginId, name]: string[]): Promise<number> {
  if (!loginId || !name) throw new ConfigError('Usage: patchbay create-operator <loginId> <name>, with the password on stdin.');
  const password = await readStdin();
  if (password.length < 10) throw new ConfigError('The operator password (on stdin) must be at least 10 characters.');
  const store = await openStore(storeLocation(config));
  try {
    await store.migrate();
    await store.transaction((trx) => createUser(trx, null, { companyId: null, loginId, name, password, roles: [] as Role[] }));
  } finally {
    await store.close();
  }
  process.stdout.write(`Operator ${normalizeLoginId(loginId)} created.\n`);
  return 0;
}

async function createToken(config: Config, [loginId, label]: string[]): Promise<number> {
  if (!loginId || !label) throw new ConfigError('Usage: patchbay create-token <operatorLoginId> <label>');
  const store = await openStore(storeLocation(config));
  try {
    await store.migrate();
    const user = await store.db.selectFrom('users').selectAll().where('login_id', '=', normalizeLoginId(loginId)).where('is_operator', '=', true).executeTakeFirst();
    if (!user) throw new ConfigError(`No operator with login ID ${loginId}.`);
    const operator: Principal = { userId: user.id, loginId: user.login_id, name: user.name, companyId: null, isOperator: true, roles: [], via: 'api-token', csrfToken: null };
    const { token } = await store.transaction((trx) => createApiToken(trx, operator, label));
    process.stdout.write(`${token}\n`);
  } finally {
    await store.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    // Expected failures (bad configuration, or e.g. a login ID already taken) say what to do; only a
    // crash needs its stack.
    const expected = error instanceof ConfigError || error instanceof PatchbayError;
    process.stderr.write(expected ? `patchbay: ${error.message}\n` : `patchbay: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = error instanceof ConfigError ? 2 : 1;
  },
);
