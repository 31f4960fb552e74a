// English: the privacy information.
import type { KeysOf } from '../catalogue.ts';
import type { privacy as sv } from '../sv/privacy.ts';

export const privacy: KeysOf<typeof sv> = {
  title: 'How we process your information',
  intro: 'This service signs you in to health and care apps and makes sure that only approved apps reach your information.',
  whatHeading: 'What information',
  whatText: 'Your personal identity number and your name from your e-ID, which apps you use, which consents you have given, and when an app asked for your information and what the answer was.',
  whyHeading: 'Why',
  whyText: 'To sign you in safely, so that only apps the care provider or municipality approved reach your information, and so that you and those responsible can see who has read it.',
  howLongHeading: 'For how long',
  howLongText: 'Your personal identity number and your name are kept only while you are signed in. Your consents are kept while they are in force, and then as proof of when you revoked them. The log of who has read your information is kept for {months} months.',
  whoHeading: 'Who is responsible',
  whoText: 'Whoever runs the service is responsible for the sign-in, the consents and the log. Each care provider and municipality is responsible for its own information about you, and each app for what it does with it.',
  rightsHeading: 'What you can do',
  rightsText: 'On the page My apps and my information you see all of this, can download it as a file and can revoke an app. To correct information, contact the care provider or municipality that holds it.',
  otherLanguages: 'Other languages',
  back: 'To My apps and my information',
};
