// Mocha reporter: the usual spec output, plus the package's counts written to
// $HARRIER_TEST_RESULTS/<package>.json so scripts/test-all.mjs can print one total for the repo.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

class CountingSpecReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const dir = process.env.HARRIER_TEST_RESULTS;
      if (!dir) return;
      const { passes, failures, pending } = this.stats;
      const name = path.basename(process.cwd());
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ name, passes, failures, pending }));
    });
  }
}
module.exports = CountingSpecReporter;
