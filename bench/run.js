#!/usr/bin/env node
// `npm run bench -- <name> [options]` runs bench/<name>/<name>-benchmark.js; without a name, all of
// them in turn. Each benchmark exports `run(argv)` and prints its figure beside a baseline measured
// in the same run on the same machine, and the ratio (SPEC section 8).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

function available() {
  return fs
    .readdirSync(__dirname, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(__dirname, entry.name, `${entry.name}-benchmark.js`)))
    .map((entry) => entry.name)
    .sort();
}

async function main(argv) {
  const names = available();
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') {
    console.log(`Usage: npm run bench -- [${names.join('|')}] [options]\n(each benchmark takes --help too)`);
    return 0;
  }
  const chosen = first && !first.startsWith('-') ? [first] : names;
  const options = first && !first.startsWith('-') ? rest : argv;
  for (const name of chosen) {
    if (!names.includes(name)) {
      console.error(`No benchmark "${name}". Available: ${names.join(', ')}`);
      return 2;
    }
  }
  for (const name of chosen) {
    const benchmark = require(path.join(__dirname, name, `${name}-benchmark.js`));
    const code = await benchmark.run(options);
    if (code) return code;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
