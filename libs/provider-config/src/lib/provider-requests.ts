import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/**
 * Requests of the provider routes besides the configuration file itself, which has its own
 * validator (JSON pointers, duplicate keys: libs/connector-definitions).
 */

/** `?dryRun=true|false|1|0` (any case; empty is false); anything else is a 400, not a silent real load. */
export const LoadQuerySchema = z.object({
  dryRun: z
    .stringbool({ truthy: ['true', '1'], falsy: ['false', '0', ''], error: 'dryRun must be true or false' })
    .optional()
    .meta({ description: 'true: answer the plan and write nothing' }),
});

/** The query of a load (POST /api/oauth-configurations, LoadOAuthConfiguration). */
export class LoadQueryDto extends createZodDto(LoadQuerySchema) {}

/** `?user=<name>` once: an empty or repeated one is refused rather than read as "every user". */
export const PurgeQuerySchema = z.object({
  user: z
    .string({ error: 'user must be one user name' })
    .min(1, 'user must not be empty: leave it out to purge the tokens of every user')
    .optional()
    .meta({ description: "only this user's connectors; all of the provider's connectors when left out" }),
});

/** The query of a token purge (DELETE /api/oauth-configurations/:type/:provider/tokens). */
export class PurgeQueryDto extends createZodDto(PurgeQuerySchema) {}

/** The body of the ThingWorx alias DeleteOAuthConfiguration. */
export const DeleteOAuthConfigurationSchema = z.object({
  connectorName: z.string().min(1, 'connectorName is required').meta({ description: 'the connector type, e.g. google_gmail' }),
  oauthProvider: z.string().min(1, 'oauthProvider is required').meta({ description: 'the provider name, e.g. Gmail-1' }),
});

/** DeleteOAuthConfiguration as a DTO class: validates the body and describes it in OpenAPI. */
export class DeleteOAuthConfigurationDto extends createZodDto(DeleteOAuthConfigurationSchema) {}
