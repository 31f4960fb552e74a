// The console's role screens beyond approving (issue 15, item 8): the operator registers products and
// changes their status, trust frameworks and roles; the certifier records and withdraws
// certifications; the controller administrator sees what waits for its decision, edits its policy and
// jump policy and lifts suspensions; everyone with the right sees the audit overview. Like the rest of
// the console these decide nothing: each form becomes one admin API call with the person's own token,
// so the API's role rules and separation of duties answer; changes that remove, stop or end something
// go through a confirmation page (a second POST, `confirmed=yes`) in the danger style.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Logger } from '../../log.ts';
import type { DatasetConfig } from '../../config.ts';
import { AdminApiProblem } from '../adminApiClient.ts';
import type { AuditEntry, Certification, Controller, ControllerPolicy, JumpPolicy, Product, RoleAssignment, Suspension, TrustFramework } from '../model.ts';
import { form, many, one, pathParam, stateOf } from './router.ts';
import {
  AUDIT_ACTIONS, AUDIT_OBJECT_TYPES, auditPage, certifyPage, confirmPage, frameworksPage, jumpPolicyEditPage, pendingPage, policyEditPage, policyLine,
  registerProductPage, rolesPage, type AuditFilters, type ConsoleView, type PendingItem,
} from './views.ts';
import { objectTypeName, problemWords, roleName, say, sayCode, type DatasetNames } from './words.ts';
import { html } from '../../idp/views/html.ts';

type ShowProblem = (ctx: Context, p: AdminApiProblem | { status: number; code: string; title: string; detail?: string }, back?: string) => void;

