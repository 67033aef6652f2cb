import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** Raised when a value was sealed with another key, or was tampered with. Never carries the value. */
export class SecretDecryptionError extends Error {
  constructor(
    message: string,
    readonly storedKeyId?: string,
  ) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

/**
 * AES-256-GCM envelope for secrets at rest: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url).
 * The key id (a hash prefix of the key) sits beside each value so a wrong key is recognised
 * before any attempt to decrypt, and so keys can be rotated one day.
 */
export class SecretBox {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
    this.keyId = SecretBox.keyIdOf(key);
  }

  /** A short, non-reversible identifier of a key. */
  static keyIdOf(key: Buffer): string {
    return createHash('sha256').update('flow-oauth-key-id').update(key).digest('hex').slice(0, 12);
  }

  /** Encrypts a string. */
  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(this.keyId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.keyId, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Decrypts a value sealed by `seal` with the same key. */
  open(sealed: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretDecryptionError('stored secret has an unknown format');
    const [, keyId, iv, tag, body] = parts;
    if (keyId !== this.keyId) {
      throw new SecretDecryptionError(
        `stored secret was encrypted with key id ${keyId}, but FLOW_ENCRYPTION_KEY has key id ${this.keyId}`,
        keyId,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError('stored secret failed its integrity check', keyId);
    }
  }

  /** Seals a JSON-serialisable object. */
  sealJson(value: unknown): string {
    return this.seal(JSON.stringify(value));
  }

  /** Opens a value sealed by `sealJson`. */
  openJson<T>(sealed: string): T {
    return JSON.parse(this.open(sealed)) as T;
  }

  /** The key id a sealed value names, without decrypting it. */
  static keyIdOfSealed(sealed: string): string | undefined {
    const parts = sealed.split('.');
    return parts.length === 5 ? parts[1] : undefined;
  }
}
