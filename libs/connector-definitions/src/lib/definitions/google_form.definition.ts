import { googleDefinition } from './families/google';

/** Google Forms (Google OAuth client). */
export const GOOGLE_FORM_DEFINITION = googleDefinition({
  name: 'google_form',
  title: 'Google Forms',
  scopes: [
    ['https://www.googleapis.com/auth/forms.body', 'See, edit, create and delete your Google Forms'],
    ['https://www.googleapis.com/auth/forms.responses.readonly', 'See the responses to your Google Forms'],
  ],
});
