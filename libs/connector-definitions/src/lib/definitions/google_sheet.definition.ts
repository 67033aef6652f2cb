import { googleDefinition } from './families/google';

/** Google Sheets (Google OAuth client). */
export const GOOGLE_SHEET_DEFINITION = googleDefinition({
  name: 'google_sheet',
  title: 'Google Sheets',
  scopes: [['https://www.googleapis.com/auth/spreadsheets', 'See, edit, create and delete your Google Sheets']],
});
