import { spreadOf } from './spread';

describe('spreadOf', () => {
  it('places ids evenly and stably within the interval', () => {
    const day = 86_400_000;
    expect(spreadOf('00000000-0000-4000-8000-000000000000', day)).toBe(0);
    expect(spreadOf('80000000-0000-4000-8000-000000000000', day)).toBe(day / 2);
    expect(spreadOf('ffffffff-0000-4000-8000-000000000000', day)).toBeLessThan(day);
    expect(spreadOf('3f1c9e7a-0b7e-4b7e-9a39-2f1d7c5e8a10', day)).toBe(spreadOf('3f1c9e7a-0b7e-4b7e-9a39-2f1d7c5e8a10', day));
    const other = spreadOf('not-a-uuid', day);
    expect(other).toBeGreaterThanOrEqual(0);
    expect(other).toBeLessThan(day);
  });
});
