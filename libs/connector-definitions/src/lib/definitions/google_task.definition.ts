import { googleDefinition } from './families/google';

/** Google Tasks (Google OAuth client). */
export const GOOGLE_TASK_DEFINITION = googleDefinition({
  name: 'google_task',
  title: 'Google Tasks',
  scopes: [['https://www.googleapis.com/auth/tasks', 'Create, edit, organize and delete your tasks']],
  validateUrl: 'https://tasks.googleapis.com/tasks/v1/users/@me/lists?maxResults=1',
});
