// The exposure resources of the admin API, as entries of its one route table (src/whitelist/api/
// routes.ts): the same token check, If-Match rule, list shape, problem+json and OpenAPI document as
// every other admin route. They are served where the decision point runs (the router is given the
// ExposureAdmin service):
//   GET|PUT /approvals/{id}/limits
//   GET|POST /controllers/{id}/cohorts, GET|PUT|DELETE .../cohorts/{cohortId}
//   GET /suspensions, GET .../suspensions/{id}/report, POST .../suspensions/{id}/lift
import { z } from 'zod';
import { emptyAction, items, object, routesOf, type RouteSpec } from '../whitelist/api/route.ts';
import { slug } from '../whitelist/schemas.ts';
import { exposureLimitsSchema } from './exposureLimits.ts';
import { ExposureAdmin } from './exposureAdmin.ts';

const instant = z.iso.datetime({ offset: true });
const name = z.string().min(1).max(200);
/** Personnummer or samordningsnummer in; the service keeps only their pseudonyms. */
const members = z.array(z.string().max(32)).max(100_000);

export const cohortInput = z.strictObject({ id: slug, name, members });
export const cohortUpdate = z.strictObject({ name, members });
export const cohort = z.object({
  id: z.string(), controllerId: z.string(), name: z.string(),
  members: z.array(z.string()).describe('pseudonyms of the members: no identity number is kept'),
  version: z.number().int(), createdAt: instant, updatedAt: instant,
});
export const approvalLimits = z.object({ approvalId: z.string(), limits: exposureLimitsSchema.nullable(), version: z.number().int() });
const suspensionFields = {
  id: z.string(), productId: z.string(), controllerId: z.string(), reason: z.string(),
  suspendedAt: instant, liftedAt: instant.optional(), liftedBy: z.string().optional(),
};
export const suspension = z.object({ ...suspensionFields, version: z.number().int().describe('1 while in force, 2 once lifted') });
export const breachReport = z.object({
  suspension: z.object(suspensionFields),
  windowStart: instant,
  windowEnd: instant.describe('the lift, or the time of the report while the suspension is in force'),
  citizens: z.array(z.string()).describe('pseudonyms of the citizens whose data the product was given at the controller in the window before the trip'),
  events: z.array(z.object({ at: instant, kind: z.string(), actor: z.string(), detail: z.unknown() })),
});
const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

const route = routesOf('exposure');
const controllerAdmin = 'controller_admin of the controller';
const operatorOrAdmin = 'operator, or controller_admin of the suspension\'s controller';
/** A cohort of 100 000 members is about 1.5 MB of JSON. */
const cohortBodyLimit = '2mb';

export const exposureRoutes: RouteSpec[] = [
  route({ method: 'get', path: '/approvals/{id}/limits', summary: 'The exposure limits of an approval (version 0 before any are set)', who: `${controllerAdmin} of the approval`,
    response: approvalLimits, status: 200,
    handle: async (s, c) => object(await s.getLimits(c.principal, c.params.id)) }),
  route({ method: 'put', path: '/approvals/{id}/limits', summary: 'Set the exposure limits of an approval (If-Match "0" before the first)', who: `${controllerAdmin} of the approval`,
    concerns: (s, c) => s.approvalConcerns(c.params.id),
    body: exposureLimitsSchema, response: approvalLimits, status: 200, ifMatch: 'required',
    handle: async (s, c) => object(await s.putLimits(c.principal, c.params.id, c.expected, c.body)) }),

  route({ method: 'get', path: '/controllers/{id}/cohorts', summary: 'List the controller\'s cohorts', who: controllerAdmin, response: listOf(cohort), status: 200,
    handle: async (s, c) => items(await s.listCohorts(c.principal, c.params.id)) }),
  route({ method: 'post', path: '/controllers/{id}/cohorts', summary: 'Create a cohort (members as personnummer; kept as pseudonyms)', who: controllerAdmin,
    concerns: (s, c) => s.cohortConcerns(c.params.id, c.body.id),
    body: cohortInput, response: cohort, status: 201, jsonLimit: cohortBodyLimit,
    handle: async (s, c) => {
      const v = await s.createCohort(c.principal, c.params.id, c.body);
      return { ...object(v, 201), location: `/controllers/${v.controllerId}/cohorts/${v.id}` };
    } }),
  route({ method: 'get', path: '/controllers/{id}/cohorts/{cohortId}', summary: 'One cohort', who: controllerAdmin, response: cohort, status: 200,
    handle: async (s, c) => object(await s.getCohort(c.principal, c.params.id, c.params.cohortId)) }),
  route({ method: 'put', path: '/controllers/{id}/cohorts/{cohortId}', summary: 'Replace a cohort\'s name and members', who: controllerAdmin,
    concerns: (s, c) => s.cohortConcerns(c.params.id, c.params.cohortId),
    body: cohortUpdate, response: cohort, status: 200, ifMatch: 'required', jsonLimit: cohortBodyLimit,
    handle: async (s, c) => object(await s.putCohort(c.principal, c.params.id, c.params.cohortId, c.expected, c.body)) }),
  route({ method: 'delete', path: '/controllers/{id}/cohorts/{cohortId}', summary: 'Delete a cohort no live approval is limited to', who: controllerAdmin, status: 204, ifMatch: 'required',
    concerns: (s, c) => s.cohortConcerns(c.params.id, c.params.cohortId),
    handle: async (s, c) => { await s.deleteCohort(c.principal, c.params.id, c.params.cohortId, c.expected); return { status: 204 }; } }),

  route({ method: 'get', path: '/suspensions', summary: 'Containment suspensions in force', who: 'operator: all; controller_admin: its controller\'s',
    response: listOf(suspension), status: 200,
    handle: async (s, c) => items((await s.listSuspensions(c.principal)).map((x) => ({ ...x, version: ExposureAdmin.version(x) }))) }),
  route({ method: 'get', path: '/suspensions/{id}/report', summary: 'The breach report of a suspension', who: operatorOrAdmin, response: breachReport, status: 200,
    handle: async (s, c) => ({ body: await s.report(c.principal, c.params.id) }) }),
  route({ method: 'post', path: '/suspensions/{id}/lift', summary: 'Lift a containment suspension', who: operatorOrAdmin,
    concerns: (s, c) => s.suspensionConcerns(c.params.id),
    body: emptyAction, response: z.object(suspensionFields), status: 200, ifMatch: 'required',
    handle: async (s, c) => {
      const lifted = await s.lift(c.principal, c.params.id, c.expected);
      return { body: lifted, version: ExposureAdmin.version(lifted) };
    } }),
];
