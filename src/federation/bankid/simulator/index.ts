// The BankID RP API simulator and its app, for the sandbox and the tests.
export { startBankIdSimulator, type BankIdSimulator, type BankIdSimulatorOptions } from './server.ts';
export { bankIdAppRouter, APP_PREFIX, type BankIdAppOptions } from './app.ts';
export {
  OrderBook, AlreadyInProgressError, OrderNotPendingError, APP_OUTCOMES, allPersonas,
  type Order, type OrderStatus, type AppOutcome, type OrderBookOptions, type SandboxPersona, type SandboxPersonas,
} from './orders.ts';
export type { Completion } from './completion.ts';
