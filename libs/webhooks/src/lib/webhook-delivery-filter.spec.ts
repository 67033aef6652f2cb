import { ApiError } from '@flow-oauth/http-common';
import { DELIVERIES_DEFAULT_LIMIT, parseDeliveryFilter } from './webhook-delivery-filter';

const ID = '3f1c9e7a-0b7e-4b7e-9a39-2f1d7c5e8a10';

describe('GET /api/webhooks/deliveries filters', () => {
  it('reads status, event, a connector id or a subject, and a limit', () => {
    expect(parseDeliveryFilter({})).toEqual({ limit: DELIVERIES_DEFAULT_LIMIT });
    expect(parseDeliveryFilter({ status: 'failed', event: 'connector.deleted', connector: ID, limit: '5' })).toEqual({ status: 'failed', event: 'connector.deleted', subject: `connector:${ID}`, limit: 5 });
    expect(parseDeliveryFilter({ subject: `provider:${ID}` }).subject).toBe(`provider:${ID}`);
  });

  it('refuses what it does not know, naming each parameter', () => {
    let message = '';
    try {
      parseDeliveryFilter({ status: 'lost', event: 'connector.refreshed', connector: 'Label', limit: '5000', colour: 'red' });
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      message = (error as ApiError).message;
    }
    for (const part of ['status must be', 'event must be', 'connector must be', 'limit must be', 'unknown parameter colour']) expect(message).toContain(part);
  });
});
