import { microsoftDefinition } from './families/microsoft';

/** Office 365 (Microsoft Graph: mail, calendars). */
export const MICROSOFT_365_DEFINITION = microsoftDefinition({
  name: 'microsoft_365',
  title: 'Office 365',
  scopes: [
    ['offline_access', 'Keep access (refresh token)'],
    ['User.Read', 'Sign you in and read your profile'],
    ['Mail.ReadWrite', 'Read and write your mail'],
    ['Calendars.ReadWrite', 'Read and write your calendars'],
  ],
  validateUrl: 'https://graph.microsoft.com/v1.0/me',
});
