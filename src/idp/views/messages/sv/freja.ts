// Swedish: what the Freja eID wait page adds to its status messages (src/federation/freja/messages.ts).
export const freja = {
  scanTitle: 'Så skannar du QR-koden',
  scanStep1: 'Öppna Freja-appen i mobilen.',
  scanStep2: 'Tryck på Skanna QR-kod i appen.',
  scanStep3: 'Rikta kameran mot QR-koden här.',
  sameDevice: 'Har du Freja på den här enheten? Öppna Freja här i stället',
  otherDevice: 'Har du Freja på en annan enhet? Visa en QR-kod i stället',
  levelTooLow: 'Freja eID når inte den säkerhetsnivå som appen kräver. Välj en annan e-legitimation.',
} as const;
