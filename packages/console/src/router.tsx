// A tiny history-API router: the server answers index.html for every non-API path,
// so the console can use real paths (bookmarkable, and the back button works).
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

const NAVIGATE_EVENT = 'patchbay:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

function currentLocation(): string {
  return window.location.pathname + window.location.search;
}

/** The current path plus query string; re-renders on navigation. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const location = useSyncExternalStore(subscribe, currentLocation);
  const url = new URL(location, 'http://console.invalid');
  return { path: url.pathname, search: url.searchParams };
}

/** Goes to another console page. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === currentLocation()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.scrollTo(0, 0);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

/**
 * Matches a path against a pattern such as `/companies/:companyId/users`.
 * Returns the decoded parameters, or null when the path does not match.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const patternParts = pattern.split('/').filter(Boolean);
  const pathParts = path.split('/').filter(Boolean);
  if (patternParts.length !== pathParts.length) return null;
  const params: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    const actual = pathParts[index] ?? '';
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (part !== actual) {
      return null;
    }
  }
  return params;
}

/** An in-console link: a real `<a href>` that navigates without reloading. */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; children: ReactNode }) {
  const { to, onClick, ...rest } = props;
  function handleClick(event: MouseEvent<HTMLAnchorElement>): void {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  }
  return <a {...rest} href={to} onClick={handleClick} />;
}

/** Paths of the console's pages, in one place so links and routes agree. */
export const paths = {
  home: () => '/',
  webServices: () => '/admin/web-services',
  connectorsPicker: () => '/admin/web-services/connectors',
  connectors: (companyId: string) => `/admin/web-services/connectors/${encodeURIComponent(companyId)}`,
  newConnector: (companyId: string) => `/admin/web-services/connectors/${encodeURIComponent(companyId)}/new`,
  connector: (companyId: string, connectorId: string) =>
    `/admin/web-services/connectors/${encodeURIComponent(companyId)}/${encodeURIComponent(connectorId)}`,
  requestTokenPicker: () => '/admin/web-services/request-token',
  requestToken: (companyId: string) => `/admin/web-services/request-token/${encodeURIComponent(companyId)}`,
  connectionsPicker: () => '/admin/web-services/connections',
  connections: (companyId: string) => `/admin/web-services/connections/${encodeURIComponent(companyId)}`,
  callLogPicker: () => '/admin/web-services/call-log',
  callLog: (companyId: string) => `/admin/web-services/call-log/${encodeURIComponent(companyId)}`,
  notificationsPicker: () => '/admin/web-services/notifications',
  notifications: (companyId: string) => `/admin/web-services/notifications/${encodeURIComponent(companyId)}`,
  companies: () => '/admin/companies',
  company: (companyId: string) => `/admin/companies/${encodeURIComponent(companyId)}`,
  safeList: (companyId: string) => `/admin/companies/${encodeURIComponent(companyId)}/safe-list`,
  users: (companyId: string) => `/admin/companies/${encodeURIComponent(companyId)}/users`,
  applications: () => '/admin/applications',
  newApplication: () => '/admin/applications/new',
  application: (appId: string) => `/admin/applications/${encodeURIComponent(appId)}`,
  myRequests: () => '/requests',
  newRequest: () => '/requests/new',
  request: (requestId: string) => `/requests/${encodeURIComponent(requestId)}`,
  /** The request's page with its Edit Request form open (the same route: the page reads `edit`). */
  editRequest: (requestId: string) => `/requests/${encodeURIComponent(requestId)}?edit=1`,
  approvals: () => '/approvals',
  approval: (requestId: string) => `/approvals/${encodeURIComponent(requestId)}`,
  requestAdminPicker: () => '/admin/requests',
  workflows: (companyId: string) => `/admin/requests/${encodeURIComponent(companyId)}/workflows`,
  newWorkflow: (companyId: string) => `/admin/requests/${encodeURIComponent(companyId)}/workflows/new`,
  workflow: (companyId: string, workflowId: string) =>
    `/admin/requests/${encodeURIComponent(companyId)}/workflows/${encodeURIComponent(workflowId)}`,
  requestPolicies: (companyId: string) => `/admin/requests/${encodeURIComponent(companyId)}/policies`,
  travelAgencies: (companyId: string) => `/admin/requests/${encodeURIComponent(companyId)}/travel-agencies`,
  approverGroups: (companyId: string) => `/admin/requests/${encodeURIComponent(companyId)}/approver-groups`,
  requestUsers: (companyId: string) => `/admin/requests/${encodeURIComponent(companyId)}/users`,
  eventLog: (companyId: string) => `/admin/requests/${encodeURIComponent(companyId)}/events`,
  attendeeTypes: (companyId: string) => `/admin/requests/${encodeURIComponent(companyId)}/attendee-types`,
  formFields: (companyId: string) => `/admin/requests/${encodeURIComponent(companyId)}/form-fields`,
  eventSubscriptions: () => '/admin/event-subscriptions',
  eventSubscription: (subscriptionId: string) => `/admin/event-subscriptions/${encodeURIComponent(subscriptionId)}`,
  eventDelivery: (subscriptionId: string, deliveryId: string) =>
    `/admin/event-subscriptions/${encodeURIComponent(subscriptionId)}/deliveries/${encodeURIComponent(deliveryId)}`,
  webhookSigningKey: () => '/admin/webhook-signing-key',
};
