import { isConnectorType } from '@flow-oauth/connector-definitions';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { labelProblem } from './label-rules';

/** A scope as OAuth 2 defines one (RFC 6749 section 3.3): visible ASCII, no spaces. */
const SCOPE_TOKEN = /^[\x21-\x7e]+$/;

/** The body of POST /api/connectors/authorizations: what a sign-in needs before any redirect. */
export const StartAuthorizationSchema = z.object({
  // An unknown type is invalid input (400, SPEC section 3), not a missing resource: one of the 26 or nothing.
  type: z
    .string()
    .min(1, 'type is required')
    .refine((type) => type === '' || isConnectorType(type), 'type must be one of the connector types, e.g. google_gmail (GET /api/providers lists what you can connect to)')
    .meta({ description: 'connector type, e.g. google_gmail' }),
  provider: z.string().min(1, 'provider is required').meta({ description: 'the loaded OAuth provider, e.g. Gmail-1' }),
  // The label rules are the ThingWorx ones, kept in label-rules.ts; uniqueness is checked against the database (409 label_taken).
  label: z
    .string({ error: (issue) => labelProblem(issue.input) })
    .superRefine((label, ctx) => {
      const problem = labelProblem(label);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({ description: 'unique across all connectors, case-sensitive: letters, digits, _ and -, not starting with a digit' }),
  // Values are checked against the provider's definition afterwards (400 invalid_params).
  params: z
    .record(z.string(), z.unknown(), { error: 'params must be an object of strings' })
    .optional()
    .meta({ description: 'per-connection values the provider asks for (tenant, subdomain, login_host ...)' }),
  scopes: z
    .array(z.string(), { error: 'scopes must be an array of scope strings' })
    .refine((scopes) => scopes.every((scope) => SCOPE_TOKEN.test(scope)), 'scopes must be an array of scope strings (each one word of visible ASCII characters)')
    .optional(),
  // Its origin must be allowed (FLOW_ALLOWED_REDIRECT_ORIGINS): checked by the sign-in, which knows the configuration.
  redirectUrl: z.string({ error: 'redirectUrl must be a URL' }).optional().meta({ description: 'where the return page sends the browser afterwards' }),
});

/** A validated sign-in request. */
export type StartAuthorizationRequest = z.output<typeof StartAuthorizationSchema>;

/** The sign-in request as a DTO class: validates the body and describes it in OpenAPI. */
export class StartAuthorizationDto extends createZodDto(StartAuthorizationSchema) {}

/** The body of POST /api/connectors/:id/reauthorize (optional): the connector's own scopes unless `scopes` says otherwise. */
export const ReauthorizeSchema = StartAuthorizationSchema.pick({ scopes: true, redirectUrl: true });

/** A validated reconnect request. */
export type ReauthorizeRequest = z.output<typeof ReauthorizeSchema>;

/** The reconnect request as a DTO class. */
export class ReauthorizeDto extends createZodDto(ReauthorizeSchema) {}
