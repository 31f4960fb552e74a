// Swedish: the privacy information of /account/privacy — what is processed, why, for how long, by whom.
// Also in English, Somali, Farsi and Arabic (PRIVACY_LOCALES); keep the texts short and plain.
export const privacy = {
  title: 'Så behandlar vi dina uppgifter',
  intro: 'Den här tjänsten loggar in dig i vårdens och omsorgens appar och ser till att bara godkända appar når dina uppgifter.',
  whatHeading: 'Vilka uppgifter',
  whatText: 'Ditt personnummer och ditt namn från din e-legitimation, vilka appar du använder, vilka samtycken du har lämnat, och när en app har bett om dina uppgifter och vad svaret blev.',
  whyHeading: 'Varför',
  whyText: 'För att logga in dig säkert, för att bara appar som vårdgivaren eller kommunen har godkänt ska nå dina uppgifter, och för att du och de ansvariga ska kunna se vem som har läst dem.',
  howLongHeading: 'Hur länge',
  howLongText: 'Ditt personnummer och ditt namn sparas bara så länge du är inloggad. Dina samtycken sparas så länge de gäller, och sedan som ett bevis på när du återkallade dem. Loggen över vem som har läst dina uppgifter sparas i {months} månader.',
  whoHeading: 'Vem som ansvarar',
  whoText: 'Den som driver tjänsten ansvarar för inloggningen, samtyckena och loggen. Varje vårdgivare och kommun ansvarar för sina egna uppgifter om dig, och varje app för det den själv gör med dem.',
  rightsHeading: 'Det här kan du göra',
  rightsText: 'På sidan Mina appar och mina uppgifter ser du allt detta, kan hämta det som en fil och kan återkalla en app. Vill du rätta en uppgift, vänd dig till vårdgivaren eller kommunen som har den.',
  otherLanguages: 'Andra språk',
  back: 'Till Mina appar och mina uppgifter',
} as const;
