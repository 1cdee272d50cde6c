// Pieces of the connector pages: the Test Connection result, the Services table and the audit trail.
import { useState } from 'react';
import {
  SERVICE_LABELS,
  api,
  type AuditEntry,
  type Connector,
  type Service,
  type ServiceKey,
  type TestConnectionResult,
} from '../api.ts';
import { Badge, DataTable, DateTime, ErrorBanner, FlagBadge, Loading, RefreshButton, SELECT, SelectableRow, useLoader } from '../components.tsx';

/** The outcome of a Test Connection: green "Verified" or red with the reason. */
export function TestResultBox({ result }: { result: TestConnectionResult }) {
  const facts = [
    result.httpStatus !== null ? `HTTP ${result.httpStatus}` : null,
    `${Math.round(result.durationMs)} ms`,
  ]
    .filter((fact) => fact !== null)
    .join(', ');
  if (result.ok) {
    return (
      <div className="test-result test-result-ok" role="status">
        <strong>Verified.</strong> {result.message} <span className="small">({facts})</span>
      </div>
    );
  }
  return (
    <div className="test-result test-result-failed" role="alert">
      <strong>Test Connection failed.</strong> {result.message}{' '}
      <span className="small">
        ({result.outcome}
        {facts !== '' ? `, ${facts}` : ''})
      </span>
    </div>
  );
}

/** The "Verified" indicator of a connector, with its last test. */
export function VerifiedIndicator({ connector }: { connector: Connector | null }) {
  if (connector === null) {
    return (
      <div className="verified-indicator">
        <Badge tone="neutral">Not verified</Badge>
        <span className="small muted"> Not registered yet.</span>
      </div>
    );
  }
  return (
    <div className="verified-indicator" aria-label="Verification">
      <FlagBadge on={connector.verified} yes="Verified" no="Not verified" />
      {connector.lastTest !== null ? (
        <div className="small muted">
          Last tested <DateTime value={connector.lastTest.at} /> ({connector.lastTest.outcome.replaceAll('_', ' ')})
        </div>
      ) : (
        <div className="small muted">Never tested.</div>
      )}
    </div>
  );
}

/** The Services table with select-and-Configure; `onConfigure` opens the Configure Service window. */
export function ServicesTable(props: {
  connector: Connector | null;
  onConfigure: (service: Service) => void;
}) {
  const [selected, setSelected] = useState<string | null>(null);
  const services = props.connector?.services ?? [];
  const disabled = props.connector === null;
  const selectedService = services.find((service) => service.service === selected) ?? null;
  return (
    <>
      <div className="toolbar" role="toolbar" aria-label="Service actions">
        <button
          type="button"
          className="button"
          disabled={disabled || selectedService === null}
          onClick={() => selectedService !== null && props.onConfigure(selectedService)}
        >
          Configure
        </button>
        <span className="toolbar-hint muted">
          {disabled
            ? 'Save the System fields (or run Test Connection) to register the connector; then configure its services.'
            : selectedService === null
              ? 'Select a service, then click Configure.'
              : `Selected: ${selectedService.label}`}
        </span>
      </div>
      <DataTable
        className="table table-selectable"
        aria-label="Services"
        columns={[SELECT, 'Service', 'Endpoint', 'Active', 'Usable']}
        rows={services}
        empty={
          disabled
            ? 'Fetch Attendee, Fetch List, Send Notification, External Report Validation and Launch External URL can be configured once the connector is registered.'
            : undefined
        }
      >
        {(service) => (
          <SelectableRow
            key={service.service}
            group="service"
            label={service.label}
            selected={service.service === selected}
            onSelect={() => setSelected(service.service)}
            onOpen={() => props.onConfigure(service)}
          >
            <th scope="row">{service.label}</th>
            <td className="mono">{service.endpoint ?? <span className="muted">Not configured</span>}</td>
            <td>
              <FlagBadge on={service.active} yes="Active" no="Inactive" />
            </td>
            <td>
              <FlagBadge on={service.usable} yes="Usable" no="Not usable" />
            </td>
          </SelectableRow>
        )}
      </DataTable>
      <p className="small muted">
        A service is usable when the connector is Verified, the service has an endpoint and it is Active.
      </p>
    </>
  );
}

/** Names of the audit actions the registry records. */
const ACTION_LABELS: Record<string, string> = {
  'connector.registered': 'Registered',
  'connector.modified': 'System fields modified',
  'connector.connection_tested': 'Test Connection',
  'connector.service_configured': 'Service configured',
  'connector.deactivated': 'Deactivated',
};

