import type { DeploymentEnvironment } from '@flow-oauth/connector-definitions';

export type DatabaseSettings = { type: 'sqlite'; file: string } | { type: 'postgres'; url: string };

/** The validated configuration every process reads (SPEC section 6). */
export interface FlowConfig {
  database: DatabaseSettings;
  redisUrl: string;
  ports: { configLoader: number; flowOauth: number; tokenRefresher: number };
  publicUrl: string;
  /** `<FLOW_PUBLIC_URL>/Thingworx/Oauths/oauth/return`, registered with every provider. */
  returnUrl: string;
  adminKey: string;
  serviceKey: string;
  encryptionKey: Buffer;
  /** FLOW_ENCRYPTION_OLD_KEYS: retired keys that still open (never seal) during a key rotation. */
  oldEncryptionKeys: Buffer[];
  flowEnv: DeploymentEnvironment;
  refreshMarginSeconds: number;
  allowedRedirectOrigins: string[];
  maxConfigBytes: number;
  dataDir: string;
  /** Prefix of every BullMQ queue and Redis key this deployment uses (FLOW_QUEUE_PREFIX, default flow). */
  queuePrefix: string;
  /** Which generated keys were created by this call (so the caller can print them once). */
  generated: Array<'FLOW_ADMIN_KEY' | 'FLOW_SERVICE_KEY' | 'FLOW_ENCRYPTION_KEY'>;
  /** Acceptable but unwise values, logged at start-up (never with the value). */
  warnings: string[];
}

export const FLOW_CONFIG = Symbol('FLOW_CONFIG');

export const RETURN_PATH = '/Thingworx/Oauths/oauth/return';
