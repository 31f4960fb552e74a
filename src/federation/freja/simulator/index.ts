// The Freja eID REST API simulator and its app, for the sandbox and the tests.
export { startFrejaSimulator, type FrejaSimulator, type FrejaSimulatorOptions } from './server.ts';
export { frejaAppRouter, APP_PREFIX, type FrejaAppOptions } from './app.ts';
export {
  TransactionBook, TransactionNotPendingError, LevelTooLowError, PersonMismatchError, APP_OUTCOMES, PERSONA_LEVELS,
  type Transaction, type AppOutcome, type SandboxPersona, type SandboxPersonas, type TransactionBookOptions,
} from './transactions.ts';
