import { BaseRpcContext } from '@nestjs/microservices';
import type { Job } from 'bullmq';

type BullMqContextArgs = [job: Job, pattern: string];

/** The context an `@EventPattern` handler gets with `@Ctx()` when the event came over BullMQ. */
export class BullMqContext extends BaseRpcContext<BullMqContextArgs> {
  /** The BullMQ job that carries the event. */
  getJob(): Job {
    return this.args[0];
  }

  /** The event name. */
  getPattern(): string {
    return this.args[1];
  }

  /** 1 on the first delivery, 2 on the first retry, and so on. */
  getAttempt(): number {
    return this.args[0].attemptsMade + 1;
  }
}
