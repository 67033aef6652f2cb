import { createCipheriv, randomBytes } from 'node:crypto';
import type { SealedPlace } from './sealed-place';
import { SecretBox, SecretDecryptionError } from './secret-box';

/** The previous release's envelope (additional data: the key id only), as a database of that release holds it. */
function sealV1(key: Buffer, plaintext: string): string {
  const keyId = SecretBox.keyIdOf(key);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(keyId));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** The error `fn` throws (fails the test when it throws none). */
function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

const accessToken = (row: string): SealedPlace => ({ table: 'connectors', column: 'access_token', row });

describe('SecretBox', () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);

  it('round-trips a secret bound to its place and never stores it in clear', () => {
    const sealed = box.seal('s3cr3t-value', accessToken('c-1'));
    expect(sealed).not.toContain('s3cr3t');
    expect(sealed.startsWith(`v2.${box.keyId}.`)).toBe(true);
    expect(box.open(sealed, accessToken('c-1'))).toBe('s3cr3t-value');
    expect(SecretBox.inspect(sealed)).toEqual({ format: 'v2', keyId: box.keyId });
  });

  it('uses a fresh IV for every value', () => {
    expect(box.seal('same', accessToken('c-1'))).not.toBe(box.seal('same', accessToken('c-1')));
  });

  it('refuses a value opened for another row, column or table, without revealing it', () => {
    const sealed = box.seal('bound-secret', accessToken('c-1'));
    const elsewhere: SealedPlace[] = [
      accessToken('c-2'),
      { table: 'connectors', column: 'refresh_token', row: 'c-1' },
      { table: 'providers', column: 'secrets', row: 'c-1' },
      { table: 'flow_meta', column: 'value', row: 'c-1' },
      { table: 'redis', column: 'oauth-state', row: 'c-1' },
    ];
    for (const place of elsewhere) {
      const error = errorOf(() => box.open(sealed, place));
      expect(error).toBeInstanceOf(SecretDecryptionError);
      expect(error.message).toContain(`${place.table}.${place.column}.${place.row}`);
      expect(error.message).toContain('another table, column or row');
      expect(error.message).not.toContain('bound-secret');
    }
  });

  it('a row key that merely concatenates the same way is another place', () => {
    // The additional data is unambiguous: "a.b" + "c" never equals "a" + "b.c".
    const sealed = box.seal('x', { table: 'flow_meta', column: 'value', row: 'a.b' });
    expect(() => box.open(sealed, { table: 'flow_meta', column: 'value', row: 'a' })).toThrow(SecretDecryptionError);
  });

  it('JSON values are bound like strings', () => {
    const place: SealedPlace = { table: 'providers', column: 'secrets', row: 'p-1' };
    const sealed = box.sealJson({ CLIENT_SECRET: 'cs' }, place);
    expect(box.openJson(sealed, place)).toEqual({ CLIENT_SECRET: 'cs' });
    expect(() => box.openJson(sealed, { ...place, row: 'p-2' })).toThrow(SecretDecryptionError);
  });

  it('refuses to seal for an undeclared place or a row without a key', () => {
    expect(() => box.seal('x', { table: 'connectors', column: 'access_token', row: '' })).toThrow('needs the key of its row');
    expect(() => box.seal('x', { table: 'users', column: 'key_hash', row: 'u' } as unknown as SealedPlace)).toThrow('not a declared place');
  });

  it('detects tampering', () => {
    const sealed = box.seal('value', accessToken('c-1'));
    const parts = sealed.split('.');
    const body = Buffer.from(parts[4], 'base64url');
    body[0] ^= 1;
    parts[4] = body.toString('base64url');
    expect(() => box.open(parts.join('.'), accessToken('c-1'))).toThrow('integrity');
  });

  it('rejects keys of the wrong size', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow('32-byte');
    expect(() => new SecretBox(randomBytes(32), [randomBytes(31)])).toThrow('32-byte');
  });
});