function humanizeAction(action: string): string {
  const known = ACTION_LABELS[action];
  if (known !== undefined) return known;
  const words = action.replace(/[._-]+/g, ' ').trim();
  return words.length === 0 ? action : words.charAt(0).toUpperCase() + words.slice(1);
}

function serviceLabel(value: unknown): string {
  return typeof value === 'string' && value in SERVICE_LABELS ? SERVICE_LABELS[value as ServiceKey] : String(value);
}

function summarizeValue(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (key === 'service') return serviceLabel(value);
  if (key === 'servicesDeactivated' && Array.isArray(value)) {
    return value.length === 0 ? 'none were active' : value.map(serviceLabel).join(', ');
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === 'string' || typeof item === 'number')) return value.join(', ');
    return `${value.length} item${value.length === 1 ? '' : 's'}`;
  }
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}…` : json;
}

/** A one-line, plain-text summary of an audit entry's details (generic: "key: value; ..."). */
export function summarizeDetails(details: Record<string, unknown> | null | undefined): string {
  if (details === null || details === undefined || typeof details !== 'object') return '';
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${summarizeValue(key, value)}`)
    .join('; ');
}

function summarizeSettings(settings: unknown): string | null {
  if (typeof settings !== 'object' || settings === null) return null;
  const record = settings as Record<string, unknown>;
  const parts: string[] = [];
  if (Array.isArray(record['attendeeTypes'])) {
    parts.push(record['attendeeTypes'].length === 0 ? 'no attendee types' : `attendee types ${record['attendeeTypes'].join(', ')}`);
  }
  if (Array.isArray(record['lists'])) parts.push(`${record['lists'].length} list${record['lists'].length === 1 ? '' : 's'}`);
  if (Array.isArray(record['workflows'])) {
    parts.push(`${record['workflows'].length} workflow${record['workflows'].length === 1 ? '' : 's'}`);
  }
  if (typeof record['version'] === 'string') parts.push(`version ${record['version']}`);
  return parts.length > 0 ? parts.join(', ') : null;
}

/** The summary of one audit entry, worded for the actions the registry records. */
export function describeAuditEntry(entry: AuditEntry): string {
  const d = entry.details ?? {};
  switch (entry.action) {
    case 'connector.connection_tested': {
      const status = typeof d['httpStatus'] === 'number' ? `HTTP ${d['httpStatus']}` : 'no response';
      const verdict = d['ok'] === true ? 'Passed' : `Failed (${summarizeValue('outcome', d['outcome'])}, ${status})`;
      return `${verdict}: ${summarizeValue('message', d['message'])}`;
    }
    case 'connector.service_configured': {
      const settings = summarizeSettings(d['settings']);
      return [
        serviceLabel(d['service']),
        `endpoint ${summarizeValue('endpoint', d['endpoint'])}`,
        d['active'] === true ? 'Active' : 'Inactive',
        settings,
      ]
        .filter((part) => part !== null)
        .join('; ');
    }
    case 'connector.deactivated':
      return `Services set inactive: ${summarizeValue('servicesDeactivated', d['servicesDeactivated'])}`;
    case 'connector.modified': {
      const parts = Object.entries(d).map(([key, value]) => {
        if (key === 'passwordChanged') return 'password changed';
        if (key === 'verifiedCleared') return 'Verified cleared (test again)';
        return `${key}: ${summarizeValue(key, value)}`;
      });
      return parts.length > 0 ? parts.join('; ') : 'no changes';
    }
    default:
      return summarizeDetails(d);
  }
}

/** The connector's audit trail, newest first; reloads when `version` changes. */
export function AuditTrail(props: { companyId: string; connectorId: string; version: number }) {
  const audit = useLoader<AuditEntry[]>(`${props.companyId}/${props.connectorId}/${props.version}`, () =>
    api.listAudit(props.companyId, props.connectorId),
  );
  return (
    <section className="card" aria-labelledby="audit-heading">
      <div className="card-title-row">
        <h2 id="audit-heading">Audit trail</h2>
        <RefreshButton onRefresh={audit.reload} small />
      </div>
      <ErrorBanner message={audit.error} />
      <Loading what="audit trail" loader={audit} />
      <DataTable
        className="table table-compact"
        aria-label="Audit trail"
        columns={['Time', 'Who', 'Action', 'Details']}
        rows={audit.data}
        empty="No changes recorded yet."
      >
        {(entry) => (
          <tr key={entry.id}>
            <td className="nowrap">
              <DateTime value={entry.at} />
            </td>
            <td className="nowrap">{entry.actor.label}</td>
            <td className="nowrap" title={entry.action}>
              {humanizeAction(entry.action)}
            </td>
            <td className="details">{describeAuditEntry(entry)}</td>
          </tr>
        )}
      </DataTable>
    </section>
  );
}
