/** Deletes every key starting with `prefix`; best effort. */
export function deleteRedisKeys(url: string, prefix: string): Promise<void>;
