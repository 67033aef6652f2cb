import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const PUBLIC_ROUTE_KEY = 'flow:public';
/** The OpenAPI extension that marks a public operation (the API docs give it no security requirement). */
export const PUBLIC_OPENAPI_EXTENSION = 'x-flow-public';

/** A route that needs no API key (health, the OAuth return page); said so in OpenAPI too. */
export const Public = () => applyDecorators(SetMetadata(PUBLIC_ROUTE_KEY, true), ApiExtension(PUBLIC_OPENAPI_EXTENSION, true));
