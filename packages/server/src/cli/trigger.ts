/**
 * `patchbay trigger <eventType>`: drives a new demo request through the Request workflow over Request
 * v4 (`/travelrequest/v4`), with user tokens of the traveler and the approver, so that ESS publishes
 * the event. It assumes the demo workflow: the traveler's manager (the demo admin) approves at a single
 * Request Manager step.
 */
import { randomUUID } from 'node:crypto';
import { CliError, DEFAULT_SERVER, DEMO_DEFAULTS, callJson, parseFlags, runCommand, serverUrl, userToken } from './client.ts';

/** Who takes a workflow action: the request's traveler or its approver. */
type Actor = 'traveler' | 'approver';

/** The workflow actions that emit each event type, after the request is created, with who takes them. */
export const TRIGGERS: Readonly<Record<string, ReadonlyArray<{ action: string; by: Actor; emits: string; status: string }>>> = {
  'statusChange.PENDING.RequestManager': [{ action: 'submit', by: 'traveler', emits: 'statusChange.PENDING.RequestManager', status: 'SUBMITTED' }],
  'statusChange.APPROVED': [
    { action: 'submit', by: 'traveler', emits: 'statusChange.PENDING.RequestManager', status: 'SUBMITTED' },
    { action: 'approve', by: 'approver', emits: 'statusChange.APPROVED', status: 'APPROVED' },
  ],
  'statusChange.SENTBACK': [
    { action: 'submit', by: 'traveler', emits: 'statusChange.PENDING.RequestManager', status: 'SUBMITTED' },
    { action: 'sendback', by: 'approver', emits: 'statusChange.SENTBACK', status: 'SENTBACK' },
  ],
  'statusChange.CANCELED': [
    { action: 'submit', by: 'traveler', emits: 'statusChange.PENDING.RequestManager', status: 'SUBMITTED' },
    { action: 'cancel', by: 'traveler', emits: 'statusChange.CANCELED', status: 'CANCELED' },
  ],
};

/** What `trigger` needs. */
export interface TriggerOptions {
  server: string;
  eventType: string;
  clientId: string;
  clientSecret: string;
  traveler: { loginId: string; password: string };
  approver: { loginId: string; password: string };
  /** Receives the output lines (default: stdout). */
  print?: (line: string) => void;
}

/** The request driven, and the events its actions published. */
export interface TriggerResult {
  /** The request's 32-character id. */
  requestUuid: string;
  /** The short Request ID (what events carry as facts.requestId). */
  requestId: string;
  /** The event types published, in order. */
  events: string[];
}

/** Creates a request as the traveler and takes the actions that emit `eventType`. */
export async function trigger(options: TriggerOptions): Promise<TriggerResult> {
  const plan = TRIGGERS[options.eventType];
  if (!plan) {
    throw new CliError(`patchbay trigger cannot emit "${options.eventType}" with the demo workflow (one Request Manager step). Event types: ${Object.keys(TRIGGERS).join(', ')}.`);
  }
  const server = serverUrl(options.server);
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const tokens = {
    traveler: await userToken(server, options.clientId, options.clientSecret, options.traveler.loginId, options.traveler.password),
    approver: plan.some((step) => step.by === 'approver') ? await userToken(server, options.clientId, options.clientSecret, options.approver.loginId, options.approver.password) : '',
  };
  const as = (actor: Actor) => ({ authorization: `Bearer ${tokens[actor]}`, 'concur-correlationid': randomUUID() });
  const logins = { traveler: options.traveler.loginId, approver: options.approver.loginId };

  const start = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  const end = new Date(Date.now() + 16 * 86_400_000).toISOString().slice(0, 10);
  const created = await callJson<{ id: string; requestId: string }>(server, 'POST', '/travelrequest/v4/requests', {
    headers: as('traveler'),
    body: { name: `patchbay trigger ${options.eventType}`, businessPurpose: 'Emitted by patchbay trigger', startDate: start, endDate: end },
  });
  const { id: requestUuid, requestId } = created.body;
  print(`Created request ${requestId} (${requestUuid}) as ${logins.traveler}.`);

  const events: string[] = [];
  for (const step of plan) {
    const answer = await callJson<{ approvalStatus: { code: string } }>(server, 'POST', `/travelrequest/v4/requests/${requestUuid}/${step.action}`, {
      headers: as(step.by),
      body: step.action === 'sendback' ? { comment: 'Sent back by patchbay trigger' } : {},
    });
    const status = answer.body.approvalStatus?.code;
    if (status !== step.status) {
      throw new CliError(
        `After ${step.action}, request ${requestId} is ${status}, not ${step.status}: the company's workflow differs from the demo's (one Request Manager step, the traveler's manager approves). Take the remaining steps in the console.`,
      );
    }
    events.push(step.emits);
    print(`  ${step.action.padEnd(8)} by ${logins[step.by].padEnd(28)} -> ${step.emits}`);
  }
  return { requestUuid, requestId, events };
}

/** The `patchbay trigger <eventType>` command. */
export async function triggerCommand(argv: readonly string[]): Promise<number> {
  return runCommand(async () => {
    const usage = `patchbay trigger <eventType> [--server <url>] [--client-id <id> --client-secret <secret>] [--traveler-login <login> --traveler-password <password>] [--approver-login <login> --approver-password <password>]; eventType: ${Object.keys(TRIGGERS).join(', ')}`;
    const { values, positionals } = parseFlags(
      argv,
      {
        server: { type: 'string', default: DEFAULT_SERVER },
        'client-id': { type: 'string', default: DEMO_DEFAULTS.clientId },
        'client-secret': { type: 'string', default: DEMO_DEFAULTS.clientSecret },
        'traveler-login': { type: 'string', default: DEMO_DEFAULTS.employee.loginId },
        'traveler-password': { type: 'string', default: DEMO_DEFAULTS.employee.password },
        'approver-login': { type: 'string', default: DEMO_DEFAULTS.admin.loginId },
        'approver-password': { type: 'string', default: DEMO_DEFAULTS.admin.password },
      },
      { min: 1, max: 1, usage },
    );
    const result = await trigger({
      server: values.server,
      eventType: positionals[0]!,
      clientId: values['client-id'],
      clientSecret: values['client-secret'],
      traveler: { loginId: values['traveler-login'], password: values['traveler-password'] },
      approver: { loginId: values['approver-login'], password: values['approver-password'] },
    });
    process.stdout.write(`Request ${result.requestId}\n`);
    return 0;
  });
}
