// Security headers for every response, and a per-response CSP nonce stamped on the inline scripts
// the gateway renders itself, so no injected script can run on its pages.
import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';

export function securityHeaders(opts: { hsts: boolean }): Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on our own form posts.
    ctx.set('referrer-policy', 'same-origin');
    if (opts.hsts) ctx.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
    if (typeof ctx.body === 'string' && ctx.response.is('html')) {
      const nonce = randomBytes(16).toString('base64');
      ctx.body = ctx.body.replace(/<script(?=[\s>])(?![^>]*\snonce=)/g, `<script nonce="${nonce}"`);
      // No form-action: Chromium applies it to the redirect chain back to the client's redirect_uri.
      ctx.set('content-security-policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'`);
      ctx.set('x-frame-options', 'DENY');
      ctx.set('cache-control', 'no-store');
    }
  };
}
