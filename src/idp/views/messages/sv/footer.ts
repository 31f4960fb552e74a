// Swedish: the footer every page carries (help, privacy, the accessibility statement).
export const footer = {
  label: 'Om inloggningstjänsten',
  help: 'Hjälp och kontakt',
  account: 'Mina uppgifter och samtycken',
  privacy: 'Så behandlar vi dina personuppgifter',
  accessibility: 'Tillgänglighetsredogörelse',
} as const;
