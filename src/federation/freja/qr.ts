// What Freja's QR code and same-device link carry: the app's bind-to-transaction URL with the
// transaction's authRef. The same URL, opened on the phone itself, starts the app directly.
export const FREJA_BIND_URL = 'frejaeid://bindUserToTransaction';

/** The QR content for a transaction. */
export function qrContent(authRef: string): string {
  return `${FREJA_BIND_URL}?transactionReference=${encodeURIComponent(authRef)}`;
}

/** The authRef in QR content (or a same-device link on any base URL), or undefined if it is not one. */
export function authRefFromQr(content: string): string | undefined {
  let url: URL;
  try {
    url = new URL(content.trim());
  } catch {
    return undefined;
  }
  const ref = url.searchParams.get('transactionReference');
  return ref && ref.length <= 200 ? ref : undefined;
}
