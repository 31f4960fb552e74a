// The OpenAPI 3.1 document of the admin API, generated from the route table and its zod schemas
// (z.toJSONSchema), so what is documented is what is validated.
import { z } from 'zod';
import * as S from '../schemas.ts';
import { API_BASE, routes } from './routes.ts';

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });

let cached: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const problem = { description: 'Refused: RFC 9457 problem details, `type` urn:gateway:problem:<code>', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (r.query instanceof z.ZodObject) {
      for (const [name, s] of Object.entries(r.query.shape as Record<string, z.ZodType>)) parameters.push({ name, in: 'query', required: false, schema: schema(s, 'input') });
    }
    if (r.ifMatch) parameters.push({ name: 'If-Match', in: 'header', required: r.ifMatch === 'required', schema: { type: 'string', examples: ['"3"'] }, description: 'The ETag of the version you read' });
    const responses: Record<string, unknown> = {
      [String(r.status)]: r.response
        ? { description: 'OK', headers: r.method !== 'get' || !r.path.endsWith('s') ? { ETag: { schema: { type: 'string' } } } : undefined, content: { 'application/json': { schema: schema(r.response, 'output') } } }
        : { description: 'Done' },
      400: problem, 401: problem, 403: problem, 404: problem,
      ...(r.method !== 'get' ? { 409: problem, 415: problem, 422: problem } : {}),
      ...(r.ifMatch ? { 412: problem, 428: problem } : {}),
    };
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      description: `Who: ${r.who}.`,
      operationId: `${r.method}${r.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters,
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } } } : {}),
      responses,
    };
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Vårdgateway registry admin API',
      version: '1',
      description: 'Data controllers, trust frameworks, controller policies, products, certifications, approvals, roles and the audit trail. '
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
  return cached;
}
