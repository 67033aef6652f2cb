import type { ClientProxy } from '@nestjs/microservices';
import type { FlowEventName, FlowEventPayloads } from '@flow-oauth/queue-contracts';
import { lastValueFrom, timeout } from 'rxjs';

/** How long an emit may wait for Redis before it is reported as failed (BullMQ itself would wait forever). */
export const EMIT_TIMEOUT_MS = 3000;

/** Emits an event and resolves once Redis has accepted it (rejects on an unknown event, a Redis error, or no answer in time). */
export async function emitEvent<E extends FlowEventName>(
  client: Pick<ClientProxy, 'emit'>,
  name: E,
  payload: FlowEventPayloads[E],
  timeoutMs = EMIT_TIMEOUT_MS,
): Promise<void> {
  await lastValueFrom(
    client.emit<unknown, FlowEventPayloads[E]>(name, payload).pipe(
      timeout({ first: timeoutMs, with: () => { throw new Error(`Redis did not accept event ${name} within ${timeoutMs} ms`); } }),
    ),
    { defaultValue: undefined },
  );
}
