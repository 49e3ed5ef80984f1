// @ts-check
// The tests entry point that VS Code's extension host loads (its `extensionTestsPath`): runs every
// `*.test.cjs` / `*.test.js` file in $E2E_SUITE_DIR (default: this folder) with Mocha, TDD UI.
// Started by scripts/e2e/run-host-tests.mjs; see scripts/e2e/README.md.
//   E2E_SUITE_DIR  folder holding the test files (not searched recursively)
//   E2E_GREP       optional: only run tests whose full title matches this regular expression
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const Mocha = require('mocha');

/** @returns {Promise<void>} */
function run() {
  const dir = path.resolve(process.env.E2E_SUITE_DIR || __dirname);
  let files;
  try {
    files = fs
      .readdirSync(dir)
      .filter((f) => /\.test\.c?js$/.test(f))
      .sort()
      .map((f) => path.join(dir, f));
  } catch (err) {
    return Promise.reject(new Error(`cannot read test folder ${dir}: ${err instanceof Error ? err.message : err}`));
  }
  if (files.length === 0) {
    return Promise.reject(new Error(`no *.test.cjs or *.test.js files in ${dir}`));
  }

  // The reporters print through Base.consoleLog with printf-style arguments. Format each line here
  // and log it as one string, so the extension host's console forwarding carries it to the workbench
  // (and from there to run-host-tests.mjs) exactly as mocha meant it.
  Mocha.reporters.Base.consoleLog = (...args) => {
    console.log(util.format(...args));
  };

  const mocha = new Mocha({ ui: 'tdd', reporter: 'spec', color: false, timeout: 30000 });
  if (process.env.E2E_GREP) mocha.grep(new RegExp(process.env.E2E_GREP));
  for (const f of files) mocha.addFile(f);

  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} tests failed.`));
        else resolve();
      });
    } catch (err) {
      // e.g. a syntax error in a test file
      console.error(err);
      reject(err);
    }
  });
}

module.exports = { run };
