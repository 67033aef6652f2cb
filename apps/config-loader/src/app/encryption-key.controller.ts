import { Controller, HttpCode, Inject, Logger, Post } from '@nestjs/common';
import { ActivityRecorder } from '@flow-oauth/activity';
import { Roles } from '@flow-oauth/api-auth';
import { ApiErrorAnswer } from '@flow-oauth/api-docs';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { ApiError } from '@flow-oauth/http-common';
import { rotateSealedValues, UnreadableSealedValuesError } from '@flow-oauth/persistence';
import { REDIS } from '@flow-oauth/redis';
import { SecretBox } from '@flow-oauth/secrets';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { resealPendingTokenSets } from '@flow-oauth/token-refresh';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

/** Key rotation (`npm run flow-oauth -- rotate-key`): re-seals everything at rest with FLOW_ENCRYPTION_KEY. */
@ApiTags('encryption key')
@Controller('api/encryption-key')
@Roles('admin')
export class EncryptionKeyController {
  private readonly logger = new Logger('EncryptionKeyRotation');

  constructor(
    private readonly dataSource: DataSource,
    private readonly box: SecretBox,
    private readonly activity: ActivityRecorder,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  /**
   * 200 `{ keyId, resealed: { providers, tokens, canary }, before, after, pendingTokenSets: { resealed, unreadable } }`
   * (database counts by key id; the refreshes' pending token sets in Redis apart); 409 when a stored value does not open.
   */
  @Post('rotation')
  @HttpCode(200)
  @ApiResponse({ status: 200, description: '`{ keyId, resealed: { providers, tokens, canary }, before, after, pendingTokenSets: { resealed, unreadable } }`' })
  @ApiErrorAnswer(409, 'ApiError', 'A sealed value opens with no configured key (`sealed_values_unreadable`, with `keyIds`); nothing changed')
  @ApiErrorAnswer(503, 'ApiError', 'Redis did not answer after the database was re-sealed: the pending token sets were not (run the rotation again)')
  async rotate() {
    const entry = { kind: 'admin', type: 'encryption_key.rotation', actor: 'admin', subject: 'encryption_key' } as const;
    let result: Awaited<ReturnType<typeof rotateSealedValues>>;
    try {
      result = await rotateSealedValues(this.dataSource, this.box);
    } catch (error) {
      if (error instanceof UnreadableSealedValuesError) {
        await this.activity.record({ ...entry, outcome: 'refused', detail: { unreadableKeyIds: error.keyIds } });
        throw new ApiError(409, 'sealed_values_unreadable', error.message, { keyIds: error.keyIds });
      }
      throw error;
    }
    // After the database: a token set a refresh keeps in Redis until the database has it must open once the old key is gone.
    let pendingTokenSets: { resealed: number; unreadable: number };
    try {
      pendingTokenSets = await resealPendingTokenSets(this.redis, this.config.queuePrefix, this.box);
    } catch (error) {
      this.logger.error(`pending token sets in Redis not re-sealed (${(error as Error).message}); keep FLOW_ENCRYPTION_OLD_KEYS and run the rotation again`);
      throw new ApiError(
        503,
        'dependency_unavailable',
        'The stored values were re-sealed with the new key, but Redis did not answer, so the pending token sets kept there were not: keep FLOW_ENCRYPTION_OLD_KEYS and run the rotation again once Redis answers.',
      );
    }
    if (pendingTokenSets.unreadable > 0) {
      this.logger.warn(`${pendingTokenSets.unreadable} pending token set(s) in Redis open with no key of the ring; left as they are (they expire)`);
    }
    await this.activity.record({ ...entry, outcome: 'ok', detail: { keyId: result.keyId, resealed: result.resealed, pendingTokenSets } });
    return { ...result, pendingTokenSets };
  }
}
