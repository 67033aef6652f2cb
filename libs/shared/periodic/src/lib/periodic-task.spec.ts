import { PeriodicTask } from './periodic-task';

/** A run the test ends by hand. */
function pendingRuns() {
  const ends: Array<(value: number) => void> = [];
  const fails: Array<(error: Error) => void> = [];
  const run = jest.fn(
    () =>
      new Promise<number>((resolve, reject) => {
        ends.push(resolve);
        fails.push(reject);
      }),
  );
  return { run, ends, fails };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('PeriodicTask', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('runs at start and at each interval, never two runs at once', async () => {
    const { run, ends } = pendingRuns();
    const done = jest.fn();
    const task = new PeriodicTask('test task', run, { error: jest.fn() }, done);
    task.start(1000);
    expect(run).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(3000); // the first run is still going: these ticks are skipped
    expect(run).toHaveBeenCalledTimes(1);
    ends[0](7);
    await flush();
    expect(done).toHaveBeenCalledWith(7);
    jest.advanceTimersByTime(1000);
    expect(run).toHaveBeenCalledTimes(2);
    ends[1](0);
    await task.stop();
  });

  it('logs a failed run with its name and runs again at the next tick', async () => {
    const { run, ends, fails } = pendingRuns();
    const logger = { error: jest.fn() };
    const task = new PeriodicTask('test task', run, logger);
    task.start(1000);
    fails[0](new Error('database down'));
    await flush();
    expect(logger.error).toHaveBeenCalledWith('test task failed: database down');
    jest.advanceTimersByTime(1000);
    expect(run).toHaveBeenCalledTimes(2);
    ends[1](1);
    await task.stop();
  });

  it('stop waits for the run in flight, and no run starts after it; start twice is one timer', async () => {
    const { run, ends } = pendingRuns();
    const task = new PeriodicTask('test task', run, { error: jest.fn() });
    task.start(1000);
    task.start(1000);
    expect(run).toHaveBeenCalledTimes(1);
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    ends[0](1);
    await stopping;
    expect(stopped).toBe(true);
    jest.advanceTimersByTime(5000);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
