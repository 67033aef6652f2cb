import { Controller, HttpCode, Post } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { ApiError } from '@flow-oauth/http-common';
import { rotateSealedValues, UnreadableSealedValuesError } from '@flow-oauth/persistence';
import { SecretBox } from '@flow-oauth/secrets';
import { DataSource } from 'typeorm';

/** Key rotation (`npm run flow-oauth -- rotate-key`): re-seals everything at rest with FLOW_ENCRYPTION_KEY. */
@Controller('api/encryption-key')
@Roles('admin')
export class EncryptionKeyController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly box: SecretBox,
  ) {}

  /** 200 `{ keyId, resealed: { providers, tokens, canary }, before, after }` (counts by key id); 409 when a value does not open. */
  @Post('rotation')
  @HttpCode(200)
  async rotate() {
    try {
      return await rotateSealedValues(this.dataSource, this.box);
    } catch (error) {
      if (error instanceof UnreadableSealedValuesError) throw new ApiError(409, 'sealed_values_unreadable', error.message, { keyIds: error.keyIds });
      throw error;
    }
  }
}
