import type { ClientProxy } from '@nestjs/microservices';
import type { FlowEventName, FlowEventPayloads } from '@flow-oauth/queue-contracts';
import { lastValueFrom } from 'rxjs';

/** Emits an event and resolves once Redis has accepted it (rejects on an unknown event or Redis error). */
export async function emitEvent<E extends FlowEventName>(
  client: Pick<ClientProxy, 'emit'>,
  name: E,
  payload: FlowEventPayloads[E],
): Promise<void> {
  await lastValueFrom(client.emit<unknown, FlowEventPayloads[E]>(name, payload), { defaultValue: undefined });
}
