// Swedish: the method list in words a citizen understands: each e-ID by its own name, what you need
// for it, and how safe it is ("säkerhetsnivå" in plain words, not the framework's jargon).
export const methods = {
  'describe.bankid': 'Med BankID-appen i mobilen eller datorn, eller BankID på kort.',
  'describe.freja': 'Med Freja-appen i mobilen.',
  'describe.portal-saml': 'Via den nationella portalens inloggning, med den e-legitimation du brukar använda där.',
  'describe.siths-saml': 'För dig som arbetar i vård och omsorg: med SITHS eID-appen eller ditt SITHS-kort.',
  'describe.siths-card': 'För dig som arbetar i vård och omsorg: med ditt SITHS-kort i kortläsaren på den här datorn.',
  'level.2': 'Grundläggande säkerhet',
  'level.3': 'Hög säkerhet – räcker för uppgifter om din vård',
  'level.4': 'Mycket hög säkerhet',
  levelUpTo: '{level} (beroende på hur du skaffade e-legitimationen)',
  'audience.citizen': 'För privatpersoner',
  'audience.staff': 'För dig som arbetar i vård och omsorg',
} as const;
