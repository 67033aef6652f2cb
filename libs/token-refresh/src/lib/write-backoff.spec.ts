import { WriteBackoff } from './write-backoff';

describe('WriteBackoff', () => {
  it('skips writes for the pause after a refused one, then lets one try again; an accepted write ends the pause', () => {
    let now = 1_000_000;
    const writes = new WriteBackoff(1000, () => now);
    expect(writes.paused()).toBe(false);

    writes.refused();
    expect(writes.paused()).toBe(true);
    now += 999;
    expect(writes.paused()).toBe(true);
    now += 1;
    expect(writes.paused()).toBe(false);

    // The probe is refused again: another pause from now.
    writes.refused();
    now += 500;
    expect(writes.paused()).toBe(true);
    // Another writer got through meanwhile (the database is back): no need to wait out the pause.
    writes.accepted();
    expect(writes.paused()).toBe(false);
  });
});
