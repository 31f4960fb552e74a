// The OpenAPI 3.1 document of the admin API, generated from the routes served and their zod schemas
// (z.toJSONSchema), so what is documented is what is validated, and nothing served is left out.
import { z } from 'zod';
import * as S from '../schemas.ts';
import { isMutating } from './route.ts';
import { API_BASE, routes, type RouteSpec } from './routes.ts';

/** What every change says of separation of duties (docs/security-model.md). */
const SEPARATION_OF_DUTIES_WORDS = 'Never by anyone whose organisation supplies a product this change concerns, whatever their roles (403 own_product).';

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });

/** Answers carry an ETag when what they answer is versioned. */
const versioned = (s: z.ZodType | undefined) => s instanceof z.ZodObject && 'version' in s.shape;

export function openApiDocument(served: readonly RouteSpec[] = routes): Record<string, unknown> {
  const problem = { description: 'Refused: RFC 9457 problem details, `type` urn:gateway:problem:<code>', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of served) {
    const parameters: unknown[] = r.params instanceof z.ZodObject
      ? Object.entries(r.params.shape as Record<string, z.ZodType>).map(([name, s]) => ({ name, in: 'path', required: true, schema: schema(s, 'input') }))
      : [];
    if (r.query instanceof z.ZodObject) {
      for (const [name, s] of Object.entries(r.query.shape as Record<string, z.ZodType>)) parameters.push({ name, in: 'query', required: false, schema: schema(s, 'input') });
    }
    if (r.ifMatch) parameters.push({ name: 'If-Match', in: 'header', required: r.ifMatch === 'required', schema: { type: 'string', examples: ['"3"'] }, description: 'The ETag of the version you read' });
    const responses: Record<string, unknown> = {
      [String(r.status)]: r.response
        ? { description: 'OK', headers: versioned(r.response) ? { ETag: { schema: { type: 'string' } } } : undefined, content: { 'application/json': { schema: schema(r.response, 'output') } } }
        : { description: 'Done' },
      400: problem, 401: problem, 403: problem, 404: problem,
      ...(r.method !== 'get' ? { 409: problem, 422: problem } : {}),
      ...(r.body ? { 413: problem, 415: problem } : {}),
      ...(r.ifMatch ? { 412: problem, 428: problem } : {}),
    };
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      description: `Who: ${r.who}.${isMutating(r.method) ? ` ${SEPARATION_OF_DUTIES_WORDS}` : ''}${r.jsonLimit ? ` Bodies up to ${r.jsonLimit}.` : ''}`,
      operationId: `${r.method}${r.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters,
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } } } : {}),
      responses,
    };
  }
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'Vårdgateway registry admin API',
      version: '1',
      description: 'Data controllers, trust frameworks, controller policies, products, certifications, approvals, roles, the audit trail, '
        + 'and where the decision point runs the exposure limits of approvals, controllers\' cohorts and containment suspensions. '
        + 'Every request carries a DPoP-bound access token of an admin client; every update names the version it read in If-Match.',
    },
    servers: [{ url: API_BASE }],
    security: [{ dpop: [] }],
    components: {
      securitySchemes: { dpop: { type: 'http', scheme: 'DPoP', description: 'Authorization: DPoP <token> plus a DPoP proof (RFC 9449)' } },
      schemas: { Problem: schema(S.problem, 'output') },
    },
    paths,
  };
  return document;
}
