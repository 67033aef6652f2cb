import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlowConfig } from '@flow-oauth/config';
import { buildDataSourceOptions, runInTransaction, sqlDialectOf } from '@flow-oauth/persistence';
import { QueueName } from '@flow-oauth/queue-contracts';
import { bullConnectionOptions } from '@flow-oauth/redis';
import { createTestDatabase, TEST_DATABASE_KINDS, testConfig, testRedisPrefix, type TestDatabase } from '@flow-oauth/testing';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { WebhookDeliveryProducer } from './webhook-delivery.producer';
import type { WebhookPayload } from './webhook-events';
import { type WebhookEventInput, WebhookOutbox } from './webhook-outbox';
import { WebhookSender } from './webhook-sender';
import { verifyWebhookSignature } from './webhook-signature';
import { WebhookSweep } from './webhook-sweep';

const SECRET = `whsec-${randomBytes(12).toString('hex')}`;

interface Received {
  event: string;
  delivery: string;
  body: WebhookPayload;
  signed: boolean;
}

/** A webhook receiver on loopback that checks every signature and answers as the test says. */
async function startReceiver() {
  const received: Received[] = [];
  let answer: (body: WebhookPayload) => { status: number; delayMs?: number } = () => ({ status: 204 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString('utf8')) as WebhookPayload;
      const { status, delayMs } = answer(body);
      setTimeout(() => {
        if (status < 300) received.push({ event: String(req.headers['x-flow-event']), delivery: String(req.headers['x-flow-delivery']), body, signed: verifyWebhookSignature(raw, req.headers['x-flow-signature'] as string, SECRET) });
        res.writeHead(status).end();
      }, delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    answer(fn: typeof answer) {
      answer = fn;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(TEST_DATABASE_KINDS)('webhook outbox and sender on %s', (kind) => {
  let db: TestDatabase;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let config: FlowConfig;
  let dataSource: DataSource;
  let second: DataSource;
  let queue: Queue;
  let outbox: WebhookOutbox;
  let sender: WebhookSender;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    receiver = await startReceiver();
    config = testConfig({
      DATABASE_URL: db.url,
      FLOW_QUEUE_PREFIX: testRedisPrefix('wh'),
      FLOW_WEBHOOK_URL: receiver.url,
      FLOW_WEBHOOK_SECRET: SECRET,
      FLOW_WEBHOOK_RETRY_SECONDS: '1',
      FLOW_WEBHOOK_RETRY_MAX_SECONDS: '1',
      FLOW_WEBHOOK_GIVE_UP_HOURS: '1',
    });
    dataSource = await new DataSource(buildDataSourceOptions(config.database)).initialize();
    await dataSource.runMigrations();
    // A second connection: another process writing to the same database.
    second = await new DataSource(buildDataSourceOptions(config.database)).initialize();
    queue = new Queue(QueueName.WebhookDelivery, { connection: bullConnectionOptions(config.redisUrl), prefix: config.queuePrefix });
    outbox = new WebhookOutbox(dataSource, config);
    sender = new WebhookSender(outbox, new WebhookDeliveryProducer(queue as never), config);
  });

  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await second?.destroy();
    await dataSource?.destroy();
    await receiver?.stop();
    await db?.drop();
  });

  const event = (subject: string, n: number): WebhookEventInput => ({
    event: 'connector.needs_reauth',
    subject,
    occurredAt: new Date().toISOString(),
    connector: { id: subject.slice('connector:'.length), label: `L${n}`, type: 'odata', provider: 'P', owner: 'alice', status: 'needs_reauth' },
    data: { reason: `reason-${n}` },
  });
  const subjectOf = () => `connector:${randomUUID()}`;
  const sequencesOf = async (subject: string) =>
    ((await dataSource.query(sqlDialectOf(kind).sql('SELECT sequence FROM webhook_deliveries WHERE subject = ? ORDER BY sequence'), [subject])) as Array<{ sequence: number }>).map((r) => Number(r.sequence));

  it("numbers a subject's deliveries 1, 2, 3 ... without gaps, also when two writers add at the same time", async () => {
    const subject = subjectOf();
    const other = new WebhookOutbox(second, config);
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? outbox : other).add(event(subject, i))));
    expect(await sequencesOf(subject)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('keeps nothing of a delivery added in a transaction that rolled back', async () => {
    const subject = subjectOf();
    await expect(
      runInTransaction(dataSource, async (manager) => {
        await outbox.add(event(subject, 1), manager);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await sequencesOf(subject)).toEqual([]);
  });

  it('refuses a payload that names a token, and stores nothing', async () => {
    const subject = subjectOf();
    await expect(outbox.add({ ...event(subject, 1), data: { access_token: 'x' } })).rejects.toThrow(/must not hold/);
    expect(await sequencesOf(subject)).toEqual([]);
  });

  it('sends in order, signed; a failing delivery holds back the later ones until its retry succeeds', async () => {
    const subject = subjectOf();
    for (let n = 1; n <= 3; n++) await outbox.add(event(subject, n));
    let refusals = 0;
    receiver.answer((body) => (body.sequence === 1 && refusals++ === 0 ? { status: 503 } : { status: 204 }));
    expect(await sender.deliver(subject)).toBe(0);
    const [first] = await outbox.list({ subject, limit: 10, status: 'pending' }).then((rows) => rows.filter((r) => r.sequence === 1));
    expect(first).toMatchObject({ attempts: 1, lastStatus: 503, lastError: 'receiver answered 503' });
    // The next attempt is a delayed job, due at the delivery's next attempt time.
    const retry = await queue.getJob(WebhookDeliveryProducer.jobId(subject, 's1-a1'));
    expect(retry ? await retry.getState() : 'missing').toBe('delayed');
    expect(receiver.received.filter((r) => r.body.connector?.id === subject.slice('connector:'.length))).toEqual([]);
    // Nothing goes out before the retry is due: a send that ended before that time sent nothing.
    const retryAt = Date.parse(first.nextAttemptAt as string);
    let early = 0;
    while (Date.now() < retryAt) {
      const sent = await sender.deliver(subject);
      if (Date.now() < retryAt) early += sent;
      else if (sent === 3) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(early).toBe(0);
    while ((await outbox.head(subject)) !== undefined) await sender.deliver(subject);
    const mine = receiver.received.filter((r) => r.body.connector?.id === subject.slice('connector:'.length));
    expect(mine.map((r) => [r.body.sequence, r.body.data['reason'], r.signed, r.event, r.delivery === r.body.id])).toEqual([
      [1, 'reason-1', true, 'connector.needs_reauth', true],
      [2, 'reason-2', true, 'connector.needs_reauth', true],
      [3, 'reason-3', true, 'connector.needs_reauth', true],
    ]);
    expect((await outbox.list({ subject, limit: 10 })).map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('never lets two senders POST the same delivery', async () => {
    const subject = subjectOf();
    for (let n = 1; n <= 4; n++) await outbox.add(event(subject, n));
    receiver.answer(() => ({ status: 200, delayMs: 150 }));
    const other = new WebhookSender(new WebhookOutbox(second, config), new WebhookDeliveryProducer(queue as never), config);
    const sent = await Promise.all([sender.deliver(subject), other.deliver(subject), sender.deliver(subject)]);
    // Whoever lost a claim stopped; what is left is sent by the next job.
    while ((await outbox.head(subject)) !== undefined) await sender.deliver(subject);
    const ids = receiver.received.filter((r) => r.body.connector?.id === subject.slice('connector:'.length)).map((r) => r.body.sequence);
    expect(ids).toEqual([1, 2, 3, 4]);
    expect(sent.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4);
  });

  it('gives a delivery up after FLOW_WEBHOOK_GIVE_UP_HOURS and goes on with the next one', async () => {
    const subject = subjectOf();
    for (let n = 1; n <= 2; n++) await outbox.add(event(subject, n));
    await dataSource.query(sqlDialectOf(kind).sql('UPDATE webhook_deliveries SET created_at = ? WHERE subject = ? AND sequence = 1'), [new Date(Date.now() - 2 * 3_600_000).toISOString(), subject]);
    receiver.answer((body) => (body.sequence === 1 ? { status: 500 } : { status: 200 }));
    expect(await sender.deliver(subject)).toBe(1);
    const rows = await outbox.list({ subject, limit: 10 });
    expect(rows.map((d) => [d.sequence, d.status, d.lastStatus])).toEqual([
      [2, 'delivered', 200],
      [1, 'failed', 500],
    ]);
  });

  it('names only subjects whose oldest pending delivery is due, and prunes only finished deliveries', async () => {
    const waiting = subjectOf();
    await outbox.add(event(waiting, 1));
    await outbox.add(event(waiting, 2));
    await dataSource.query(sqlDialectOf(kind).sql('UPDATE webhook_deliveries SET next_attempt_at = ? WHERE subject = ? AND sequence = 1'), [new Date(Date.now() + 600_000).toISOString(), waiting]);
    const due = subjectOf();
    await outbox.add(event(due, 1));
    const subjects = await outbox.dueSubjects(new Date(), 500);
    expect(subjects).toContain(due);
    expect(subjects).not.toContain(waiting);
    await outbox.prune(new Date(Date.now() + 60_000));
    expect(await sequencesOf(waiting)).toEqual([1, 2]);
    expect(await sequencesOf(due)).toEqual([1]);
  });

  it('the sweep queues a send for a due delivery whose job was lost (never queued, or Redis lost it)', async () => {
    const subject = subjectOf();
    await outbox.add(event(subject, 1));
    const now = new Date();
    expect(await new WebhookSweep(outbox, new WebhookDeliveryProducer(queue as never), config).run(now)).toBeGreaterThanOrEqual(1);
    const slot = Math.floor(now.getTime() / (config.refreshSweepSeconds * 1000));
    const job = await queue.getJob(WebhookDeliveryProducer.jobId(subject, `sweep-${slot}`));
    expect(job?.data).toEqual({ subject });
  });

  it('reports a receiver that cannot be reached without its URL, whose query may hold a credential', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const credential = `cred-${randomBytes(6).toString('hex')}`;
    const offline = { ...config, webhooks: { ...config.webhooks, url: `http://127.0.0.1:${port}/hooks?token=${credential}` } };
    const offlineSender = new WebhookSender(new WebhookOutbox(dataSource, offline), new WebhookDeliveryProducer(queue as never), offline);
    const subject = subjectOf();
    await outbox.add(event(subject, 1));
    expect(await offlineSender.deliver(subject)).toBe(0);
    const [row] = await outbox.list({ subject, limit: 1 });
    expect(row.lastError).toBe('network error (ECONNREFUSED)');
    expect(JSON.stringify(row)).not.toContain(credential);
  });
});
