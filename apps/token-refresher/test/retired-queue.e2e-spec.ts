import { QueueName, RETIRED_QUEUES } from '@flow-oauth/queue-contracts';
import { Queue } from 'bullmq';
import { type RefresherRig, startRig, waitFor } from './refresher-rig';

/**
 * An upgrade from the release that queued one BullMQ job per background refresh (queue
 * `token-refresh`, with a repeatable sweep): token-refresher removes that queue, jobs and
 * scheduler included, when it starts; nothing else in Redis is touched.
 */
describe('retired queues', () => {
  let rig: RefresherRig;

  beforeAll(async () => {
    rig = await startRig('sqlite');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("token-refresher removes the retired token-refresh queue and its jobs at start, and nothing else", async () => {
    expect(RETIRED_QUEUES).toEqual(['token-refresh']);
    const prefix = rig.config.queuePrefix;
    // What the earlier release left: delayed refresh jobs and the sweep's scheduler.
    const old = new Queue('token-refresh', { connection: rig.redis, prefix });
    await old.add('refresh', { connectorId: 'c1' }, { delay: 3_600_000, jobId: 'refresh-c1' });
    await old.add('refresh', { connectorId: 'c2' }, { delay: 3_600_000, jobId: 'refresh-c2' });
    await old.upsertJobScheduler('sweep', { every: 60_000 }, { name: 'sweep' });
    await old.close();
    await rig.redis.set(`${prefix}:unrelated`, 'kept');
    expect((await rig.redis.keys(`${prefix}:token-refresh:*`)).length).toBeGreaterThan(0);

    await rig.startRefresher();
    await waitFor('the retired queue removed', async () => (await rig.redis.keys(`${prefix}:token-refresh:*`)).length === 0 || undefined, 15_000, 100);
    expect(await rig.redis.get(`${prefix}:unrelated`)).toBe('kept');
    // The queue it serves is another one, left as it is.
    expect(await rig.redis.exists(`${prefix}:${QueueName.WebhookDelivery}:meta`)).toBe(1);
  });
});
