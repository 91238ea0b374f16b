/**
 * Tracing for the worker (main.ts). Its composition root imports this module first, so
 * that, when tracing is on, the HTTP and Express instrumentations are in place
 * before anything requires node:http or express; when it is off, this loads
 * no part of the SDK. The deep import keeps the rest of @mediaflow/runtime
 * (Kafka, the database drivers) from loading first.
 */
import { startTracing } from '@mediaflow/runtime/dist/tracing/bootstrap';

export const tracing = startTracing('mediaflow-worker');
