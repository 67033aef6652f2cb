/** Who is calling: the operator (admin key), a workflow engine (service key) or a user (issued key). */
export type Principal = { kind: 'admin' } | { kind: 'service' } | { kind: 'user'; name: string };

export type Role = Principal['kind'];

/** The owner name recorded on connectors a principal creates. */
export function ownerName(principal: Principal): string {
  return principal.kind === 'user' ? principal.name : principal.kind;
}
