import { googleDefinition } from './families/google';

/** Google Drive (Google OAuth client). */
export const GOOGLE_DRIVE_DEFINITION = googleDefinition({
  name: 'google_drive',
  title: 'Google Drive',
  scopes: [['https://www.googleapis.com/auth/drive', 'See, edit, create and delete your Google Drive files']],
  validateUrl: 'https://www.googleapis.com/drive/v3/about?fields=user',
});
