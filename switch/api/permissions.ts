/**
 * Who may do what through the HTTP API (docs/api.md "Roles and permissions"). Deny by default: a route
 * names one permission, and the permission lists the roles granted it; a role not listed is refused
 * (403), a request without credentials is refused (401). `public` routes need no credentials (health,
 * login, the API description). The table below is the one source of the permission matrix: the server
 * enforces it, docs/api.md prints it, and test/api/authorization.test.ts checks every route against it.
 */
import { PERSON_ROLES, type PersonRole } from '../engine/access.ts';

export type Role = 'participant' | PersonRole;
export const ROLES: readonly Role[] = ['participant', ...PERSON_ROLES];

export const GRANTS = {
  /** Whoever is authenticated: who am I, log out. */
  'session': ROLES,
  /** Submit an ISO 20022 message as the participant of the client certificate. */
  'message.submit': ['participant'],
  /** Payments, their history and messages (a participant: only those it takes part in). */
  'payment.read': ['participant', 'operator', 'supervisor', 'regulator'],
  /** Positions and headroom (a participant: only its own). */
  'position.read': ['participant', 'operator', 'supervisor', 'regulator'],
  /** Cycles and their states. */
  'cycle.read': ['participant', 'operator', 'supervisor', 'regulator'],
  /** Cut a cycle off (the next one opens with it); query the settlement agent about a cycle's unanswered instructions. */
  'cycle.operate': ['operator'],
  /** The participants, their state, caps and headroom (a participant: itself). */
  'participant.read': ['participant', 'operator', 'supervisor', 'regulator'],
  /** Live events (GET /events; a participant: what concerns it). */
  'events.read': ['participant', 'operator', 'supervisor', 'regulator'],
  /** Prometheus metrics (also a scraper presenting the configured api.metricsToken). */
  'metrics.read': ['operator', 'supervisor', 'regulator'],
  /** Suspend or resume a participant. */
  'participant.operate': ['operator'],
  /** Queue jobs given up on. */
  'deadletter.read': ['operator', 'supervisor', 'regulator'],
  /** The audit trail (operator_actions). */
  'audit.read': ['auditor', 'regulator'],
  /** Propose a money-at-stake change (maker). */
  'change.propose': ['operator', 'supervisor'],
  /** Changes waiting for a checker. */
  'change.read': ['operator', 'supervisor', 'regulator', 'auditor'],
  /** Approve or reject another person's proposal (checker). */
  'change.decide': ['supervisor'],
  /** The risk review queue (held payments and why) and the freezes in force; never a participant (tipping-off). */
  'risk.read': ['operator', 'supervisor', 'regulator'],
  /** Release or reject a held payment, freeze an account or participant, propose an unfreeze. */
  'risk.operate': ['operator'],
  /** The risk events (screening hits, scores, holds, decisions); never a participant (tipping-off). */
  'risk.events': ['operator', 'supervisor', 'regulator', 'auditor'],
  /** The reconciliation and the regulator statistics (a participant: its own only); not auditors, who read the trail of actions, not the business. */
  'report.read': ['participant', 'operator', 'supervisor', 'regulator'],
  /** Notification subscriptions (a participant: only its own; secrets never shown). */
  'notify.read': ['participant', 'operator', 'supervisor', 'auditor'],
  /** Subscribe or remove (a participant: only for itself, payment events; an operator: any participant's, or the operators' alerts). */
  'notify.manage': ['participant', 'operator'],
  /** The loaded versions of risk profiles (a participant: its own only). */
  'risk.profiles.read': ['participant', 'operator', 'supervisor', 'regulator'],
  /** Load the risk profiles of one's own accounts and customers (a participant: the certificate's BIC only). */
  'risk.profiles.load': ['participant'],
  /** Load a version of a sanctions or negative list (the scheme's, the UN's, OFAC's). */
  'risk.lists.load': ['operator'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = 'public' | keyof typeof GRANTS;

export function isPermission(value: unknown): value is Permission {
  return value === 'public' || (typeof value === 'string' && Object.hasOwn(GRANTS, value));
}

export function allows(permission: Permission, role: Role): boolean {
  return permission !== 'public' && (GRANTS[permission] as readonly Role[]).includes(role);
}

/** Every permission `role` holds, in GRANTS' order: what GET /me tells the console it may show. */
export function permissionsOf(role: Role): Exclude<Permission, 'public'>[] {
  return (Object.keys(GRANTS) as (keyof typeof GRANTS)[]).filter((permission) => allows(permission, role));
}
