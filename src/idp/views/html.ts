// Server-rendered HTML: every interpolated value goes through `esc`; pages work without JavaScript
// where the flow allows it, and carry the landmarks and labels axe-core checks for.
import type { Locale } from './i18n.ts';
import { directionOf, type PrivacyLocale } from './messages/catalogue.ts';
import { commonTexts } from './messages/common.ts';
import { footerTexts } from './messages/footer.ts';

export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A tagged template that escapes interpolations unless they are already-rendered `Html`. */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const rendered = Array.isArray(v)
      ? v.map((x) => (x instanceof Html ? x.value : esc(x))).join('')
      : v instanceof Html ? v.value : esc(v);
    out += rendered + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

export const raw = (s: string): Html => new Html(s);

/**
 * A catalogue text with markup in its placeholders (`{app}` → <strong>…</strong>): the text's own
 * parts are escaped, the values are rendered as `html` renders them.
 */
export function sayHtml(text: string, params: Readonly<Record<string, Html | string>>): Html {
  return new Html(text.split(/(\{\w+\})/).map((part) => {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    const value = name !== undefined ? params[name] : undefined;
    if (value === undefined) return esc(part);
    return value instanceof Html ? value.value : esc(value);
  }).join(''));
}

const styles = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:#1b1b1b;background:#f6f7f9}
body{margin:0}
header.site{background:#15355e;color:#fff;padding:.75rem 1.5rem;display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem 1rem}
header.site a{color:#fff}
main{max-width:44rem;margin:2rem auto;padding:0 1.25rem;overflow-wrap:anywhere}
.card{background:#fff;border:1px solid #cfd6e0;border-radius:.5rem;padding:1.5rem;margin-bottom:1.5rem}
h1{font-size:1.6rem;margin-top:0}
button,.button{font:inherit;font-size:1rem;padding:.65rem 1.2rem;border-radius:.4rem;border:2px solid #15355e;background:#15355e;color:#fff;cursor:pointer;text-decoration:none;display:inline-block;margin:.25rem .5rem .25rem 0}
button.secondary,.button.secondary{background:#fff;color:#15355e}
button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #c2410c;outline-offset:2px}
label{display:block;font-weight:600;margin-top:1rem}
input,select{font:inherit;padding:.5rem;border:1px solid #5a6472;border-radius:.3rem;width:100%;box-sizing:border-box}
.message{font-size:1.1rem;padding:.75rem 1rem;border-left:4px solid #15355e;background:#eef3fa}
.message.error{border-color:#a4161a;background:#fdecec}
.qr{display:flex;justify-content:center;margin:1rem 0}
.qr svg{width:14rem;height:14rem}
dl.claims{display:grid;grid-template-columns:minmax(0,max-content) minmax(0,1fr);gap:.25rem 1rem;word-break:break-all}
dl.claims dd{margin:0}
dl.claims dt{font-weight:600}
code{word-break:break-all}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9rem}
pre{white-space:pre-wrap;word-break:break-all;background:#f0f2f5;padding:.75rem;border-radius:.3rem}
.muted{color:#4a5361}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
footer.site{border-top:1px solid #cfd6e0;background:#fff;padding:1rem 1.5rem;margin-top:2rem}
footer.site ul{list-style:none;margin:0 auto;padding:0;max-width:44rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem}
footer.site a{color:#15355e}
table{border-collapse:collapse;max-width:100%}
.table-wrap{overflow-x:auto;max-width:100%}
td,th{padding:.25rem .5rem;text-align:left;vertical-align:top}
ol.steps{padding-left:1.25rem}
@media (max-width:30rem){dl.claims{grid-template-columns:minmax(0,1fr)}dl.claims dd{margin-bottom:.5rem}main{margin:1rem auto;padding:0 .75rem}.card{padding:1rem}header.site{padding:.75rem}h1{font-size:1.4rem}button,.button{width:100%;margin-right:0;box-sizing:border-box;text-align:center}}
`;

/**
 * The page's own inline script, with the response's CSP nonce (cspNonce(ctx) of src/http/securityHeaders.ts):
 * written on its tag here, at render time, and on no other tag. Pages must still be usable without it
 * where the flow allows.
 */
export interface PageScript {
  source: string;
  /** Undefined only outside the security-headers middleware, where there is no CSP either. */
  nonce: string | undefined;
}

export interface PageOptions {
  locale: Locale;
  title: string;
  body: Html;
  script?: PageScript | undefined;
  /** Path of this page, for the language switch. */
  path?: string;
  /**
   * The language of the page's content when it is not a page language (the privacy texts in Somali,
   * Farsi or Arabic): `<html lang dir>` follow it, and the site's own chrome stays in `locale`,
   * marked as such.
   */
  contentLocale?: PrivacyLocale;
}

/** The one <script> element a page writes. Its source is the gateway's own code, never input. */
function scriptTag(script: PageScript): string {
  // A source that could end its own element would let what follows it be read as markup.
  if (/<\/script/i.test(script.source)) throw new Error('an inline script may not contain </script');
  return `<script${script.nonce ? ` nonce="${esc(script.nonce)}"` : ''}>${script.source}</script>`;
}

/** Where the footer's links go: the pages about the service and the person's own information. */
export const FOOTER_LINKS = {
  help: '/help',
  account: '/account',
  privacy: '/account/privacy',
  accessibility: '/accessibility',
} as const;

/** Help and contact, the citizen's page and the privacy texts, and the accessibility statement (DOS-lagen), in the page's language. */
function footer(locale: Locale): Html {
  const say = (key: keyof typeof FOOTER_LINKS) => footerTexts.say(locale, key);
  return html`<footer class="site"><nav aria-label="${footerTexts.say(locale, 'label')}"><ul>
${(Object.keys(FOOTER_LINKS) as Array<keyof typeof FOOTER_LINKS>).map((key) => html`<li><a href="${FOOTER_LINKS[key]}?lang=${locale}" id="footer-${key}">${say(key)}</a></li>`)}
</ul></nav></footer>`;
}

export function page(opts: PageOptions): string {
  const other: Locale = opts.locale === 'sv' ? 'en' : 'sv';
  const switchLabel = commonTexts.say(opts.locale, 'switchLanguage');
  const lang = opts.contentLocale ?? opts.locale;
  const chromeLang = lang === opts.locale ? '' : ` lang="${opts.locale}" dir="ltr"`;
  const sep = opts.path?.includes('?') ? '&' : '?';
  // Without a path of its own, the switch reloads the page the browser is on in the other language.
  const langSwitch = html`<a href="${opts.path ?? ''}${opts.path ? sep : '?'}lang=${other}" lang="${other}" id="lang-switch">${switchLabel}</a>`;
  return `<!doctype html>
<html lang="${lang}" dir="${directionOf(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)}</title>
<style>${styles}</style>
</head>
<body>
<header class="site"${chromeLang}><span>${esc(commonTexts.say(opts.locale, 'siteName'))}</span>${langSwitch.value}</header>
<main id="main">
${opts.body.value}
</main>
${footer(opts.locale).value.replace('<footer class="site">', `<footer class="site"${chromeLang}>`)}
${opts.script ? scriptTag(opts.script) : ''}
</body>
</html>`;
}
