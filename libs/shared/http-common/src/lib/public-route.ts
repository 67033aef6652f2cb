import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE_KEY = 'flow:public';

/** A route that needs no API key (health, the OAuth return page). */
export const Public = () => SetMetadata(PUBLIC_ROUTE_KEY, true);
