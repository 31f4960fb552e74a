// Security headers for every response, and a per-response CSP nonce. The nonce is made before any
// handler runs and handed to the renderers (cspNonce), which put it on the <script> tags they write
// themselves, at render time. Nothing adds it to markup afterwards: a script that got into a page any
// other way (an injection the escaping missed) carries no nonce, so the browser does not run it.
import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';

const NONCE = Symbol('csp nonce');

/** Whatever a handler's context is: this module only reads and writes its own key in ctx.state. */
interface WithState {
  state: unknown;
}

/**
 * The nonce of this response's Content-Security-Policy, for the page's own inline scripts; undefined
 * outside the middleware (such a page has no CSP, so its scripts need none).
 */
export function cspNonce(ctx: WithState): string | undefined {
  const state = ctx.state as Record<symbol, unknown> | undefined;
  const nonce = state?.[NONCE];
  return typeof nonce === 'string' ? nonce : undefined;
}

export function contentSecurityPolicy(nonce: string): string {
  // No form-action: Chromium applies it to the redirect chain back to the client's redirect_uri.
  return `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'`;
}

export function securityHeaders(opts: { hsts: boolean }): Middleware {
  return async (ctx, next) => {
    const nonce = randomBytes(16).toString('base64');
    (ctx.state as Record<symbol, unknown>)[NONCE] = nonce;
    // Set before the handlers run: oidc-provider adds the hash of its own inline script (form_post)
    // to the script-src of the policy it finds on the response.
    ctx.set('content-security-policy', contentSecurityPolicy(nonce));
    await next();
    ctx.set('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on our own form posts.
    ctx.set('referrer-policy', 'same-origin');
    if (opts.hsts) ctx.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
    if (typeof ctx.body === 'string' && ctx.response.is('html')) {
      // An error path may have reset the headers; the policy keeps the nonce the page was rendered with.
      if (!ctx.response.get('content-security-policy')) ctx.set('content-security-policy', contentSecurityPolicy(nonce));
      ctx.set('x-frame-options', 'DENY');
      ctx.set('cache-control', 'no-store');
    } else {
      ctx.remove('content-security-policy');
    }
  };
}
