/**
 * Who did something, as the audit trail names them: the operator (`admin`), a workflow engine
 * (`service`), Flow itself (`system`: refreshes, health checks, warnings) or a user (`user:<name>`).
 */
export type AuditActor = 'admin' | 'service' | 'system' | `user:${string}`;

/** The actor of a request's principal (the shape of api-auth's Principal). */
export function actorOf(principal: { kind: 'admin' } | { kind: 'service' } | { kind: 'user'; name: string }): AuditActor {
  return principal.kind === 'user' ? `user:${principal.name}` : principal.kind;
}

/**
 * The actor behind a connector owner name as stored (`admin` and `service` are reserved user names,
 * so a connector created with the admin or service key is owned by `admin` / `service`).
 */
export function actorOfOwner(owner: string): AuditActor {
  return owner === 'admin' || owner === 'service' ? owner : `user:${owner}`;
}
