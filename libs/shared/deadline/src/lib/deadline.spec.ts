import { settleWithin, withDeadline } from './deadline';

describe('withDeadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('answers what the work answers when it settles first', async () => {
    await expect(withDeadline(Promise.resolve(7), 1000)).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('refused')), 1000)).rejects.toThrow('refused');
  });

  it('rejects with the given message once the time is up first', async () => {
    const outcome = withDeadline(new Promise<never>(() => undefined), 1000, 'Redis did not answer');
    jest.advanceTimersByTime(1000);
    await expect(outcome).rejects.toThrow('Redis did not answer');
  });

  it('says timeout when no message is given', async () => {
    const outcome = withDeadline(new Promise<never>(() => undefined), 50);
    jest.advanceTimersByTime(50);
    await expect(outcome).rejects.toThrow('timeout');
  });

  it('leaves no timer behind once the work settled', async () => {
    await withDeadline(Promise.resolve('done'), 60_000);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('settleWithin', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('answers what the work answers when it settles first', async () => {
    await expect(settleWithin(Promise.resolve(true), 1000)).resolves.toBe(true);
    await expect(settleWithin(Promise.reject(new Error('gone')), 1000)).rejects.toThrow('gone');
  });

  it('resolves undefined once the time is up first', async () => {
    const outcome = settleWithin(new Promise<never>(() => undefined), 1000);
    jest.advanceTimersByTime(1000);
    await expect(outcome).resolves.toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });
});
