import { googleDefinition } from './families/google';

/** Gmail (Google OAuth client). */
export const GOOGLE_GMAIL_DEFINITION = googleDefinition({
  name: 'google_gmail',
  title: 'Gmail',
  scopes: [['https://www.googleapis.com/auth/gmail.modify', 'Read, compose and send email in Gmail']],
  validateUrl: 'https://gmail.googleapis.com/gmail/v1/users/me/profile',
});
