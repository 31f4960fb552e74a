// GET /help and GET /accessibility: the pages every footer links to (production pages, so the idp
// module mounts them, not the sandbox).
import Router from '@koa/router';
import type { Config } from '../config.ts';
import { localeOf } from './views/i18n.ts';
import { accessibilityStatement, helpPage, type ServiceContact } from './views/about.ts';

export const ABOUT_PATHS = ['/help', '/accessibility'] as const;

export function aboutRouter(config: Config): Router {
  const contact: ServiceContact = config.pages;
  const router = new Router();
  router.get('/help', (ctx) => {
    ctx.type = 'html';
    ctx.body = helpPage(localeOf(ctx), contact);
  });
  router.get('/accessibility', (ctx) => {
    ctx.type = 'html';
    ctx.body = accessibilityStatement(localeOf(ctx), contact);
  });
  return router;
}
