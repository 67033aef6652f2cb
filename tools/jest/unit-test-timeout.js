// setupFiles of jest's "unit" project (jest.config.js): a unit test that needs more than 5 s is
// waiting on something it should not. jest 30 ignores a per-project testTimeout, and the global
// 60 s is for the e2e suites, which start real servers; a test or hook may still pass its own.
jest.setTimeout(5000);
