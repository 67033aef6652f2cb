import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
// Names of the fixed keys' principals: a user of that name would read as one of them in logs and answers.
const RESERVED = new Set(['admin', 'service']);

/** The body of POST /api/users. */
export const CreateUserSchema = z.object({
  name: z
    .string()
    .regex(NAME_PATTERN, 'name must be 1-64 characters: letters, digits, _ . @ - (starting with a letter or digit)')
    .refine((name) => !RESERVED.has(name.toLowerCase()), { error: (issue) => `name "${String(issue.input)}" is reserved`, abort: true })
    .meta({ description: 'the user name; letters, digits, _ . @ - (starting with a letter or digit), at most 64 characters' }),
});

/** A validated POST /api/users body. */
export type CreateUserRequest = z.output<typeof CreateUserSchema>;

/** POST /api/users as a DTO class: validates the body and describes it in OpenAPI. */
export class CreateUserDto extends createZodDto(CreateUserSchema) {}
