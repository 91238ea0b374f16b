// otel-sdk.ts is left out on purpose: it loads the SDK, which only bootstrap.ts may do, and only when tracing is on.
export * from './bootstrap';
export * from './settings';
export * from './spans';
