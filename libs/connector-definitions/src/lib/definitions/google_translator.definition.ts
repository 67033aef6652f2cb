import { googleDefinition } from './families/google';

/** Google Translator (Google OAuth client). */
export const GOOGLE_TRANSLATOR_DEFINITION = googleDefinition({
  name: 'google_translator',
  title: 'Google Translator',
  scopes: [['https://www.googleapis.com/auth/cloud-translation', 'Translate text with Google Cloud Translation']],
});
