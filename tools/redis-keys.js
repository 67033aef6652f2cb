// Removes the Redis keys a run left under its private prefix (benchmarks, the pm2 smoke suite).
const { Redis } = require('ioredis');

/** Deletes every key starting with `prefix`; best effort: keys under a private prefix harm nothing. */
async function deleteRedisKeys(url, prefix) {
  if (!prefix) return;
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // Best effort, as above.
  } finally {
    redis.disconnect();
  }
}

module.exports = { deleteRedisKeys };
