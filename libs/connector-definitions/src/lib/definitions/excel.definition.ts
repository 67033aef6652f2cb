import { microsoftDefinition } from './families/microsoft';

/** Excel Online through Microsoft Graph (workbooks on OneDrive for Business / SharePoint). */
export const EXCEL_DEFINITION = microsoftDefinition({
  name: 'excel',
  title: 'Excel Online',
  scopes: [
    ['offline_access', 'Keep access (refresh token)'],
    ['User.Read', 'Sign you in and read your profile'],
    ['Files.ReadWrite', 'Read and write your files'],
  ],
  validateUrl: 'https://graph.microsoft.com/v1.0/me',
});