export interface ScreenDeps {
  requireSession: Middleware;
  requireCsrf: Middleware;
  body: Middleware;
  showProblem: ShowProblem;
  names: DatasetNames;
  catalogue: DatasetConfig[];
  upstreams: string[];
  acrValues: string[];
  staffNames: (hsaIds: string[]) => Promise<Map<string, string>>;
  now: () => number;
  logger: Logger;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const enc = encodeURIComponent;

/** Midnight of a calendar day in Swedish time (Europe/Stockholm), as an instant. */
export function stockholmMidnight(date: string): string {
  const guess = Date.parse(`${date}T00:00:00Z`);
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Stockholm', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    .formatToParts(new Date(guess)).map((p) => [p.type, p.value]));
  const local = Date.parse(`${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:00Z`);
  return new Date(guess - (local - guess)).toISOString();
}

/** A form error from an API problem: its sentence, the code kept small, and the fields it names. */
function problemLines(v: ConsoleView, p: AdminApiProblem): string[] {
  const words = problemWords(v.locale, p.code, p.status);
  return [`${words ? words.text : say(v.locale, 'registryCouldNot', { title: p.title })} (${p.code})`, ...p.errors.map((e) => `${e.path}: ${e.message}`)];
}

/** Runs `work`; an API problem of the 4xx kind that the form can show comes back as form errors. */
async function orFormErrors(v: ConsoleView, work: () => Promise<void>): Promise<string[]> {
  try {
    await work();
    return [];
  } catch (err) {
    if (err instanceof AdminApiProblem && (err.status === 400 || err.status === 409 || err.status === 422)) return problemLines(v, err);
    throw err;
  }
}

const lines = (text: string): string[] => text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
const accessFrom = (items: string[]) => {
  const by = new Map<string, Set<'read' | 'write'>>();
  for (const item of items) {
    const [dataset = '', action = ''] = item.split(':');
    if (!dataset || (action !== 'read' && action !== 'write')) continue;
    by.set(dataset, (by.get(dataset) ?? new Set()).add(action));
  }
  return [...by].map(([dataset, actions]) => ({ dataset, actions: (['read', 'write'] as const).filter((a) => actions.has(a)) }));
};

export function roleScreens(router: Router, d: ScreenDeps): void {
  const { requireSession, requireCsrf, body, showProblem, names } = d;
  const datasets = d.catalogue.length
    ? d.catalogue.map((c) => ({ id: c.id, actions: c.actions as string[] }))
    : ['bookings', 'vaccinations', 'lab-results', 'care-plans', 'home-care-decisions'].map((id) => ({ id, actions: ['read', 'write'] }));
  const html200 = (ctx: Context, page: string, status = 200) => { ctx.status = status; ctx.type = 'html'; ctx.body = page; };
  const administered = (ctx: Context) => stateOf(ctx).session.staff.roles.flatMap((r) => (r.role === 'controller_admin' && r.scope ? [r.scope] : []));
  const certifies = (ctx: Context) => stateOf(ctx).session.staff.roles.flatMap((r) => (r.role === 'certifier' && r.scope ? [r.scope] : []));
  const getProduct = async (ctx: Context, id: string) => (await stateOf(ctx).api.get<Product>(`/products/${enc(id)}`)).body;

  // --- Audit overview ---
  router.get('/audit', requireSession, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const q = (k: string) => one(ctx.query[k]);
    const filters: AuditFilters = {};
    const objectType = q('objectType');
    if ((AUDIT_OBJECT_TYPES as readonly string[]).includes(objectType)) filters.objectType = objectType;
    if (/^[A-Za-z0-9._:-]{1,64}$/.test(q('objectId'))) filters.objectId = q('objectId');
    if (/^[A-Za-z0-9._:-]{1,128}$/.test(q('actor'))) filters.actor = q('actor');
    if ((AUDIT_ACTIONS as readonly string[]).includes(q('action'))) filters.action = q('action');
    if (DATE.test(q('from'))) filters.from = q('from');
    if (DATE.test(q('to'))) filters.to = q('to');
    if (/^[a-z0-9][a-z0-9-]{1,62}$/.test(q('productId'))) filters.productId = q('productId');
    const nextDay = (date: string) => new Date(Date.parse(`${date}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const entries = await api.list<AuditEntry>('/audit', {
      objectType: filters.objectType, objectId: filters.objectId, actor: filters.actor, action: filters.action, productId: filters.productId,
      from: filters.from ? stockholmMidnight(filters.from) : undefined, to: filters.to ? stockholmMidnight(nextDay(filters.to)) : undefined, limit: '500',
    });
    const actors = [...new Set(entries.map((e) => e.actor))];
    const staffNames = new Map([...await d.staffNames(actors), ...(stateOf(ctx).session.staff.hsaId ? [[stateOf(ctx).session.staff.hsaId as string, stateOf(ctx).session.staff.name] as const] : [])]);
    const title = filters.productId
      ? say(v.locale, 'auditProductTitle', { product: await getProduct(ctx, filters.productId).then((p) => p.name, () => filters.productId ?? '') })
      : filters.objectType && filters.objectId ? say(v.locale, 'auditObjectTitle', { type: objectTypeName(v.locale, filters.objectType), id: filters.objectId }) : say(v.locale, 'auditTitle');
    html200(ctx, auditPage(v, title, entries, filters, staffNames));
  });

  // --- Controller administrator: what waits for my decision ---
  router.get('/pending', requireSession, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const ids = administered(ctx);
    if (!ids.length) {
      showProblem(ctx, new AdminApiProblem(403, 'forbidden_role', 'Forbidden'), '/admin/');
      return;
    }
    const lists = await Promise.all(ids.map(async (id) => ({
      controller: (await api.get<Controller>(`/controllers/${enc(id)}`)).body,
      items: await api.list<PendingItem>(`/controllers/${enc(id)}/pending`),
    })));
    html200(ctx, pendingPage(v, lists, names));
  });

  // --- Operator: register a product ---
  const registerForm = (values: Record<string, string | string[]>) => ({ values, methods: d.upstreams, datasets });
  router.get('/products/new', requireSession, async (ctx) => {
    html200(ctx, registerProductPage(stateOf(ctx).view, registerForm({ redirectUris: '', jwks: '' }), [], names));
  });

  router.post('/products', body, requireSession, requireCsrf, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const f = form(ctx);
    const values: Record<string, string | string[]> = Object.fromEntries(['id', 'name', 'supplierOrgNumber', 'supplierName', 'purpose', 'contactName', 'contactEmail', 'clientId', 'redirectUris', 'jwks'].map((k) => [k, one(f[k])]));
    values.authnMethods = many(f.authnMethods);
    values.requestedAccess = many(f.requestedAccess);
    const errors: string[] = [];
    let jwks: unknown;
    try {
      jwks = JSON.parse(String(values.jwks));
      if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) throw new Error('no keys');
    } catch {
      errors.push(say(v.locale, 'errJson'));
    }
    if (!many(f.authnMethods).length) errors.push(say(v.locale, 'errMethods'));
    if (!accessFrom(many(f.requestedAccess)).length) errors.push(say(v.locale, 'errChooseData'));
    if (!errors.length) {
      errors.push(...await orFormErrors(v, async () => {
        await api.post('/products', {
          id: values.id, name: values.name, supplierOrgNumber: values.supplierOrgNumber, supplierName: values.supplierName, purpose: values.purpose,
          contact: { name: values.contactName, email: values.contactEmail },
          client: { clientId: values.clientId, redirectUris: lines(String(values.redirectUris)), jwks },
          authnMethods: many(f.authnMethods), requestedAccess: accessFrom(many(f.requestedAccess)),
        });
      }));
    }
    if (errors.length) {
      html200(ctx, registerProductPage(v, registerForm(values), errors, names), 400);
      return;
    }
    ctx.redirect(`/admin/products/${enc(String(values.id))}?done=registered`);
  });

  // --- Operator: a product's status, with a reason ---
  const statusConfirm = (v: ConsoleView, product: Product, to: 'active' | 'suspended' | 'retired', errors: string[] = []) => confirmPage(v, {
    title: say(v.locale, 'confirmTitle'),
    sentences: [say(v.locale, `confirm.status.${to}`, { product: product.name })],
    action: `/admin/products/${enc(product.id)}/status`,
    fields: { to, version: String(product.version) },
    button: say(v.locale, `statusTo.${to}`),
    danger: to !== 'active',
    reason: true,
    back: `/admin/products/${enc(product.id)}`,
    errors,
  });
  const statusTo = (value: string) => (value === 'active' || value === 'suspended' || value === 'retired' ? value : undefined);

  router.get('/products/:id/status', requireSession, async (ctx) => {
    const product = await getProduct(ctx, pathParam(ctx, 'id'));
    const to = statusTo(one(ctx.query.to));
    if (!to) {
      showProblem(ctx, new AdminApiProblem(404, 'not_found', 'Not found'), `/admin/products/${enc(product.id)}`);
      return;
    }
    html200(ctx, statusConfirm(stateOf(ctx).view, product, to));
  });

  router.post('/products/:id/status', body, requireSession, requireCsrf, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const id = pathParam(ctx, 'id');
    const f = form(ctx);
    const to = statusTo(one(f.to));
    const reason = one(f.reason);
    const version = one(f.version);
    const product = await getProduct(ctx, id);
    if (!to || !/^\d+$/.test(version)) {
      showProblem(ctx, new AdminApiProblem(400, 'validation', 'Bad request'), `/admin/products/${enc(id)}`);
      return;
    }
    if (one(f.confirmed) !== 'yes' || !reason || reason.length > 500) {
      html200(ctx, statusConfirm(v, product, to, one(f.confirmed) === 'yes' ? [say(v.locale, 'errReason')] : []), one(f.confirmed) === 'yes' ? 400 : 200);
      return;
    }
    await api.post(`/products/${enc(id)}/status`, { status: to, reason }, version);
    ctx.redirect(`/admin/products/${enc(id)}?done=status`);
  });

  // --- Certifier: record and withdraw ---
  const myFrameworks = async (ctx: Context) => {
    const mine = new Set(certifies(ctx));
    return (await stateOf(ctx).api.list<TrustFramework>('/frameworks')).filter((f) => mine.has(f.id));
  };
  router.get('/products/:id/certify', requireSession, async (ctx) => {
    const product = await getProduct(ctx, pathParam(ctx, 'id'));
    html200(ctx, certifyPage(stateOf(ctx).view, product, await myFrameworks(ctx), {}));
  });

  router.post('/products/:id/certify', body, requireSession, requireCsrf, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const product = await getProduct(ctx, pathParam(ctx, 'id'));
    const f = form(ctx);
    const values = Object.fromEntries(['frameworkId', 'certifiedBy', 'issuedAt', 'expiresAt', 'evidenceRef'].map((k) => [k, one(f[k])])) as Record<string, string>;
    const errors: string[] = [];
    if (!DATE.test(values.issuedAt ?? '') || !DATE.test(values.expiresAt ?? '')) errors.push(say(v.locale, 'errDate'));
    for (const k of ['certifiedBy', 'evidenceRef'] as const) if (!values[k]) errors.push(say(v.locale, 'errField', { field: say(v.locale, k === 'certifiedBy' ? 'certifiedBy' : 'evidence').toLocaleLowerCase(v.locale) }));
    if (!errors.length) {
      // A certification issued today is issued now (the API refuses a future issue date); one issued earlier, at that day's start.
      const today = new Date(d.now()).toISOString().slice(0, 10);
      const issuedAt = values.issuedAt === today ? new Date(d.now()).toISOString() : stockholmMidnight(values.issuedAt ?? '');
      errors.push(...await orFormErrors(v, async () => {
        await api.post('/certifications', {
          productId: product.id, frameworkId: values.frameworkId, purpose: product.purpose, certifiedBy: values.certifiedBy,
          issuedAt, expiresAt: new Date(Date.parse(stockholmMidnight(values.expiresAt ?? '')) + 86_400_000 - 1000).toISOString(), evidenceRef: values.evidenceRef,
        });
      }));
    }
    if (errors.length) {
      html200(ctx, certifyPage(v, product, await myFrameworks(ctx), values, errors), 400);
      return;
    }
    ctx.redirect(`/admin/products/${enc(product.id)}?done=certified`);
  });

  const withdrawConfirm = (v: ConsoleView, product: Product, c: Certification, errors: string[] = []) => confirmPage(v, {
    title: say(v.locale, 'confirmTitle'),
    sentences: [say(v.locale, 'confirm.withdraw', { product: product.name, framework: c.frameworkId })],
    action: `/admin/certifications/${enc(c.id)}/withdraw`,
    fields: { version: String(c.version), productId: product.id },
    button: say(v.locale, 'withdraw'),
    danger: true,
    reason: true,
    back: `/admin/products/${enc(product.id)}`,
    errors,
  });
  router.get('/products/:pid/certifications/:cid/withdraw', requireSession, async (ctx) => {
    const product = await getProduct(ctx, pathParam(ctx, 'pid'));
    const c = (await stateOf(ctx).api.get<Certification>(`/certifications/${enc(pathParam(ctx, 'cid'))}`)).body;
    if (c.productId !== product.id) throw new AdminApiProblem(404, 'not_found', 'Not found');
    html200(ctx, withdrawConfirm(stateOf(ctx).view, product, c));
  });

  router.post('/certifications/:cid/withdraw', body, requireSession, requireCsrf, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const f = form(ctx);
    const c = (await api.get<Certification>(`/certifications/${enc(pathParam(ctx, 'cid'))}`)).body;
    const product = await getProduct(ctx, c.productId);
    const reason = one(f.reason);
    if (one(f.confirmed) !== 'yes' || !reason || reason.length > 500) {
      html200(ctx, withdrawConfirm(v, product, c, one(f.confirmed) === 'yes' ? [say(v.locale, 'errReason')] : []), one(f.confirmed) === 'yes' ? 400 : 200);
      return;
    }
    await api.post(`/certifications/${enc(c.id)}/withdraw`, { reason }, one(f.version) || c.version);
    ctx.redirect(`/admin/products/${enc(product.id)}?done=withdrawn`);
  });

  // --- Trust frameworks ---
  router.get('/frameworks', requireSession, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const done = one(ctx.query.done);
    html200(ctx, frameworksPage(v, await api.list<TrustFramework>('/frameworks'), [], /^[A-Za-z]{1,32}$/.test(done) ? sayCode(v.locale, 'done', done) : undefined));
  });
  router.post('/frameworks', body, requireSession, requireCsrf, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const f = form(ctx);
    const description = one(f.description);
    const errors = await orFormErrors(v, async () => { await api.post('/frameworks', { id: one(f.id), name: one(f.name), ...(description ? { description } : {}) }); });
    if (errors.length) {
      html200(ctx, frameworksPage(v, await api.list<TrustFramework>('/frameworks'), errors), 400);
      return;
    }
    ctx.redirect('/admin/frameworks?done=framework');
  });

  // --- Roles ---
  const rolesView = async (ctx: Context, errors: string[] = [], status = 200) => {
    const { api, view: v } = stateOf(ctx);
    const roles = await api.list<RoleAssignment>('/roles');
    const staffNames = await d.staffNames(roles.flatMap((r) => (r.subject.kind === 'staff' ? [r.subject.hsaId] : [])));
    const done = one(ctx.query.done);
    html200(ctx, rolesPage(v, roles, staffNames, errors, /^[A-Za-z]{1,32}$/.test(done) ? sayCode(v.locale, 'done', done) : undefined), status);
  };
  router.get('/roles', requireSession, async (ctx) => rolesView(ctx));
  router.post('/roles', body, requireSession, requireCsrf, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const f = form(ctx);
    const scope = one(f.scope);
    const errors = await orFormErrors(v, async () => { await api.post('/roles', { subject: { kind: 'staff', hsaId: one(f.hsaId) }, role: one(f.role), ...(scope ? { scope } : {}) }); });
    if (errors.length) {
      await rolesView(ctx, errors, 400);
      return;
    }
    ctx.redirect('/admin/roles?done=role');
  });
  const findRole = async (ctx: Context, id: string) => {
    const role = (await stateOf(ctx).api.list<RoleAssignment>('/roles')).find((r) => r.id === id);
    if (!role) throw new AdminApiProblem(404, 'not_found', 'Not found');
    return role;
  };
  const roleRemoveConfirm = (v: ConsoleView, r: RoleAssignment) => confirmPage(v, {
    title: say(v.locale, 'confirmTitle'),
    sentences: [say(v.locale, 'confirm.roleRemove', { subject: r.subject.kind === 'staff' ? r.subject.hsaId : r.subject.clientId, role: roleName(v.locale, r.role), scope: r.scope ? ` (${r.scope})` : '' })],
    action: `/admin/roles/${enc(r.id)}/remove`,
    fields: { version: String(r.version) },
    button: say(v.locale, 'removeRole'),
    danger: true,
    back: '/admin/roles',
  });
  router.get('/roles/:rid/remove', requireSession, async (ctx) => {
    html200(ctx, roleRemoveConfirm(stateOf(ctx).view, await findRole(ctx, pathParam(ctx, 'rid'))));
  });
  router.post('/roles/:rid/remove', body, requireSession, requireCsrf, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const role = await findRole(ctx, pathParam(ctx, 'rid'));
    if (one(form(ctx).confirmed) !== 'yes') {
      html200(ctx, roleRemoveConfirm(v, role));
      return;
    }
    await api.request('DELETE', `/roles/${enc(role.id)}`, { ifMatch: one(form(ctx).version) || role.version });
    ctx.redirect('/admin/roles?done=roleRemoved');
  });

  // --- Controller administrator: policy and jump policy ---
  const controllerOf = async (ctx: Context, id: string) => (await stateOf(ctx).api.get<Controller>(`/controllers/${enc(id)}`)).body;
  const currentPolicy = async (ctx: Context, id: string) => stateOf(ctx).api.get<ControllerPolicy>(`/controllers/${enc(id)}/policy`).then((r) => r.body, (err: unknown) => {
    if (err instanceof AdminApiProblem && err.status === 404) return undefined;
    throw err;
  });
  router.get('/controllers/:id/policy', requireSession, async (ctx) => {
    const c = await controllerOf(ctx, pathParam(ctx, 'id'));
    const policy = await currentPolicy(ctx, c.id);
    html200(ctx, policyEditPage(stateOf(ctx).view, c, policy?.accepts ?? [], await stateOf(ctx).api.list<TrustFramework>('/frameworks'), names));
  });
  router.post('/controllers/:id/policy', body, requireSession, requireCsrf, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const c = await controllerOf(ctx, pathParam(ctx, 'id'));
    const f = form(ctx);
    const policy = await currentPolicy(ctx, c.id);
    if (one(f.confirmed) === 'yes') {
      let accepts: unknown;
      try { accepts = JSON.parse(one(f.accepts)); } catch { accepts = undefined; }
      if (!Array.isArray(accepts)) {
        showProblem(ctx, new AdminApiProblem(400, 'validation', 'Bad request'), `/admin/controllers/${enc(c.id)}/policy`);
        return;
      }
      const version = one(f.version);
      await api.request('PUT', `/controllers/${enc(c.id)}/policy`, { body: { accepts }, ...(version && version !== '0' ? { ifMatch: version } : {}) });
      ctx.redirect(`/admin/controllers/${enc(c.id)}?done=policy`);
      return;
    }
    const keep = many(f.keep).flatMap((x) => { try { return [JSON.parse(x) as ControllerPolicy['accepts'][number]]; } catch { return []; } });
    const add = accessFrom(many(f.addAccess));
    const errors: string[] = [];
    const frameworkId = one(f.addFramework);
    const purpose = one(f.addPurpose);
    if (frameworkId || purpose || add.length) {
      if (!frameworkId) errors.push(say(v.locale, 'errField', { field: say(v.locale, 'framework').toLocaleLowerCase(v.locale) }));
      if (!/^[a-z][a-z0-9-]{1,62}$/.test(purpose)) errors.push(say(v.locale, 'errChoosePurpose'));
      if (!add.length) errors.push(say(v.locale, 'errChooseData'));
    }
    if (errors.length) {
      html200(ctx, policyEditPage(v, c, policy?.accepts ?? [], await api.list<TrustFramework>('/frameworks'), names, errors), 400);
      return;
    }
    const accepts = [...keep, ...(frameworkId ? [{ frameworkId, purpose, access: add }] : [])];
    const removed = (policy?.accepts ?? []).length > keep.length;
    html200(ctx, confirmPage(v, {
      title: say(v.locale, 'confirmTitle'),
      sentences: accepts.length
        ? [say(v.locale, 'confirm.policy', { controller: c.name }), html`<ul id="new-policy">${accepts.map((a) => html`<li>${policyLine(v, a, names)}</li>`)}</ul>`]
        : [say(v.locale, 'confirm.policyEmpty', { controller: c.name })],
      action: `/admin/controllers/${enc(c.id)}/policy`,
      fields: { accepts: JSON.stringify(accepts), version: String(policy?.version ?? 0) },
      button: say(v.locale, 'save'),
      danger: removed,
      back: `/admin/controllers/${enc(c.id)}`,
    }));
  });

  const currentJump = async (ctx: Context, id: string) => stateOf(ctx).api.get<JumpPolicy>(`/controllers/${enc(id)}/jump-policy`).then((r) => r.body, (err: unknown) => {
    if (err instanceof AdminApiProblem && err.status === 404) return undefined;
    throw err;
  });
  router.get('/controllers/:id/jump-policy', requireSession, async (ctx) => {
    const c = await controllerOf(ctx, pathParam(ctx, 'id'));
    html200(ctx, jumpPolicyEditPage(stateOf(ctx).view, c, await currentJump(ctx, c.id), d.upstreams, d.acrValues));
  });
  router.post('/controllers/:id/jump-policy', body, requireSession, requireCsrf, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const c = await controllerOf(ctx, pathParam(ctx, 'id'));
    const f = form(ctx);
    const acceptedUpstreams = many(f.acceptedUpstreams).filter((u) => d.upstreams.includes(u));
    const minimumAcr = one(f.minimumAcr);
    const version = one(f.version);
    if (one(f.confirmed) !== 'yes') {
      const current = await currentJump(ctx, c.id);
      const fewer = (current?.acceptedUpstreams ?? []).some((u) => !acceptedUpstreams.includes(u));
      html200(ctx, confirmPage(v, {
        title: say(v.locale, 'confirmTitle'),
        sentences: [say(v.locale, 'jumpLine', { upstreams: acceptedUpstreams.join(', ') || say(v.locale, 'nothing'), acr: minimumAcr })],
        action: `/admin/controllers/${enc(c.id)}/jump-policy`,
        fields: { acceptedUpstreams, minimumAcr, version },
        button: say(v.locale, 'save'),
        danger: fewer,
        back: `/admin/controllers/${enc(c.id)}`,
      }));
      return;
    }
    await api.request('PUT', `/controllers/${enc(c.id)}/jump-policy`, { body: { acceptedUpstreams, minimumAcr }, ...(version && version !== '0' ? { ifMatch: version } : {}) });
    ctx.redirect(`/admin/controllers/${enc(c.id)}?done=jumpPolicy`);
  });

  // --- Lifting a containment suspension ---
  const findSuspension = async (ctx: Context, id: string) => {
    const s = (await stateOf(ctx).api.list<Suspension & { version: number }>('/suspensions')).find((x) => x.id === id);
    if (!s) throw new AdminApiProblem(404, 'not_found', 'Not found');
    return s;
  };
  const liftConfirm = async (ctx: Context, s: Suspension & { version: number }) => {
    const { api, view: v } = stateOf(ctx);
    const product = await getProduct(ctx, s.productId);
    const controller = await api.get<Controller>(`/controllers/${enc(s.controllerId)}`).then((r) => r.body.name, () => s.controllerId);
    return confirmPage(v, {
      title: say(v.locale, 'confirmTitle'),
      sentences: [say(v.locale, 'confirm.lift', { product: product.name, controller }), `${say(v.locale, 'reason')}: ${s.reason}`],
      action: `/admin/suspensions/${enc(s.id)}/lift`,
      fields: { version: String(s.version), productId: s.productId },
      button: say(v.locale, 'lift'),
      danger: false,
      back: `/admin/products/${enc(s.productId)}`,
    });
  };
  router.get('/suspensions/:sid/lift', requireSession, async (ctx) => {
    html200(ctx, await liftConfirm(ctx, await findSuspension(ctx, pathParam(ctx, 'sid'))));
  });
  router.post('/suspensions/:sid/lift', body, requireSession, requireCsrf, async (ctx) => {
    const s = await findSuspension(ctx, pathParam(ctx, 'sid'));
    if (one(form(ctx).confirmed) !== 'yes') {
      html200(ctx, await liftConfirm(ctx, s));
      return;
    }
    await stateOf(ctx).api.post(`/suspensions/${enc(s.id)}/lift`, {}, s.version);
    ctx.redirect(`/admin/products/${enc(s.productId)}?done=lifted`);
  });
}
