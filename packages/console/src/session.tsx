// The signed-in session, shared by every page through React context.
import { createContext, useContext, useEffect, useState } from 'react';
import type { Session } from './api.ts';
import { useLocation } from './router.tsx';

/** What pages can read and do about the session. */
export interface SessionState {
  session: Session;
  /** Signs out and returns to the sign-in page. */
  signOut: () => Promise<void>;
}

/** Context holding the current session; only set while signed in. */
export const SessionContext = createContext<SessionState | null>(null);

/** The current session; only usable below the signed-in layout. */
export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (state === null) throw new Error('useSession used outside a signed-in page');
  return state;
}

/** Whether the user may open Manage Application Connectors. */
export function canManageConnectors(session: Session): boolean {
  return session.user.isOperator || session.permissions.manageConnectors;
}

/** Whether the user makes and approves requests: every user of a company (operators belong to none). */
export function canUseRequests(session: Session): boolean {
  return session.user.companyId !== null;
}

/** Whether the user may open Request Administration (the server's rule: operators, Request, Company or Can Administer admins). */
export function canAdministerRequests(session: Session): boolean {
  if (session.user.isOperator) return true;
  return session.user.roles.some((role) => role === 'REQUEST_ADMIN' || role === 'COMPANY_ADMIN' || role === 'CAN_ADMINISTER');
}

// A one-shot message shown by the next page (e.g. "Connector saved." after returning to the list).
// Reading is side-effect free (safe in render); the page clears it in an effect once shown.
let flash: { path: string; message: string } | null = null;

/** Leaves a message for the page at `path`. */
export function setFlash(path: string, message: string): void {
  flash = { path, message };
}

/** Shows (once) the message another page left for this one. */
export function useFlash(): string | null {
  const { path } = useLocation();
  const [message] = useState(() => (flash !== null && flash.path === path ? flash.message : null));
  useEffect(() => {
    flash = null;
  }, []);
  return message;
}