describe('SecretBox as a key ring', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const before = new SecretBox(oldKey);
  const ring = new SecretBox(newKey, [oldKey]);

  it('opens what the old key sealed, and seals with the new key only', () => {
    const sealedBefore = before.seal('token-1', accessToken('c-1'));
    expect(ring.open(sealedBefore, accessToken('c-1'))).toBe('token-1');
    const sealedNow = ring.seal('token-2', accessToken('c-1'));
    expect(SecretBox.keyIdOfSealed(sealedNow)).toBe(SecretBox.keyIdOf(newKey));
    expect(ring.keyIds).toEqual([SecretBox.keyIdOf(newKey), SecretBox.keyIdOf(oldKey)]);
    expect(() => before.open(sealedNow, accessToken('c-1'))).toThrow(SecretDecryptionError);
  });

  it('reseal moves a value to the new key in the same place, and it then opens without the old key', () => {
    const sealedBefore = before.seal('token-3', accessToken('c-3'));
    const resealed = ring.reseal(sealedBefore, accessToken('c-3'));
    expect(SecretBox.keyIdOfSealed(resealed)).toBe(ring.keyId);
    expect(new SecretBox(newKey).open(resealed, accessToken('c-3'))).toBe('token-3');
    expect(() => ring.reseal(sealedBefore, accessToken('c-4'))).toThrow('another table, column or row');
  });

  it('refuses a key id it does not hold, naming the key ids of the ring and the variables, never a key or the value', () => {
    const stranger = new SecretBox(randomBytes(32));
    const sealed = stranger.seal('strangers-token', accessToken('c-1'));
    const error = errorOf(() => ring.open(sealed, accessToken('c-1')));
    expect(error).toBeInstanceOf(SecretDecryptionError);
    expect((error as SecretDecryptionError).storedKeyId).toBe(stranger.keyId);
    for (const expected of [stranger.keyId, ring.keyId, SecretBox.keyIdOf(oldKey), 'FLOW_ENCRYPTION_KEY', 'FLOW_ENCRYPTION_OLD_KEYS']) {
      expect(error.message).toContain(expected);
    }
    for (const secret of ['strangers-token', oldKey.toString('base64'), newKey.toString('base64'), oldKey.toString('hex'), newKey.toString('hex')]) {
      expect(error.message).not.toContain(secret);
    }
  });

  it('keeps a key listed twice (or the current key listed as old) once', () => {
    expect(new SecretBox(newKey, [oldKey, oldKey, newKey]).keyIds).toEqual(ring.keyIds);
  });
});

describe('SecretBox and the unbound v1 format', () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);

  it('refuses a v1 value when opening, saying why', () => {
    const legacy = sealV1(key, 'legacy-token');
    expect(SecretBox.inspect(legacy)).toEqual({ format: 'v1', keyId: box.keyId });
    const error = errorOf(() => box.open(legacy, accessToken('c-1')));
    expect(error).toBeInstanceOf(SecretDecryptionError);
    expect(error.message).toContain('unbound v1 format');
    expect(error.message).not.toContain('legacy-token');
  });

  it('bindLegacy turns a v1 value into a v2 value bound to its place, with the current key', () => {
    const oldKey = randomBytes(32);
    const ring = new SecretBox(key, [oldKey]);
    const bound = ring.bindLegacy(sealV1(oldKey, 'legacy-token'), accessToken('c-9'));
    expect(SecretBox.inspect(bound)).toEqual({ format: 'v2', keyId: ring.keyId });
    expect(box.open(bound, accessToken('c-9'))).toBe('legacy-token');
    expect(() => box.open(bound, accessToken('c-8'))).toThrow(SecretDecryptionError);
    expect(() => ring.bindLegacy(bound, accessToken('c-9'))).toThrow('not of the v1 format');
  });

  it('a v1 value of a key not in the ring is refused by bindLegacy too', () => {
    expect(() => box.bindLegacy(sealV1(randomBytes(32), 't'), accessToken('c-1'))).toThrow('neither FLOW_ENCRYPTION_KEY');
  });

  it('something that is no envelope at all is refused as an unknown format', () => {
    expect(() => box.open('plain-text-token', accessToken('c-1'))).toThrow('unknown format');
    expect(SecretBox.inspect('v3.a.b.c.d')).toBeUndefined();
  });
});
