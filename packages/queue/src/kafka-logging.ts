import { logLevel } from 'kafkajs';
import type { logCreator } from 'kafkajs';
import type { Logger } from '@mediaflow/domain';

// Logged once per producer because retries are bounded on purpose: a publish
// must fail within seconds rather than retry forever. A failed publish is
// safe to repeat, since the job record, not the message, is the truth.
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer may invalidate EoS guarantees'];

// Fields of a kafkajs entry that the message line or winston already carries.
const OWN_FIELDS = new Set(['message', 'timestamp', 'logger']);

function winstonLevel(level: logLevel, namespace: string): string {
  switch (level) {
    case logLevel.ERROR:
    case logLevel.NOTHING:
      // A failed broker response is logged here and again, with context, by
      // whoever retries or reports it; a rebalance shows up here every time.
      return namespace === 'Connection' ? 'warn' : 'error';
    case logLevel.WARN:
      return 'warn';
    case logLevel.INFO:
      return 'info';
    default:
      return 'debug';
  }
}

/** Routes kafkajs's own log lines into the service's logger. */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const text = String(log.message);
      const extra = Object.fromEntries(Object.entries(log).filter(([key]) => !OWN_FIELDS.has(key)));
      const resolved = EXPECTED_WARNINGS.includes(text) ? 'debug' : winstonLevel(level, namespace);
      logger.log(resolved, `kafkajs ${namespace}: ${text}`, { component: 'kafkajs', ...extra });
    };
}
