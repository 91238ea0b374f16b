export * from './document';
export * from './docs-page';
export * from './route-spec';
export * from './route-table';
export * from './router';
export * from './routes';
export * from './schemas';
export * from './version';
