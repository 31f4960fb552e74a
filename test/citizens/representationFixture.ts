// A gateway for the representation tests: the test's own registry content and PGlite database (as the
// decision point's tests have, test/scopes/pdpFixture.ts), the in-memory store, and the test's clock.
import type { Clock } from '../../src/clock.ts';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import type { TestRegistry } from '../scopes/pdpFixture.ts';

export { TestRegistry, clientFor, memoryDb, productFor, proof, REDIRECT, type Holder } from '../scopes/pdpFixture.ts';

export function startTestGatewayWith(registry: TestRegistry, db: PgliteDb, clock: Clock, overrides: Record<string, unknown> = {}): Promise<Gateway> {
  return startTestGateway({ registry, db, clock, overrides });
}
