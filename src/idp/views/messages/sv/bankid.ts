// Swedish: what the BankID wait page adds to BankID's own user messages (src/federation/bankid/messages.ts):
// short instructions for scanning, as BankID's guidance for relying parties describes them.
export const bankid = {
  scanTitle: 'Så skannar du QR-koden',
  scanStep1: 'Öppna BankID-appen i mobilen.',
  scanStep2: 'Tryck på QR-symbolen i appen.',
  scanStep3: 'Rikta kameran mot QR-koden här.',
  sameDevice: 'Har du BankID på den här enheten? Öppna BankID här i stället',
  otherDevice: 'Har du BankID på en annan enhet? Visa en QR-kod i stället',
  // The simulated BankID app's form (sandbox): why it could not act on an order, in words.
  'sim.order_not_pending': 'Den här ordern är redan avslutad. Gå tillbaka till inloggningen och välj Börja om.',
  'sim.order_not_found': 'Ordern finns inte längre (den kan ha avbrutits eller vara för gammal). Gå tillbaka till inloggningen och välj Börja om.',
  'sim.qr_stale': 'QR-koden är inte längre aktuell. Kopiera den senaste koden från inloggningssidan.',
  'sim.qr_malformed': 'Det där är ingen QR-kod från BankID. Kopiera koden från inloggningssidan.',
  'sim.qr_signature_invalid': 'QR-koden hör inte till ordern. Kopiera koden från inloggningssidan.',
  'sim.order_reference_required': 'Fyll i antingen autostarttoken eller QR-kodens innehåll.',
  'sim.unknown_persona': 'Välj en av testpersonerna.',
  'sim.persona_mismatch': 'Ordern kräver en annan person.',
  'sim.other': 'Det gick inte att göra det i den simulerade appen. Försök igen.',
} as const;
