import { Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { ApiError } from './api-error';
import { fieldName, JsonBody, parseRequest, ValidQuery } from './request-schema';

const NoteSchema = z.object({
  title: z.string().min(1, 'title is required'),
  tags: z.array(z.string()).optional(),
  meta: z.object({ 'a/b': z.number() }).optional(),
});
class NoteDto extends createZodDto(NoteSchema) {}
const NoteQuerySchema = z.object({ draft: z.stringbool().optional() });
class NoteQueryDto extends createZodDto(NoteQuerySchema) {}

function refusal(value: unknown): unknown {
  try {
    parseRequest(NoteSchema, value);
  } catch (error) {
    if (error instanceof ApiError) return { status: error.getStatus(), body: error.getResponse() };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseRequest', () => {
  it('answers the parsed value, without fields the schema does not know', () => {
    expect(parseRequest(NoteSchema, { title: 'a', tags: ['x'], other: 1 })).toEqual({ title: 'a', tags: ['x'] });
  });

  it('refuses with 400 invalid_request naming every bad field in the message, one problem each with its JSON pointer', () => {
    expect(refusal({ title: '', tags: ['ok', 7], meta: { 'a/b': 'x' } })).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        message: 'title is required; tags[1] must be a string; meta.a/b must be a number.',
        problems: [
          { path: '/title', message: 'title is required' },
          { path: '/tags/1', message: 'tags[1] must be a string' },
          { path: '/meta/a~1b', message: 'meta.a/b must be a number' },
        ],
      },
    });
  });

  it('says a missing field is required and names the body when it is not an object', () => {
    expect(refusal({})).toMatchObject({ body: { problems: [{ path: '/title', message: 'title is required' }] } });
    expect(refusal([])).toMatchObject({ body: { problems: [{ path: '', message: 'the body must be an object' }] } });
  });

  it('names nested fields and array entries as a reader writes them', () => {
    expect(fieldName(['params', 'tenant'])).toBe('params.tenant');
    expect(fieldName(['scopes', 2])).toBe('scopes[2]');
    expect(fieldName([])).toBe('the body');
  });
});

@Controller('notes')
class NotesController {
  @Post()
  create(@JsonBody(NoteDto, { limitBytes: 1024 }) note: NoteDto, @ValidQuery(NoteQueryDto) query: NoteQueryDto) {
    return { note, query };
  }
}

@Module({ controllers: [NotesController] })
class NotesModule {}

describe('JsonBody and ValidQuery in OpenAPI', () => {
  it('describe the body and the query from the same schemas that validate them (@nestjs/swagger)', async () => {
    const app = await NestFactory.create(NotesModule, { logger: false, bodyParser: false });
    try {
      const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      const operation = document.paths['/notes']?.post;
      expect(operation?.requestBody).toEqual({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NoteDto' } } } });
      expect(operation?.parameters).toEqual([expect.objectContaining({ name: 'draft', in: 'query', required: false })]);
      expect(document.components?.schemas?.['NoteDto']).toMatchObject({
        type: 'object',
        properties: { title: { type: 'string', minLength: 1 }, tags: { type: 'array', items: { type: 'string' } } },
        required: ['title'],
      });
    } finally {
      await app.close();
    }
  });
});
