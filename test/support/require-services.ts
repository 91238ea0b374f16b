// Integration and e2e tests talk to real services. Without them the suite
// must fail loudly rather than skip: `npm run test:all` starts them.
const required = ['KAFKA_BOOTSTRAP_SERVERS', 'MONGO_URL', 'DYNAMODB_ENDPOINT', 'S3_ENDPOINT'];
const missing = required.filter((name) => !process.env[name]);
if (missing.length > 0) {
  throw new Error(
    `Missing ${missing.join(', ')}: start the real services with ` +
      '`eval "$(bash scripts/services.sh env)"` after `bash scripts/services.sh up`, or run `npm run test:all`.',
  );
}
