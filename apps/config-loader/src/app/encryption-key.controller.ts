import { Controller, HttpCode, Post } from '@nestjs/common';
import { ActivityRecorder } from '@flow-oauth/activity';
import { Roles } from '@flow-oauth/api-auth';
import { ApiErrorAnswer } from '@flow-oauth/api-docs';
import { ApiError } from '@flow-oauth/http-common';
import { rotateSealedValues, UnreadableSealedValuesError } from '@flow-oauth/persistence';
import { SecretBox } from '@flow-oauth/secrets';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';

/** Key rotation (`npm run flow-oauth -- rotate-key`): re-seals everything at rest with FLOW_ENCRYPTION_KEY. */
@ApiTags('encryption key')
@Controller('api/encryption-key')
@Roles('admin')
export class EncryptionKeyController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly box: SecretBox,
    private readonly activity: ActivityRecorder,
  ) {}

  /** 200 `{ keyId, resealed: { providers, tokens, canary }, before, after }` (counts by key id); 409 when a value does not open. */
  @Post('rotation')
  @HttpCode(200)
  @ApiResponse({ status: 200, description: '`{ keyId, resealed: { providers, tokens, canary }, before, after }`' })
  @ApiErrorAnswer(409, 'ApiError', 'A sealed value opens with no configured key (`sealed_values_unreadable`, with `keyIds`); nothing changed')
  async rotate() {
    const entry = { kind: 'admin', type: 'encryption_key.rotation', actor: 'admin', subject: 'encryption_key' } as const;
    try {
      const result = await rotateSealedValues(this.dataSource, this.box);
      await this.activity.record({ ...entry, outcome: 'ok', detail: { keyId: result.keyId, resealed: result.resealed } });
      return result;
    } catch (error) {
      if (error instanceof UnreadableSealedValuesError) {
        await this.activity.record({ ...entry, outcome: 'refused', detail: { unreadableKeyIds: error.keyIds } });
        throw new ApiError(409, 'sealed_values_unreadable', error.message, { keyIds: error.keyIds });
      }
      throw error;
    }
  }
}
