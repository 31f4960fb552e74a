// Whether the browser is on a phone or tablet, from its User-Agent: BankID's guidance for relying
// parties puts "open the app on this device" first there, since the e-ID is on the same device.
// A guess that only orders the choices: both stay on the page whatever it says.
const MOBILE = /\b(Mobi|Android|iPhone|iPad|iPod)\b/i;

export const isPhone = (userAgent: string | undefined): boolean => MOBILE.test(userAgent ?? '');
