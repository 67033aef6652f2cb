import { createCipheriv, createDecipheriv, createHash, randomFillSync } from 'node:crypto';
import { checkPlace, describePlace, type SealedPlace } from './sealed-place';

const IV_BYTES = 12;
const IV_POOL_SIZE = IV_BYTES * 512;
let ivPool = Buffer.alloc(0);
let ivOffset = IV_POOL_SIZE;

/**
 * A fresh random 96-bit IV, cut from a pool the CSPRNG fills 512 IVs at a time: one randomBytes call
 * per seal was 5-7% of a background refresh's CPU in bench/refresh (each call crosses into OpenSSL).
 * Every IV is still random and used once; the pool is replaced, never refilled in place, so an IV
 * handed out earlier is never overwritten. Node's randomUUID caches its random bytes the same way.
 */
function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > IV_POOL_SIZE) {
    ivPool = randomFillSync(Buffer.allocUnsafe(IV_POOL_SIZE));
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

/** The envelope of earlier releases: additional data is the key id only, so it opens in any row. */
const UNBOUND = 'v1';
/** The envelope written now: additional data names the key id and the place (table, column, row). */
const BOUND = 'v2';

/** What a sealed value says about itself, read without decrypting it. */
export interface SealedEnvelope {
  format: typeof UNBOUND | typeof BOUND;
  keyId: string;
}

interface ParsedEnvelope extends SealedEnvelope {
  iv: Buffer;
  tag: Buffer;
  body: Buffer;
}

/** Raised when a value was sealed with a key not in the ring, tampered with, or moved. Never carries the value. */
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
 * The key ring for secrets at rest (AES-256-GCM): `FLOW_ENCRYPTION_KEY` seals, every key of
 * `FLOW_ENCRYPTION_OLD_KEYS` still opens. Envelope: `v2.<keyId>.<iv>.<tag>.<ciphertext>` (base64url);
 * the key id picks the key, and the additional data binds the value to the table, column and row
 * it was sealed for, so a ciphertext copied elsewhere is refused instead of opened.
 */
export class SecretBox {
  /** The id of the key that seals (FLOW_ENCRYPTION_KEY). */
  readonly keyId: string;
  /** Every key id this ring opens, the sealing one first. */
  readonly keyIds: readonly string[];
  private readonly keys = new Map<string, Buffer>();

  constructor(key: Buffer, oldKeys: readonly Buffer[] = []) {
    for (const k of [key, ...oldKeys]) if (k.length !== 32) throw new Error('SecretBox needs 32-byte keys');
    this.keyId = SecretBox.keyIdOf(key);
    this.keys.set(this.keyId, key);
    // An old key listed twice, or the current key listed as old, is the same key: keep it once.
    for (const old of oldKeys) if (!this.keys.has(SecretBox.keyIdOf(old))) this.keys.set(SecretBox.keyIdOf(old), old);
    this.keyIds = [...this.keys.keys()];
  }

  /** A short, non-reversible identifier of a key. */
  static keyIdOf(key: Buffer): string {
    return createHash('sha256').update('flow-oauth-key-id').update(key).digest('hex').slice(0, 12);
  }

  /** The format and key id a sealed value names, without decrypting it; undefined when it is no envelope. */
  static inspect(sealed: string): SealedEnvelope | undefined {
    const parts = typeof sealed === 'string' ? sealed.split('.') : [];
    if (parts.length !== 5 || (parts[0] !== UNBOUND && parts[0] !== BOUND) || !parts[1]) return undefined;
    return { format: parts[0], keyId: parts[1] };
  }

  /** The key id a sealed value names, without decrypting it. */
  static keyIdOfSealed(sealed: string): string | undefined {
    return SecretBox.inspect(sealed)?.keyId;
  }

  /** Whether this ring holds the key with that id. */
  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** Encrypts a string for one place, with the current key. */
  seal(plaintext: string, place: SealedPlace): string {
    checkPlace(place);
    const key = this.keys.get(this.keyId) as Buffer;
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(boundData(this.keyId, place));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [BOUND, this.keyId, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Decrypts a value sealed for this very place, with whichever key of the ring sealed it. */
  open(sealed: string, place: SealedPlace): string {
    checkPlace(place);
    const envelope = this.parse(sealed, place);
    if (envelope.format === UNBOUND) {
      throw new SecretDecryptionError(
        `stored secret at ${describePlace(place)} has the unbound v1 format, which is no longer accepted (config-loader binds v1 values once, when it first starts on a v1 database)`,
        envelope.keyId,
      );
    }
    return this.decrypt(envelope, boundData(envelope.keyId, place), place);
  }

  /** Seals a JSON-serialisable object for one place. */
  sealJson(value: unknown, place: SealedPlace): string {
    return this.seal(JSON.stringify(value), place);
  }

  /** Opens a value sealed by `sealJson` for the same place. */
  openJson<T>(sealed: string, place: SealedPlace): T {
    return JSON.parse(this.open(sealed, place)) as T;
  }

  /** The same value sealed again with the current key (key rotation); the plaintext never leaves the box. */
  reseal(sealed: string, place: SealedPlace): string {
    return this.seal(this.open(sealed, place), place);
  }

  /**
   * A value of the unbound v1 format sealed again, bound to the place it sits in now. Only for the
   * one-time migration of a v1 database: anywhere else a v1 value must stay refused.
   */
  bindLegacy(sealed: string, place: SealedPlace): string {
    checkPlace(place);
    const envelope = this.parse(sealed, place);
    if (envelope.format !== UNBOUND) throw new SecretDecryptionError(`stored secret at ${describePlace(place)} is not of the v1 format`, envelope.keyId);
    return this.seal(this.decrypt(envelope, Buffer.from(envelope.keyId), place), place);
  }

  private parse(sealed: string, place: SealedPlace): ParsedEnvelope {
    const envelope = SecretBox.inspect(sealed);
    if (!envelope) throw new SecretDecryptionError(`stored secret at ${describePlace(place)} has an unknown format`);
    if (!this.keys.has(envelope.keyId)) {
      const old = this.keyIds.slice(1);
      throw new SecretDecryptionError(
        `stored secret at ${describePlace(place)} was encrypted with key id ${envelope.keyId}, which is neither FLOW_ENCRYPTION_KEY (key id ${this.keyId}) ` +
          `nor in FLOW_ENCRYPTION_OLD_KEYS (${old.length > 0 ? `key ids ${old.join(', ')}` : 'empty'})`,
        envelope.keyId,
      );
    }
    const [, , iv, tag, body] = sealed.split('.');
    return { ...envelope, iv: Buffer.from(iv, 'base64url'), tag: Buffer.from(tag, 'base64url'), body: Buffer.from(body, 'base64url') };
  }

  private decrypt(envelope: ParsedEnvelope, additionalData: Buffer, place: SealedPlace): string {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.keys.get(envelope.keyId) as Buffer, envelope.iv);
      decipher.setAAD(additionalData);
      decipher.setAuthTag(envelope.tag);
      return Buffer.concat([decipher.update(envelope.body), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError(
        `stored secret at ${describePlace(place)} failed its integrity check: it was altered, or it was sealed for another table, column or row`,
        envelope.keyId,
      );
    }
  }
}

/** Additional data of a bound value: an unambiguous encoding (JSON array) whatever the row key holds. */
function boundData(keyId: string, place: SealedPlace): Buffer {
  return Buffer.from(JSON.stringify([BOUND, keyId, place.table, place.column, place.row]), 'utf8');
}
