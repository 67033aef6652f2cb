// A time bound on a promise that cannot be cancelled (a Redis command, a BullMQ close, a health
// check, a scrape query). Hand-written: Node has AbortSignal.timeout for what takes a signal, and none
// of these calls does; the few lines are not worth a dependency. The work itself goes on after the
// deadline; only the waiting stops, and the timer never keeps the process alive past the work.

/** Settles as `work` does, or rejects with `Error(message)` once `ms` passed first. */
export function withDeadline<T>(work: Promise<T>, ms: number, message = 'timeout'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Settles as `work` does, or resolves `undefined` once `ms` passed first (a step that may give up quietly, e.g. at shutdown). */
export function settleWithin<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
