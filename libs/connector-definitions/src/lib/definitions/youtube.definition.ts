import { googleDefinition } from './families/google';

/** YouTube (Google OAuth client). */
export const YOUTUBE_DEFINITION = googleDefinition({
  name: 'youtube',
  title: 'YouTube',
  scopes: [['https://www.googleapis.com/auth/youtube.readonly', 'View your YouTube account']],
  validateUrl: 'https://www.googleapis.com/youtube/v3/channels?part=id&mine=true',
});
