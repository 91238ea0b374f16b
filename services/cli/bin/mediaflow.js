#!/usr/bin/env node
// The installed command. A committed file, so it keeps its executable bit
// (tsc writes dist/ without one); the CLI itself is compiled to dist/.
require('../dist/main.js').main();
