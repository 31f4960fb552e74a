// Swedish: the texts every page shares (the site header, the language switch).
export const common = {
  siteName: 'Inloggningstjänst för vårdens appar',
  switchLanguage: 'In English',
} as const;
