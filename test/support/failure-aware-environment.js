// Jest's Node environment, plus one flag: did the running test fail? Jest
// tells afterEach hooks nothing about the outcome, and a test that fails by
// throwing (a timeout, a rejected request) leaves no trace in expect's state,
// so the harness could not print the processes' logs for exactly the
// failures that need them most. jest-circus reports `test_fn_failure`
// before it runs afterEach hooks.
const { TestEnvironment } = require('jest-environment-node');

class FailureAwareEnvironment extends TestEnvironment {
  handleTestEvent(event) {
    if (event.name === 'test_start') this.global.__mediaflowTestFailed = false;
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') this.global.__mediaflowTestFailed = true;
  }
}

module.exports = FailureAwareEnvironment;
