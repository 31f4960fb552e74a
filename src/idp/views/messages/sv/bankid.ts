// Swedish: what the BankID wait page adds to BankID's own user messages (src/federation/bankid/messages.ts):
// short instructions for scanning, as BankID's guidance for relying parties describes them.
export const bankid = {
  scanTitle: 'Så skannar du QR-koden',
  scanStep1: 'Öppna BankID-appen i mobilen.',
  scanStep2: 'Tryck på QR-symbolen i appen.',
  scanStep3: 'Rikta kameran mot QR-koden här.',
  sameDevice: 'Har du BankID på den här enheten? Öppna BankID här i stället',
  otherDevice: 'Har du BankID på en annan enhet? Visa en QR-kod i stället',
} as const;
