import { microsoftDefinition } from './families/microsoft';

/** OneDrive through Microsoft Graph (tenant "consumers" for personal accounts). */
export const ONEDRIVE_DEFINITION = microsoftDefinition({
  name: 'onedrive',
  title: 'OneDrive',
  scopes: [
    ['offline_access', 'Keep access (refresh token)'],
    ['User.Read', 'Sign you in and read your profile'],
    ['Files.ReadWrite.All', 'Read and write all files you can access'],
  ],
  validateUrl: 'https://graph.microsoft.com/v1.0/me/drive',
});
