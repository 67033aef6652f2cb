import { randomBytes } from 'node:crypto';
import { SecretBox, SecretDecryptionError } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips a secret and never stores it in clear', () => {
    const sealed = box.seal('s3cr3t-value');
    expect(sealed).not.toContain('s3cr3t');
    expect(box.open(sealed)).toBe('s3cr3t-value');
    expect(SecretBox.keyIdOfSealed(sealed)).toBe(box.keyId);
  });

  it('uses a fresh IV for every value', () => {
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses a value sealed with another key, naming both key ids but not the value', () => {
    const other = new SecretBox(randomBytes(32));
    const sealed = other.seal('top-secret');
    expect(() => box.open(sealed)).toThrow(SecretDecryptionError);
    expect(() => box.open(sealed)).toThrow(other.keyId);
    try {
      box.open(sealed);
    } catch (error) {
      expect(String(error)).not.toContain('top-secret');
    }
  });

  it('detects tampering', () => {
    const sealed = box.seal('value');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[4], 'base64url');
    body[0] ^= 1;
    parts[4] = body.toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow('integrity');
  });

  it('rejects keys of the wrong size', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow('32-byte');
  });
});
